/**
 * The generated syscall tables (scripts/gen-syscalls.mjs): numbers by entry point, as tracefs
 * names the syscalls:* events. Checked against the host's own tracefs in
 * test/kernel/raw-tracepoints.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SYSCALL_TABLES } from '../../../src/symbols/syscalls.gen.js';
import { syscallEvent, syscallNumbers, hostSyscallArch } from '../../../src/symbols/syscalls.js';
import { FIXTURE_TRACEFS } from '../../helpers/probe-host.js';

describe('syscall tables', () => {
  it('x86-64: __NR numbers, events named after entry points (fstat is newfstat, umount2 is umount)', () => {
    const t = syscallNumbers('x64');
    expect(t.get('read')).toBe(0);
    expect(t.get('getpid')).toBe(39);
    expect(t.get('getppid')).toBe(110);
    expect(t.get('openat')).toBe(257);
    expect(t.get('newfstat')).toBe(5);
    expect(t.get('newuname')).toBe(63);
    expect(t.get('sendfile64')).toBe(40);
    expect(t.get('umount')).toBe(166);
    // The __NR names that are not entry points are not event names.
    for (const n of ['fstat', 'uname', 'sendfile', 'umount2']) expect(t.has(n), n).toBe(false);
  });

  it('arm64: asm-generic numbering with its entry points', () => {
    const t = syscallNumbers('arm64');
    expect(t.get('getpid')).toBe(172);
    expect(t.get('openat')).toBe(56);
    expect(t.get('newfstat')).toBe(80);
    expect(t.get('newuname')).toBe(160);
    expect(t.get('umount')).toBe(39);
    expect(t.get('fadvise64_64')).toBe(223);
    expect(t.has('open')).toBe(false);
  });

  it('one number per name and one name per number, sorted, within a table a program can index', () => {
    for (const arch of ['x64', 'arm64'] as const) {
      const rows = SYSCALL_TABLES[arch];
      expect(new Set(rows.map((r) => r[0])).size, arch).toBe(rows.length);
      expect(new Set(rows.map((r) => r[1])).size, arch).toBe(rows.length);
      expect(rows.map((r) => r[1])).toEqual([...rows.map((r) => r[1])].sort((a, b) => a - b));
      expect(Math.max(...rows.map((r) => r[1]))).toBeLessThan(1024);
    }
  });

  it('the host table is the one of process.arch; no prototype names leak through', () => {
    expect(syscallNumbers()).toBe(syscallNumbers(hostSyscallArch()));
    expect(syscallNumbers().get('constructor')).toBeUndefined();
  });

  it('syscalls:sys_enter_NAME / sys_exit_NAME name a family and a syscall; other events none', () => {
    expect(syscallEvent('syscalls', 'sys_enter_getpid')).toEqual({ family: 'sys_enter', name: 'getpid' });
    expect(syscallEvent('syscalls', 'sys_exit_newfstat')).toEqual({ family: 'sys_exit', name: 'newfstat' });
    expect(syscallEvent('raw_syscalls', 'sys_enter')).toBeUndefined();
    expect(syscallEvent('sched', 'sys_enter_x')).toBeUndefined();
    expect(syscallEvent('syscalls', 'sys_enter')).toBeUndefined();
  });

  it("the fixture tracefs's syscall events have numbers", () => {
    for (const e of readdirSync(join(FIXTURE_TRACEFS, 'events', 'syscalls'))) {
      const s = syscallEvent('syscalls', e);
      if (s) expect(syscallNumbers().get(s.name), e).toBeTypeOf('number');
    }
  });
});
