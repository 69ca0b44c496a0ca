/**
 * The type checker as a table: expression + probe context → C type (and the conversions and
 * memory spaces it chose), and malformed expressions → the exact message, span and hints.
 * Pure: fixtures (kinds.btf, the tracefs fixture) and, where a real kernel struct is needed,
 * the live /sys/kernel/btf/vmlinux (skipped when missing, unless CI=true).
 */
import { describe, expect, it } from 'vitest';
import { parseExpr } from '../../../src/specs/index.js';
import { checkExpr, requirePointerOrString, requireScalar, ExprCheckError, constValue, type TypedExpr } from '../../../src/compile/check.js';
import { probeContext, type ProbeContext } from '../../../src/compile/context.js';
import { entryNeeds } from '../../../src/compile/entry.js';
import { check, kindsBtf, liveBtf, skipLive, tracepoint, typeOf, withSignature } from './helpers.js';

/** The error checking `text` gives: message, the text under its span, hints. */
function fault(text: string, ctx: ProbeContext): { message: string; at: string; hints: readonly string[] } {
  try {
    checkExpr(parseExpr(text), ctx);
  } catch (e) {
    if (!(e instanceof ExprCheckError)) throw e;
    return { message: e.message, at: text.slice(e.span.start, e.span.end), hints: e.hints };
  }
  throw new Error(`'${text}' checked without an error`);
}

const SIG = 'u64 a, s32 b, u32 c, s64 d, u16 e, s8 f, char *s, struct timespec *ts, unsigned char uc, _Bool ok';
const kp = withSignature({ kind: 'kprobe', symbol: 'f' }, SIG);
const up = withSignature({ kind: 'uprobe', symbol: 'f' }, SIG);
const raw = probeContext({ kind: 'kprobe' }, { arch: 'x64' });
const ret = probeContext({ kind: 'kretprobe', symbol: 'f' }, { arch: 'x64' });
const openat = probeContext(tracepoint('syscalls', 'sys_enter_openat'), { arch: 'x64' });
const sw = probeContext(tracepoint('sched', 'sched_switch'), { arch: 'x64' });
const vfs = probeContext({ kind: 'kprobe', symbol: 'vfs_read' }, { btf: kindsBtf(), arch: 'x64' });

/** The conversion chosen for a binary node: [left type, right type, signed compare?]. */
function operands(te: TypedExpr): [string, string, boolean | undefined] {
  const n = te.node;
  if (n.k !== 'cmp' && n.k !== 'arith') throw new Error(`not binary: ${n.k}`);
  const f = (x: TypedExpr) => (x.type.kind === 'int' ? `${x.type.signed ? 's' : 'u'}${x.type.size * 8}` : x.type.kind);
  return [f(n.left), f(n.right), n.k === 'cmp' ? n.signed : undefined];
}

describe('types of expressions', () => {
  it.each([
    // literals: C's rules for the type of an integer constant
    ['1', kp, 'int'],
    ['2147483648', kp, 'long'],
    ['0x80000000', kp, 'unsigned int'],
    ['1u', kp, 'unsigned int'],
    ['1ul', kp, 'unsigned long'],
    ['0xffffffffffffffff', kp, 'unsigned long'],
    ["'a'", kp, 'int'],
    // signature parameters keep their types
    ['a', kp, 'u64'],
    ['b', kp, 's32'],
    ['s', kp, 'char *'],
    ['ts', kp, 'struct timespec *'],
    ['ts->tv_nsec', kp, 'long'],
    ['ts->tv_sec', kp, 'time_t'],
    ['s[1]', kp, 'char'],
    ['*s', kp, 'char'],
    ['s + 1', kp, 'char *'],
    ['&ts->tv_nsec', kp, 'long *'],
    // integer promotions and the usual arithmetic conversions
    ['e', kp, 'u16'],
    ['e + e', kp, 'int'],
    ['f * uc', kp, 'int'],
    ['-e', kp, 'int'],
    ['~uc', kp, 'int'],
    ['ok + 1', kp, 'int'],
    ['c + b', kp, 'u32'],
    ['c + d', kp, 's64'],
    ['a + d', kp, 'u64'],
    ['b + 1', kp, 's32'],
    ['b + 1u', kp, 'unsigned int'],
    ['b + 1l', kp, 'long'],
    ['e << 20', kp, 'int'],
    ['a >> b', kp, 'u64'],
    ['b < c', kp, 'int'],
    ['!a', kp, 'int'],
    ['a && b', kp, 'int'],
    ['b ? e : f', kp, 'int'],
    ['b ? c : d', kp, 's64'],
    ['ts - ts', kp, 'long'],
    // casts
    ['(int)retval', ret, 'int'],
    ['(u8)a', kp, 'u8'],
    ['(char *)a', kp, 'char *'],
    ['(struct timespec *)a', kp, 'struct timespec *'],
    // values without type information are u64
    ['arg1', raw, 'u64'],
    ['retval', ret, 'u64'],
    ['$retval', ret, 'u64'],
    // builtins
    ['$PID', kp, 'u32'],
    ['$TID', kp, 'u32'],
    ['$UID', kp, 'u32'],
    ['$cpu', kp, 'u32'],
    ['$COMM', kp, 'char[16]'],
    ['$task', kp, 'u64'],
    // tracepoint records: syscall arguments are stored in 8 bytes but typed as declared
    ['args->dfd', openat, 'int'],
    ['args->flags', openat, 'int'],
    ['args->mode', openat, 'umode_t'],
    ['args->filename', openat, '__user char *'],
    ['args->__syscall_nr', openat, 'int'],
    ['args->common_pid', openat, 'int'],
    ['args->prev_comm', sw, 'char[16]'],
    ['args->prev_comm[0]', sw, 'char'],
    ['args->prev_prio - 120', sw, 'int'],
    // BTF parameters of kernel functions, with no signature written
    ['file', vfs, 'struct file *'],
    ['count', vfs, 'size_t'],
    ['file->f_pos', vfs, 'loff_t'],
    ['*pos', vfs, 'loff_t'],
    ['arg3', vfs, 'size_t'],
  ] as const)('%s', (text, ctx, want) => {
    expect(typeOf(text, ctx)).toBe(want);
  });

  it('(int)retval < 0 is a signed compare; the raw retval compares unsigned', () => {
    expect(operands(check('(int)retval < 0', ret))).toEqual(['s32', 's32', true]);
    expect(operands(check('retval < 0', ret))).toEqual(['u64', 'u64', false]);
    expect(operands(check('(long)retval >= 0', ret))).toEqual(['s64', 's64', true]);
  });

  it('u32 + s64 converts the u32 to s64; u32 < s32 compares unsigned; u16 < s32 signed', () => {
    expect(operands(check('c + d', kp))).toEqual(['s64', 's64', undefined]);
    expect(operands(check('c < b', kp))).toEqual(['u32', 'u32', false]);
    expect(operands(check('e < b', kp))).toEqual(['s32', 's32', true]);
    expect(operands(check('a < d', kp))).toEqual(['u64', 'u64', false]);
    expect(operands(check('b < -1', kp))).toEqual(['s32', 's32', true]);
    expect(operands(check('c < -1', kp))).toEqual(['u32', 'u32', false]);
    expect(operands(check('s < s + 4', kp))).toEqual(['ptr', 'ptr', false]);
  });

  it('constant conversions sign- and zero-extend like C', () => {
    const v = (t: string) => constValue(check(t, kp));
    expect(v('(s8)0xff')).toBe(-1n);
    expect(v('(u8)-1')).toBe(255n);
    expect(v('(int)0xffffffff')).toBe(-1n);
    expect(v('(unsigned int)-1')).toBe(0xffffffffn);
    expect(v('(long)(int)-1')).toBe(-1n);
    expect(v('(u64)(unsigned int)-1')).toBe(0xffffffffn);
    expect(v('(s16)0x18000')).toBe(-0x8000n);
    expect(v('(_Bool)256')).toBe(1n);
  });

  it('memory spaces: uprobe and syscall-record pointers are user memory, kernel BTF pointers are not', () => {
    expect(check('s', up).space).toBe('user');
    expect(check('ts->tv_sec', up).node).toMatchObject({ k: 'load', place: { k: 'mem', space: 'user' } });
    expect(check('s', kp).space).toBe('kernel');
    expect(check('arg2@user', raw).space).toBe('user');
    expect(check('(char *)arg2', raw).space).toBe('kernel');
    expect(check('args->filename', openat).space).toBe('user');
    expect(check('file->f_pos', vfs).node).toMatchObject({ k: 'load', place: { k: 'mem', space: 'kernel' } });
    // user types are the built-ins in user probes
    expect(check('((struct sockaddr_in *)arg1)->sin_port', probeContext({ kind: 'uprobe' })).node).toMatchObject({
      place: { k: 'mem', space: 'user', offset: 2 },
    });
  });

  it('members of the fixture BTF: anonymous members are flattened, bitfields carry their bits', () => {
    const ctx = probeContext({ kind: 'kprobe' }, { btf: kindsBtf(), arch: 'x64' });
    expect(typeOf('((struct outer *)arg1)->lo', ctx)).toBe('short int');
    expect(typeOf('((struct outer *)arg1)->in.y', ctx)).toBe('char');
    // gcc's BTF flattens int matrix[2][3] into int[6]
    expect(typeOf('((struct outer *)arg1)->named.matrix', ctx)).toBe('int[6]');
    expect(check('((struct outer *)arg1)->named.matrix[5]', ctx).node).toMatchObject({ place: { offset: 16 + 16 + 4 * 5 } });
    expect(check('((struct flags *)arg1)->c', ctx).node).toMatchObject({ k: 'load', bits: { shift: 0, size: 7 } });
    expect(typeOf('((struct flags *)arg1)->c', ctx)).toBe('int');
  });
});

describe('type errors: message, span, hints', () => {
  it.each([
    // argument counts
    ['arg7', vfs, 'arg7: vfs_read takes 4 arguments', 'arg7'],
    ['arg1', openat, 'arg1 is not available on a tracepoint', 'arg1'],
    ['arg2', ret, 'arg2 is not available in a return probe: the argument registers are gone at return', 'arg2'],
    ['arg7', probeContext({ kind: 'kprobe', symbol: '__x64_sys_openat' }), 'arg7: system calls take at most 6 arguments', 'arg7'],
    // return-only values
    ['retval', kp, 'retval is only available in return probes (r:…)', 'retval'],
    ['$retval + 1', kp, '$retval is only available in return probes (r:…)', '$retval'],
    ['$latency > 100', kp, '$latency is only available in return probes', '$latency'],
    ['$entry(a)', kp, '$entry(a) is only available in return probes', '$entry(a)'],
    ['b', withSignature({ kind: 'kretprobe', symbol: 'f' }, 'int b'), "'b' is a parameter: its register is gone when the function returns", 'b'],
    // tracepoint-only and probe-only values
    ['args->fd', kp, 'args is only available in tracepoints (t:category:event, rawtracepoint:NAME)', 'args'],
    ['ctx->ip', openat, 'ctx is struct pt_regs * only in kprobes, uprobes and USDT probes', 'ctx'],
    // unknown names, members, types
    ['dfd', openat, "unknown name 'dfd'; did you mean 'args->dfd'?", 'dfd'],
    ['cnt', vfs, "unknown name 'cnt'; did you mean 'count'?", 'cnt'],
    ['pid', raw, "unknown name 'pid'; did you mean '$pid'?", 'pid'],
    ['file->f_po', vfs, "unknown member 'f_po' in struct file; did you mean 'f_pos'?", 'f_po'],
    ['args->filenam', openat, "unknown member 'filenam' in struct trace_event_raw_sys_enter_openat; did you mean 'filename'?", 'filenam'],
    ['((struct nosuch *)arg1)->x', vfs, "unknown type 'struct nosuch'", 'struct nosuch *'],
    ['((struct timespek *)arg1)->tv_sec', raw, "unknown type 'struct timespek'; did you mean 'timespec'?", 'struct timespek *'],
    ['(foo_t *)arg1', vfs, "unknown type 'foo_t'", 'foo_t *'],
    ['(float)arg1', kp, 'float is not supported: BPF has no floating point', 'float'],
    ['strlen(s)', kp, "unknown function 'strlen'", 'strlen'],
    // operators on the wrong kinds of values
    ['a->x', kp, "'->' needs a pointer to a struct, got u64", 'a'],
    ['ts.tv_sec', kp, "'.' needs a struct, got struct timespec *", 'ts'],
    ['*a', kp, "'*' needs a pointer, got u64", 'a'],
    ['ts * 2', kp, "'*' needs integers, got struct timespec *", 'ts'],
    ['$COMM + 1', kp, "'+' needs a number, got a string", '$COMM'],
    ['args->prev_comm == 0', sw, "'==' needs a number, got an array in the probe's record (char[16])", 'args->prev_comm'],
    ['args->prev_comm[16]', sw, 'index 16 is out of bounds for char[16]', '16'],
    ['args->prev_comm[args->prev_pid]', sw, 'array index must be a constant', 'args->prev_pid'],
    ['&b', kp, 'can only take the address of something in memory (&p->member)', 'b'],
    ['(struct timespec)a', kp, 'cannot cast to struct timespec: only to integers and pointers', 'struct timespec'],
  ] as const)('%s', (text, ctx, message, at) => {
    const f = fault(text, ctx);
    expect(f.message).toBe(message);
    expect(f.at).toBe(at);
  });

  it('hints say what to write instead', () => {
    expect(fault('cnt', vfs).hints).toEqual(['parameters: file, buf, count, pos']);
    expect(fault('x', raw).hints).toEqual(['name the parameters with a signature (p::f(int fd)) or use arg1, arg2, …']);
    expect(fault('dfd', openat).hints).toEqual(['tracepoint fields are args->name']);
    expect(fault('retval', kp).hints).toEqual(['probe the return with r:: instead of p::']);
    expect(fault('arg1', openat).hints).toEqual(["use args->field: the fields are in the tracepoint's format file"]);
    expect(fault('b', withSignature({ kind: 'kretprobe', symbol: 'f' }, 'int b')).hints).toEqual(['use $entry(b) to read it as it was at entry']);
    expect(fault('a->x', kp).hints).toEqual(['cast it first: ((struct name *)…)->x']);
    expect(fault('ts.tv_sec', kp).hints).toEqual(["use '->' on a pointer"]);
  });

  it('$entry(x) with an unknown parameter suggests one, at the name', () => {
    const sig = withSignature({ kind: 'kprobe', symbol: 'f' }, 'size_t count, int fd');
    const needs = entryNeeds([parseExpr('$entry(cont)')], sig);
    const ctx = withSignature({ kind: 'kretprobe', symbol: 'f' }, 'size_t count, int fd', { entry: needs });
    const f = fault('$entry(cont)', ctx);
    expect(f).toEqual({ message: "$entry(cont): no such param; did you mean 'count'?", at: 'cont', hints: ['parameters: count, fd'] });
    expect(
      typeOf('$entry(count)', withSignature({ kind: 'kretprobe', symbol: 'f' }, 'size_t count', { entry: entryNeeds([parseExpr('$entry(count)')], sig) })),
    ).toBe('size_t');
  });

  it('%s needs a pointer: requirePointerOrString', () => {
    const te = check('(u64)arg1', raw);
    let err: unknown;
    try {
      requirePointerOrString(te, '%s');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprCheckError);
    expect((err as ExprCheckError).message).toBe('%s needs a pointer, got u64');
    expect((err as ExprCheckError).span).toEqual({ start: 0, end: 9 });
    expect((err as ExprCheckError).hints).toEqual(['cast it if it is an address: (char *)…']);
    expect(() => requirePointerOrString(check('b', kp), '%s')).toThrow('%s needs a pointer, got s32');
    // untyped u64 values, pointers, char arrays and strings pass
    for (const [t, c] of [
      ['arg1', raw],
      ['s', kp],
      ['$COMM', kp],
      ['args->filename', openat],
      ['args->prev_comm', sw],
    ] as const) {
      expect(() => requirePointerOrString(check(t, c), '%s')).not.toThrow();
    }
    expect(() => requireScalar(check('$COMM', kp), '%d')).toThrow('%d needs a number, got a string (char[16])');
  });

  it('every fault of one expression is found, first in source order', () => {
    let err: ExprCheckError | undefined;
    try {
      checkExpr(parseExpr('xyzzy + file->f_po * arg9 || plugh'), vfs);
    } catch (e) {
      err = e as ExprCheckError;
    }
    expect(err!.message).toBe("unknown name 'xyzzy'");
    expect(err!.all.map((e) => e.message)).toEqual([
      "unknown name 'xyzzy'",
      "unknown member 'f_po' in struct file; did you mean 'f_pos'?",
      'arg9: vfs_read takes 4 arguments',
      "unknown name 'plugh'",
    ]);
  });
});

describe.skipIf(skipLive)('live kernel BTF', () => {
  it("the issue's examples: unknown member with a suggestion, argument count", () => {
    const btf = liveBtf();
    const fault1 = fault('((struct inode *)arg1)->i_mapin', probeContext({ kind: 'kprobe', symbol: 'filemap_fault' }, { btf }));
    expect(fault1.message).toBe("unknown member 'i_mapin' in struct inode; did you mean 'i_mapping'?");
    expect(fault1.at).toBe('i_mapin');
    const open = probeContext({ kind: 'kprobe', symbol: 'do_sys_open' }, { btf });
    expect(fault('arg7', open).message).toBe('arg7: do_sys_open takes 4 arguments');
    // Without BTF type tags (GCC-built kernels) `const char __user *` reads as `char *`; the
    // lowerer then reads it with bpf_probe_read_str, which dispatches on the address.
    expect(['char *', '__user char *']).toContain(typeOf('filename', open));
  });

  it('$task and its members, casts to kernel structs', () => {
    const ctx = probeContext({ kind: 'kprobe' }, { btf: liveBtf() });
    expect(typeOf('$task', ctx)).toBe('struct task_struct *');
    expect(typeOf('$task->pid', ctx)).toBe('pid_t');
    expect(typeOf('$task->comm', ctx)).toBe('char[16]');
    expect(typeOf('$task->real_parent->tgid', ctx)).toBe('pid_t');
    expect(typeOf('((struct sk_buff *)arg1)->len', ctx)).toBe('unsigned int');
    expect(typeOf('((struct file *)arg1)->f_inode->i_ino', ctx)).toBe('long unsigned int');
    // in a uprobe, a kernel struct read through $task stays kernel memory
    const up2 = probeContext({ kind: 'uprobe' }, { btf: liveBtf() });
    expect(check('$task->pid', up2).node).toMatchObject({ place: { k: 'mem', space: 'kernel' } });
  });
});
