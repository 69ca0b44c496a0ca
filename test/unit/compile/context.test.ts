/**
 * Where arguments and return values are, per probe kind: the cases that differ between a
 * kprobe and a BPF trampoline on the same function (system call wrappers in particular).
 */
import { describe, expect, it } from 'vitest';
import { argLocation, probeContext, retvalLocation, PT_REGS } from '../../../src/compile/context.js';

const regs = PT_REGS.x64;

describe('argument and return locations on system call wrappers', () => {
  it('kprobe and fentry on __x64_sys_umask read arg1 from the pt_regs the wrapper is given', () => {
    const viaRegs = { kind: 'deref', disp: regs.args[0], size: 8, signed: false, space: 'kernel' };
    // A kprobe's context is the probe's own pt_regs; the wrapper's argument is its first register.
    expect(argLocation(probeContext({ kind: 'kprobe', symbol: '__x64_sys_umask' }, { arch: 'x64' }), 1)).toEqual({ ...viaRegs, baseOffset: regs.args[0] });
    // A trampoline's context is the wrapper's arguments: regs is slot 0.
    expect(argLocation(probeContext({ kind: 'fentry', symbol: '__x64_sys_umask' }, { arch: 'x64' }), 1)).toEqual({ ...viaRegs, baseOffset: 0 });
    expect(() => argLocation(probeContext({ kind: 'fentry', symbol: '__x64_sys_umask' }, { arch: 'x64' }), 7)).toThrow(/at most 6/);
  });

  it('fexit on a wrapper finds retval after its one argument, with or without BTF', () => {
    expect(retvalLocation(probeContext({ kind: 'fexit', symbol: '__x64_sys_umask' }, { arch: 'x64' }))).toEqual({
      kind: 'ctx',
      offset: 8,
      size: 8,
      signed: false,
    });
  });

  it('fentry on an ordinary function: argN is context slot N-1', () => {
    expect(argLocation(probeContext({ kind: 'fentry', symbol: 'vfs_read' }, { arch: 'x64' }), 3)).toEqual({ kind: 'ctx', offset: 16, size: 8, signed: false });
    expect(() => retvalLocation(probeContext({ kind: 'fexit', symbol: 'vfs_read' }, { arch: 'x64' }))).toThrow(/no BTF prototype for vfs_read/);
  });
});
