/**
 * funccount against the real kernel: exact counts from a deterministic workload on
 * tracepoints, uprobes (executable and shared library, ≥ 10 functions), -p, -c, -d, -i/-T,
 * SIGINT and SIGTERM, and nothing of ours left loaded afterwards.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { skipKernel, requireKernel, start, runTool, programsLeft, lastTable } from '../helpers/kernel.js';
import { counterWorkload, startCounter } from '../helpers/workloads.js';

const N = 1000;

const ours = (): Promise<string[]> => programsLeft(/^funccount/);

async function countWhile(args: string[], work: () => Promise<void>, signal: NodeJS.Signals = 'SIGINT') {
  const tool = start('funccount', args);
  await tool.waitFor(/Hit Ctrl-C to end\.\n/);
  await work();
  tool.child.kill(signal);
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

describe.skipIf(skipKernel)('funccount (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    counterWorkload();
  });

  it("counts a tracepoint exactly for one process (-p), and prints BCC's output", async () => {
    const w = await startCounter(N);
    const r = await countWhile(['-p', String(w.pid), 't:syscalls:sys_enter_getpid'], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Tracing 1 functions for "t:syscalls:sys_enter_getpid"... Hit Ctrl-C to end.\n\n' +
        `${'FUNC'.padEnd(36)} ${'COUNT'.padStart(8)}\n${'syscalls:sys_enter_getpid'.padEnd(36)} ${String(N).padStart(8)}\nDetaching...\n`,
    );
    expect(lastTable(r.stdout).get('syscalls:sys_enter_getpid')).toBe(N);
    expect(await ours()).toEqual([]);
  });

  it('counts a uprobe on an executable exactly', async () => {
    const { exe } = counterWorkload();
    const w = await startCounter(N);
    const r = await countWhile([`${exe}:work_fn`], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    expect(lastTable(r.stdout).get('work_fn')).toBe(N);
  });

  it('-p counts only that process', async () => {
    const { exe } = counterWorkload();
    const a = await startCounter(N);
    const b = await startCounter(N);
    const r = await countWhile(['-p', String(a.pid), `${exe}:work_fn`], async () => {
      await b.go();
      await a.go();
    });
    await Promise.all([a.end(), b.end()]);
    expect(lastTable(r.stdout).get('work_fn')).toBe(N);
  });

  it('-c counts only that CPU', async () => {
    const { exe } = counterWorkload();
    const w0 = await startCounter(N, 0);
    const w1 = await startCounter(N, 1);
    const r = await countWhile(['-c', '1', `${exe}:work_fn`], async () => {
      await w0.go();
      await w1.go();
    });
    await Promise.all([w0.end(), w1.end()]);
    expect(lastTable(r.stdout).get('work_fn')).toBe(N);
  });

  it('a wildcard over 12 library functions counts each exactly', async () => {
    const { lib } = counterWorkload();
    const w = await startCounter(1);
    const r = await countWhile([`${lib}:pt_f*`], () => w.go());
    await w.end();
    expect(r.stdout).toContain('Tracing 12 functions for');
    const rows = lastTable(r.stdout);
    for (let i = 0; i < 12; i++) expect(rows.get(`pt_f${i}`), `pt_f${i}`).toBe(i + 1);
    // Ascending by count, as BCC sorts.
    const names = [...rows.keys()];
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `pt_f${i}`));
  });

  it('-r takes a regular expression', async () => {
    const { lib } = counterWorkload();
    const w = await startCounter(1);
    const r = await countWhile(['-r', `${lib}:^pt_f(1|10)$`], () => w.go());
    await w.end();
    expect(r.stdout).toContain('Tracing 2 functions for');
    expect([...lastTable(r.stdout)]).toEqual([
      ['pt_f1', 2],
      ['pt_f10', 11],
    ]);
  });

  it('SIGTERM prints the final table and leaves nothing loaded', async () => {
    const { exe } = counterWorkload();
    const w = await startCounter(N);
    const r = await countWhile([`${exe}:work_fn`], () => w.go(), 'SIGTERM');
    await w.end();
    expect(r.code).toBe(0);
    expect(lastTable(r.stdout).get('work_fn')).toBe(N);
    expect(r.stdout.endsWith('Detaching...\n')).toBe(true);
    expect(await ours()).toEqual([]);
  });

  it('-d ends by itself; -i prints one table per interval with -T timestamps', async () => {
    const d = await runTool('funccount', ['-d', '1', 't:sched:sched_*']);
    expect(d.code).toBe(0);
    expect(d.stdout.match(/^FUNC/gm)).toHaveLength(1);
    expect(d.stdout.endsWith('Detaching...\n')).toBe(true);
    const i = await runTool('funccount', ['-T', '-i', '1', '-d', '3', 't:sched:sched_*']);
    expect(i.code).toBe(0);
    expect(i.stdout.match(/^FUNC/gm)).toHaveLength(3);
    expect(i.stdout.match(/^\d\d:\d\d:\d\d\s*$/gm)).toHaveLength(3);
    expect(await ours()).toEqual([]);
  });

  it('bad input: one clear line, exit 1, nothing attached', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['t:nosuch:nosuch'], /^funccount: No tracepoints matched by pattern nosuch:nosuch in \/.*\/events \(list them with 'polytrace list t:\*'\)$/m],
      [
        ['t:sched:nosuch'],
        /^funccount: No tracepoints matched by pattern sched:nosuch in \/.*\/events \(did you mean sched:.*\?; list them with 'polytrace list t:sched:\*'\)$/m,
      ],
      [['t:sched:sched_swich'], /^funccount: No tracepoints matched by pattern sched:sched_swich in .* \(did you mean sched:sched_switch\?; /m],
      [
        ['u:/usr/bin/python3.11:function__entyr'],
        /^funccount: No USDT probes matched by pattern function__entyr in \/usr\/bin\/python3\.11 \(did you mean function__entry\?; /m,
      ],
      [['nosuchlib:malloc'], /unable to find library nosuchlib/],
      [
        ['c:no_such_function_here'],
        /No functions matched by pattern no_such_function_here in \/.*libc\.so\.6 \(list them with 'polytrace list uprobe:\/.*libc\.so\.6:\*'\)/,
      ],
      [['c:mallocc'], /No functions matched by pattern mallocc in \/.*libc\.so\.6 \(did you mean malloc\b/],
      [['-p', '999999', 'c:malloc'], /no process with PID 999999/],
      [['a:b:c:d'], /Too many ':'-separated components/],
      [['x:y:z'], /Type must be 'p', 't', or 'u', but got '?x'?/],
      [['-r', 'c:(unclosed'], /invalid regular expression/],
    ];
    for (const [args, msg] of cases) {
      const r = await runTool('funccount', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      // One line says what is wrong; a syntax error adds the spec with a caret under the fault.
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const usage = await runTool('funccount', ['-p', 'abc', 'c:malloc']);
    expect(usage.code).toBe(2);
    expect(await ours()).toEqual([]);
  });
});
