/**
 * Every lowered expression shape passes the real verifier, loaded as the program type of its
 * site: kprobe-type for pt_regs sites (kprobe, kretprobe, uprobe, USDT: they load here even
 * though kprobes cannot attach), tracepoint-type for tracepoint records.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { isRoot, inCI } from '../helpers/kernel.js';
import { TraceSession } from '../../src/session.js';
import { ProgType } from '../../src/emit/types.js';
import { loadKernelBtf } from '../../src/kernel/btf.js';
import type { BtfSpec } from '../../src/btf/index.js';
import { findTracefs, readTracepointFormat } from '../../src/symbols/tracefs.js';
import { parseExpr, parseTraceProbe } from '../../src/specs/index.js';
import { probeContext, entrySite, type ProbeSite } from '../../src/compile/context.js';
import { entryNeeds, emitEntryStash } from '../../src/compile/entry.js';
import { ProgramBuilder } from '../../src/emit/builder.js';
import { alu64, exit, R0, R1, R6 } from '../../src/emit/asm.js';
import { buildProgram } from './compile-helpers.js';

const skip = !isRoot && !inCI;

function load(spec: Parameters<TraceSession['load']>[0]): void {
  using s = new TraceSession();
  s.load(spec, { verbose: true });
}

describe.skipIf(skip)('compile: lowered expressions pass the verifier', () => {
  let btf: BtfSpec;
  let tracefs: string;
  beforeAll(() => {
    btf = loadKernelBtf();
    tracefs = findTracefs()!;
  });

  const tp = (category: string, event: string): ProbeSite => ({
    kind: 'tracepoint',
    category,
    event,
    fields: readTracepointFormat(tracefs, category, event).fields,
  });

  it('tracepoint records: scalars, syscall user strings, char arrays, __data_loc, STRCMP, builtins', () => {
    const open = probeContext(tp('syscalls', 'sys_enter_openat'), { btf });
    const b1 = buildProgram(
      open,
      ProgType.Tracepoint,
      [
        'args->dfd',
        'args->flags & 0x40',
        'args->mode',
        'args->filename',
        '(int)args->dfd < 0',
        'args->__syscall_nr',
        '$PID',
        '$TID',
        '$pid',
        '$tgid',
        '$UID',
        '$GID',
        '$cpu',
        '$COMM',
        '$task',
        '$task->pid',
        '$task->real_parent->tgid',
        '$task->comm',
        '$task->mm->arg_start',
        'args->flags ? args->dfd : -1',
        '(u8)args->flags',
        '(s16)(args->flags * 3)',
        'args->filename[1]',
        '*args->filename',
        '(char)(args->flags >> 3)',
        '-args->dfd',
        '~args->mode',
      ],
      {
        predicate: 'STRCMP("/tmp", args->filename) && $PID != 1 || !(args->flags & 1)',
        predicates: ['STRCMP("node", $COMM)', 'STRCMP("/etc/", args->filename)', 'args->dfd == -100', 'args->filename != 0'],
      },
    );
    load(b1.spec);

    const sw = probeContext(tp('sched', 'sched_switch'), { btf });
    load(
      buildProgram(sw, ProgType.Tracepoint, ['args->prev_comm', 'args->prev_pid', 'args->prev_state', 'args->next_comm[0]', 'args->next_prio - 120'], {
        predicates: ['STRCMP("swapper", args->prev_comm)', 'STRCMP("kworker/", args->next_comm)'],
      }).spec,
    );

    const exec = probeContext(tp('sched', 'sched_process_exec'), { btf });
    load(
      buildProgram(exec, ProgType.Tracepoint, ['args->filename', 'args->pid', 'args->old_pid'], {
        predicates: ['STRCMP("/usr/bin/", args->filename)'],
      }).spec,
    );
  });

  it('kprobe sites: BTF parameter names, members through pointers, __user strings, bitfields, casts', () => {
    const ctx = probeContext({ kind: 'kprobe', symbol: 'do_sys_openat2' }, { btf });
    const b = buildProgram(
      ctx,
      ProgType.Kprobe,
      [
        'dfd',
        'filename',
        'how->flags',
        'how->mode',
        'arg1',
        'arg2@user',
        'arg3',
        '((struct file *)arg1)->f_inode->i_ino',
        '((struct file *)arg1)->f_mode',
        '((struct sk_buff *)arg1)->len',
        '((struct sk_buff *)arg1)->pkt_type',
        '((struct sk_buff *)arg1)->cloned',
        '((struct sock *)arg2)->sk_protocol',
        '$task->se.on_rq',
        '((struct task_struct *)arg1)->comm',
        'ctx->dx',
        'ctx->ip',
        '&how->resolve',
        '((struct task_struct *)arg1)->comm[3]',
        'filename + 1',
        '((u64 *)arg3)[2]',
        '((u32 *)arg3)[arg1 & 3]',
      ],
      { predicates: ['STRCMP("/proc", filename)', 'STRCMP("x", arg2@user)', 'dfd < 0 && how->flags > 3'] },
    );
    load(b.spec);

    const sys = probeContext({ kind: 'kprobe', symbol: '__x64_sys_openat' }, { btf });
    load(buildProgram(sys, ProgType.Kprobe, ['arg1', 'arg2', '(int)arg1', 'arg4'], { predicates: ['STRCMP("/", arg2@user)'] }).spec);

    const many = probeContext({ kind: 'kprobe' }, { btf });
    load(buildProgram(many, ProgType.Kprobe, ['arg6', 'arg7', 'arg8'], {}).spec);
  });

  it('uprobes and USDT: user reads, built-in user structs, signatures', () => {
    const sig = parseTraceProbe('p:c:nanosleep(const struct timespec *req, struct timespec *rem) "%d", req->tv_sec').signature!;
    const up = probeContext({ kind: 'uprobe', symbol: 'nanosleep' }, { btf, signature: sig });
    load(
      buildProgram(
        up,
        ProgType.Kprobe,
        [
          'req->tv_sec',
          'req->tv_nsec',
          '((struct timespec *)arg2)->tv_nsec',
          'arg1',
          '(char *)arg1',
          '((struct sockaddr_in *)arg1)->sin_addr.s_addr',
          '((struct sockaddr_in *)arg1)->sin_port',
          '((struct iovec *)arg1)->iov_base',
          '(char *)((struct iovec *)arg1)->iov_base',
        ],
        { predicates: ['STRCMP("abc", arg1)', 'req->tv_sec > 1 || rem == 0'] },
      ).spec,
    );

    const ret = probeContext({ kind: 'uretprobe', symbol: 'malloc' }, { btf });
    load(buildProgram(ret, ProgType.Kprobe, ['retval', '(int)retval', '(char *)retval'], { predicates: ['(int)retval < 0'] }).spec);

    const usdt = probeContext(
      {
        kind: 'usdt',
        args: [
          { kind: 'reg', reg: 'edi', ptRegsOffset: 112, size: 4, signed: true },
          { kind: 'const', value: 5n, size: 4, signed: true },
          { kind: 'deref', base: { name: 'rbp', ptRegsOffset: 32 }, disp: -24, size: 8, signed: false },
          { kind: 'sib', base: { name: 'rbp', ptRegsOffset: 32 }, index: { name: 'rax', ptRegsOffset: 80 }, scale: 8, disp: -96, size: 2, signed: true },
          { kind: 'reg', reg: 'rsi', ptRegsOffset: 104, size: 8, signed: false },
        ],
      },
      { btf },
    );
    load(buildProgram(usdt, ProgType.Kprobe, ['arg1', 'arg2', 'arg3', 'arg4', 'arg1 + arg2 * arg4', 'arg5'], { predicates: ['STRCMP("go", arg5)'] }).spec);
  });

  it('signed arithmetic without ISA v4, address-dispatched reads, argdist spellings', () => {
    const ctx = probeContext({ kind: 'kprobe', symbol: 'do_sys_openat2' }, { btf });
    load(
      buildProgram(
        ctx,
        ProgType.Kprobe,
        [
          '(int)arg1 / (s8)arg2',
          '(long)arg3 % -3',
          '(s16)dfd / 7 - (int)how->flags % (int)arg3',
          '(char *)arg2',
          'filename',
          '((struct open_how *)arg3)->resolve >> (arg1 & 63)',
          '(int)dfd < 0 ? -dfd : dfd',
        ],
        { predicates: ['STRCMP("/", filename)', 'STRCMP("/", (char *)arg2)', '(int)arg1 / 2 < -3'] },
      ).spec,
    );
    const ret = probeContext({ kind: 'kretprobe', symbol: 'do_sys_openat2' }, { btf });
    load(buildProgram(ret, ProgType.Kprobe, ['$retval', '(int)$retval', 'retval / -2'], { predicates: ['(int)$retval < 0'] }).spec);
    const up = probeContext({ kind: 'uprobe', symbol: 'f' }, { btf });
    load(
      buildProgram(up, ProgType.Kprobe, ['$task->comm', '$task->pid', '(char *)arg1', '(int)arg2 / (int)arg3'], {
        predicates: ['STRCMP("x", $task->comm)', 'STRCMP("y", arg1)'],
      }).spec,
    );
  });

  it('return probes with $entry and $latency: entry stash and return load', () => {
    const sig = parseTraceProbe('r::vfs_read(struct file *file, char *buf, size_t count)').signature!;
    const entryCtx = probeContext({ kind: 'kprobe', symbol: 'vfs_read' }, { btf, signature: sig });
    const exprs = ['$latency', '$entry(count)', '$entry(file)->f_flags', 'retval', '$latency / ($entry(count) + 1)'];
    const needs = entryNeeds(
      exprs.map((e) => parseExpr(e)),
      entryCtx,
      { mapName: 'ent_vfs_read' },
    );
    expect(needs.params.map((p) => p.name)).toEqual(['count', 'file']);
    expect(needs.latency).toBe(true);

    const eb = new ProgramBuilder('cmp_entry', ProgType.Kprobe);
    eb.emit(alu64.mov.reg(R6, R1));
    emitEntryStash(eb, entryCtx, needs);
    eb.emit(alu64.mov.imm(R0, 0), exit());
    const retCtx = probeContext({ kind: 'kretprobe', symbol: 'vfs_read' }, { btf, signature: sig, entry: needs });
    const rb = buildProgram(retCtx, ProgType.Kprobe, exprs, { entry: needs, predicates: ['$latency > 1000 && (long)retval >= 0'] });
    using s = new TraceSession();
    s.load(eb.build(), { verbose: true });
    s.load(rb.spec, { verbose: true });
    expect(entrySite(retCtx.site)).toEqual({ kind: 'kprobe', symbol: 'vfs_read' });
  });
});
