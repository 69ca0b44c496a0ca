/**
 * End to end on this kernel, through a tiny direct harness (attach + an array map), since the
 * tools are built elsewhere: compiled predicates and arguments read the right values on a
 * syscall tracepoint (args->filename is user memory and prints the name) and on uprobes
 * (arg1, a struct member through a cast to a built-in user type, uretprobe retval).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync, rmSync } from 'node:fs';
import { isRoot, inCI } from '../helpers/kernel.js';
import { buildC, haveGcc } from '../helpers/cbuild.js';
import { TraceSession } from '../../src/session.js';
import { ProgType } from '../../src/emit/types.js';
import { attachTracepoint } from '../../src/attach/tracepoint.js';
import { attachUprobe } from '../../src/attach/uprobe.js';
import { ElfFile } from '../../src/symbols/elf.js';
import { findTracefs, readTracepointFormat } from '../../src/symbols/tracefs.js';
import { loadKernelBtf } from '../../src/kernel/btf.js';
import { parseTraceProbe } from '../../src/specs/index.js';
import { probeContext } from '../../src/compile/context.js';
import { READ_ERRORS_MAP } from '../../src/compile/lower.js';
import { buildProgram, decode } from './compile-helpers.js';

const skip = !isRoot && !inCI;

const WORKLOAD = `
#include <stdio.h>
#include <time.h>
#include <unistd.h>
__attribute__((noinline)) long work(int a, struct timespec *ts) {
  __asm__ volatile("" ::: "memory");
  return a * 2 + ts->tv_nsec;
}
int main(void) {
  struct timespec ts = { 5, 123456789 };
  char c;
  if (read(0, &c, 1) != 1) return 1;
  printf("%ld\\n", work(-21, &ts));
  return 0;
}
`;

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const OPENAT_NR = process.arch === 'arm64' ? 56 : 257;

describe.skipIf(skip)('compile: end to end', () => {
  beforeAll(() => {
    if (!haveGcc() && inCI) throw new Error('gcc is needed');
  });

  it('sys_enter_openat: a predicate and args->filename (user memory) read correctly', () => {
    const tracefs = findTracefs()!;
    const fields = readTracepointFormat(tracefs, 'syscalls', 'sys_enter_openat').fields;
    const ctx = probeContext({ kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat', fields }, { btf: loadKernelBtf() });
    const path = `/tmp/polytrace-compile-e2e-${process.pid}`;
    writeFileSync(path, 'x');
    const built = buildProgram(ctx, ProgType.Tracepoint, ['args->filename', 'args->dfd', '(int)args->dfd', 'args->flags', '$PID', '$tgid', '$COMM'], {
      predicate: `STRCMP("/tmp/polytrace-compile-e2e", args->filename) && $tgid == ${process.pid}`,
      predicates: ['STRCMP("/tmp/polytrace-compile-e2e-", args->filename)', 'STRCMP("/etc", args->filename)', 'args->flags & 0x40'],
      name: 'cmp_e2e_tp',
    });
    using s = new TraceSession();
    const prog = s.load(built.spec, { verbose: true });
    s.attach(attachTracepoint(prog, { category: 'syscalls', event: 'sys_enter_openat' }));
    closeSync(openSync('/etc/hostname', 'r')); // filtered out by the predicate
    closeSync(openSync(path, 'r'));
    const got = decode(built, s.maps.get('out')!.lookup(new Uint8Array(4))!);
    rmSync(path, { force: true });
    expect(got.get('args->filename')).toBe(path);
    expect(got.get('(int)args->dfd')).toBe(u64(-100n));
    expect(got.get('args->dfd')).toBe(u64(-100n));
    expect(got.get('$PID')).toBe(BigInt(process.pid));
    expect(got.get('$tgid')).toBe(BigInt(process.pid));
    expect(String(got.get('$COMM')).length).toBeGreaterThan(0);
    expect(got.get('STRCMP("/tmp/polytrace-compile-e2e-", args->filename)')).toBe(1n);
    expect(got.get('STRCMP("/etc", args->filename)')).toBe(0n);
    expect(got.get('args->flags & 0x40')).toBe(0n);
    expect(s.maps.has(READ_ERRORS_MAP.name)).toBe(true);
  });

  it('a user pointer the types call kernel memory (raw_syscalls args[1]) is read by address dispatch', () => {
    const tracefs = findTracefs()!;
    const fields = readTracepointFormat(tracefs, 'raw_syscalls', 'sys_enter').fields;
    const ctx = probeContext({ kind: 'tracepoint', category: 'raw_syscalls', event: 'sys_enter', fields }, {});
    const path = `/tmp/polytrace-compile-dispatch-${process.pid}`;
    writeFileSync(path, 'x');
    const built = buildProgram(ctx, ProgType.Tracepoint, ['(char *)args->args[1]', 'args->id', '(int)args->args[0]'], {
      predicate: `args->id == ${OPENAT_NR} && $tgid == ${process.pid} && STRCMP("/tmp/polytrace-compile-dispatch", (char *)args->args[1])`,
      name: 'cmp_e2e_disp',
    });
    using s = new TraceSession();
    const prog = s.load(built.spec, { verbose: true });
    s.attach(attachTracepoint(prog, { category: 'raw_syscalls', event: 'sys_enter' }));
    closeSync(openSync(path, 'r'));
    const got = decode(built, s.maps.get('out')!.lookup(new Uint8Array(4))!);
    rmSync(path, { force: true });
    expect(got.get('(char *)args->args[1]')).toBe(path);
    expect(got.get('args->id')).toBe(BigInt(OPENAT_NR));
    expect(got.get('(int)args->args[0]')).toBe(u64(-100n));
  });

  it('uprobe arg1, a struct member through a cast, signature names; uretprobe retval', async () => {
    const exe = buildC('compile_e2e', WORKLOAD, ['-O2']);
    const elf = ElfFile.open(exe);
    const sym = elf.lookupFunction('work')!;
    const offset = elf.vaddrToFileOffset(sym.value)!;
    const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const pid = child.pid!;

    const sig = parseTraceProbe(`p:${exe}:work(int a, struct timespec *ts)`).signature!;
    const entry = probeContext({ kind: 'uprobe', symbol: 'work' }, { signature: sig });
    const plain = probeContext({ kind: 'uprobe', symbol: 'work' });
    const ret = probeContext({ kind: 'uretprobe', symbol: 'work' });

    const pEntry = buildProgram(entry, ProgType.Kprobe, ['a', 'ts->tv_sec', 'ts->tv_nsec', 'a * 2 + ts->tv_nsec'], {
      predicate: `$tgid == ${pid}`,
      name: 'cmp_e2e_sig',
    });
    const pPlain = buildProgram(plain, ProgType.Kprobe, ['arg1', '(int)arg1', '((struct timespec *)arg2)->tv_nsec', '((struct timespec *)arg2)->tv_sec'], {
      predicate: `$tgid == ${pid}`,
      name: 'cmp_e2e_plain',
    });
    const pRet = buildProgram(ret, ProgType.Kprobe, ['retval', '(int)retval'], { predicate: `$tgid == ${pid} && (long)retval > 0`, name: 'cmp_e2e_ret' });

    const sessions: TraceSession[] = [];
    try {
      for (const [built, isRet] of [
        [pEntry, false],
        [pPlain, false],
        [pRet, true],
      ] as const) {
        const s = new TraceSession();
        sessions.push(s);
        const prog = s.load(built.spec, { verbose: true });
        s.attach(attachUprobe(prog, { path: exe, offset, ret: isRet, pid }));
      }
      child.stdin.write('g');
      expect(await exited).toBe(0);
      const [e, p, r] = [pEntry, pPlain, pRet].map((b, i) => decode(b, sessions[i]!.maps.get('out')!.lookup(new Uint8Array(4))!));
      expect(e!.get('a')).toBe(u64(-21n));
      expect(e!.get('ts->tv_sec')).toBe(5n);
      expect(e!.get('ts->tv_nsec')).toBe(123456789n);
      expect(e!.get('a * 2 + ts->tv_nsec')).toBe(123456789n - 42n);
      expect(BigInt.asUintN(32, p!.get('arg1') as bigint)).toBe(u64(-21n) & 0xffffffffn);
      expect(p!.get('(int)arg1')).toBe(u64(-21n));
      expect(p!.get('((struct timespec *)arg2)->tv_nsec')).toBe(123456789n);
      expect(p!.get('((struct timespec *)arg2)->tv_sec')).toBe(5n);
      expect(r!.get('retval')).toBe(123456789n - 42n);
      expect(r!.get('(int)retval')).toBe(123456789n - 42n);
    } finally {
      for (const s of sessions) s.dispose();
      child.kill();
    }
    expect(stdout.trim()).toBe(String(-42 + 123456789));
  });
});
