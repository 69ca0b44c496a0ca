/**
 * stackcount against the real kernel, on the chain workload: the main → a → b → target chain
 * exactly N times (multi-line and folded), user frames symbolised without -P, a syscall
 * tracepoint's kernel stack, --json, --svg, the error paths, nothing left loaded; exact
 * counts over many short intervals (the counts hashes are double-buffered).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, runTool, programsLeft } from '../helpers/kernel.js';
import { chainExe, startChain } from './workloads/chain.js';
import { buildC } from '../helpers/cbuild.js';

/**
 * paced THREADS BURSTS CALLS: prints "ready", waits for a line, then THREADS threads each make
 * BURSTS bursts of CALLS calls of target() (all on one stack), sleeping 100 ms between
 * bursts, so the calls spread over several seconds and many intervals; prints "done", waits
 * for a line and exits.
 */
const PACED = `
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
volatile long sink;
static long bursts, calls;
__attribute__((noinline)) void target(long i) { sink += i; __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void work(void) {
  struct timespec ts = {0, 100000000};
  for (long k = 0; k < bursts; k++) {
    for (long i = 0; i < calls; i++) target(i);
    nanosleep(&ts, NULL);
  }
  __asm__ volatile("" ::: "memory");
}
static void *run(void *arg) { (void)arg; work(); return NULL; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]);
  bursts = atol(argv[2]);
  calls = atol(argv[3]);
  pthread_t t[64];
  char line[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\\n");
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, NULL);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("done\\n");
  fgets(line, sizeof line, stdin);
  return 0;
}
`;

const N = 1000;

const ours = (): Promise<string[]> => programsLeft(/^stackcount/);

/** Resolves once the banner is out (on stderr with --json, not at all with -f: then a pause). */
async function attached(tool: ReturnType<typeof start>, args: readonly string[]): Promise<void> {
  if (args.includes('-f')) return new Promise((r) => setTimeout(r, 1500));
  if (!args.includes('--json')) return tool.waitFor(/Hit Ctrl-C to end\.\n/);
  for (let i = 0; i < 300 && !tool.stderr.includes('Hit Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
}

async function stacksWhile(args: string[], work: () => Promise<void>) {
  const tool = start('stackcount', args);
  await attached(tool, args);
  await work();
  tool.child.kill('SIGINT');
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

describe.skipIf(skipKernel)('stackcount (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    chainExe();
  });

  it('the chain target ← b ← a ← main exactly N times, symbolised without -P', async () => {
    const w = await startChain(N);
    const r = await stacksWhile([`${chainExe()}:target`], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Tracing 1 functions for ".*:target"\.\.\. Hit Ctrl-C to end\.\n\n/);
    expect(r.stdout).toMatch(new RegExp(`\\n  target\\n  b\\n  a\\n  main\\n(  \\S+\\n)*    ${N}\\n\\nDetaching\\.\\.\\.\\n$`));
    expect(r.stdout).not.toMatch(/\[\d+\]/);
    expect(r.stderr).toBe('');
    expect(await ours()).toEqual([]);
  });

  it('-f -p: the folded line comm;…;main;a;b;target N; -P prints comm [pid]', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-f', '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^chain\\S*;(?:[^; ]+;)*main;a;b;target ${N}$`));

    const w2 = await startChain(N);
    const p = await stacksWhile(['-P', '-s', `${chainExe()}:target`], () => w2.go());
    await w2.end();
    expect(p.stdout).toMatch(
      new RegExp(
        `\\n  target\\+0x[0-9a-f]+\\n  b\\+0x[0-9a-f]+\\n  a\\+0x[0-9a-f]+\\n  main\\+0x[0-9a-f]+\\n(  \\S+\\n)*    chain\\S* \\[${w2.pid}\\]\\n    ${N}\\n`,
      ),
    );
  });

  it('a process that exits before the report is still symbolised (maps cached at first sight)', async () => {
    const w = await startChain(N);
    const tool = start('stackcount', [`${chainExe()}:target`]);
    await tool.waitFor(/Hit Ctrl-C to end\.\n/);
    await w.go();
    await new Promise((r) => setTimeout(r, 1200));
    await w.end();
    await new Promise((r) => setTimeout(r, 300));
    tool.child.kill('SIGINT');
    await tool.exited;
    expect(tool.stdout).toMatch(new RegExp(`\\n  target\\n  b\\n  a\\n  main\\n(  \\S+\\n)*    ${N}\\n`));
  });

  it('-K at a syscall tracepoint: the kernel entry frames, N times', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-K', '-p', String(w.pid), 't:syscalls:sys_enter_getpid'], () => w.go());
    await w.end();
    expect(r.stdout).toMatch(new RegExp(`\\n  do_syscall_64\\n  entry_SYSCALL_64\\S*\\n    ${N}\\n`));
    expect(r.stdout).toContain('  syscall_trace_enter\n');
  });

  it('-d with both stacks: kernel frames, --, user frames', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-d', '-p', String(w.pid), 't:syscalls:sys_enter_getpid'], () => w.go());
    await w.end();
    // User side: libc's syscall() keeps no frame pointer, so its caller's frame is skipped.
    expect(r.stdout).toMatch(new RegExp(`\\n  entry_SYSCALL_64\\S*\\n    --\\n  syscall\\n(  \\S+\\n)*    ${N}\\n`));
  });

  it('--json and --svg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackcount-'));
    const svg = join(dir, 'chain.svg');
    const w = await startChain(N);
    const r = await stacksWhile(['--json', '--svg', svg, '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const doc = JSON.parse(r.stdout.trim());
    expect(doc.stacks).toHaveLength(1);
    expect(doc.stacks[0].count).toBe(N);
    expect(doc.stacks[0].user.slice(0, 4).map((f: { sym: string }) => f.sym)).toEqual(['target', 'b', 'a', 'main']);
    expect(existsSync(svg)).toBe(true);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain(`<title>target (${N} events, `);
    expect(text).toContain('</svg>');
  });

  for (const json of [false, true]) {
    it(`-i 1: a known large number of calls over several seconds sums to exactly that number over the intervals${json ? ' (--json)' : ''}`, async () => {
      const [threads, bursts, calls] = [4, 40, 1500];
      const total = threads * bursts * calls;
      const exe = buildC('paced', PACED, ['-O1', '-fno-omit-frame-pointer', '-pthread']);
      const w = start(exe, [String(threads), String(bursts), String(calls)]);
      await w.waitFor('ready');
      const args = ['-i', '1', ...(json ? ['--json'] : []), `${exe}:target`];
      const tool = start('stackcount', args);
      await attached(tool, args);
      w.child.stdin.write('go\n');
      await w.waitFor('done', 120_000);
      // At least one interval after the last call, so the sum is complete before the stop.
      await new Promise((r) => setTimeout(r, 2500));
      tool.child.kill('SIGINT');
      expect(await tool.exited, tool.stderr).toBe(0);
      w.child.stdin.end('\n');
      await w.exited;
      let counts: number[];
      let withTarget: number;
      if (json) {
        const docs = tool.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { stacks: Array<{ count: number; user: Array<{ sym: string }> }>; dropped: number });
        expect(docs.length).toBeGreaterThan(4);
        const stacks = docs.flatMap((d) => d.stacks);
        counts = stacks.map((s) => Number(s.count));
        withTarget = stacks.filter((s) => s.user[0]?.sym === 'target').length;
        expect(Number(docs[docs.length - 1]!.dropped)).toBe(0);
      } else {
        const intervals = tool.stdout.split('\n\n').length;
        expect(intervals).toBeGreaterThan(4);
        counts = [...tool.stdout.matchAll(/^ {4}(\d+)$/gm)].map((m) => Number(m[1]));
        withTarget = [...tool.stdout.matchAll(/\n {2}target\n/g)].length;
      }
      // The calls land in several intervals (a lost increment would make the sum short).
      expect(counts.filter((c) => c > 0).length).toBeGreaterThan(2);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
      expect(withTarget).toBeGreaterThan(2);
      expect(tool.stderr).not.toMatch(/lost|dropped/);
      expect(await ours()).toEqual([]);
    }, 120_000);
  }

  it('--svg into a missing directory: one line, exit 2, nothing attached', async () => {
    const r = await runTool('stackcount', ['--svg', '/nonexistent/dir/x.svg', '-D', '1', 't:sched:sched_switch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'stackcount: argument --svg: cannot write /nonexistent/dir/x.svg: directory /nonexistent/dir does not exist (ENOENT) (give a writable path to a new or regular file)\n',
    );
    expect(r.stdout).toBe('');
  });

  it('--svg whose directory goes away while tracing: one stderr line, the report on stdout, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackcount-gone-'));
    const svg = join(dir, 'chain.svg');
    const w = await startChain(N);
    const args = ['--svg', svg, '-p', String(w.pid), `${chainExe()}:target`];
    const tool = start('stackcount', args);
    await attached(tool, args);
    await w.go();
    rmSync(dir, { recursive: true });
    tool.child.kill('SIGINT');
    expect(await tool.exited).toBe(1);
    await w.end();
    expect(tool.stderr).toBe(
      `stackcount: cannot write ${svg}: directory ${dir} does not exist (ENOENT): the flame graph was not written; the text report is on stdout\n`,
    );
    expect(tool.stdout).toMatch(new RegExp(`\\n  target\\n  b\\n  a\\n  main\\n[^]*    ${N}\\n`));
    expect(tool.stdout).toContain('Detaching...');
    expect(await ours()).toEqual([]);
  });

  it('errors: -K with -U, kernel functions, no match: one line, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-K', '-U', 't:sched:sched_switch'], /-K and -U are mutually exclusive/],
      [['submit_bio'], /kernel function/],
      [['t:nosuch:nosuch'], /No tracepoints matched by pattern nosuch:nosuch in \/.*\/events/],
      [['x:y:z'], /Type must be 'p', 't', or 'u', but got x/],
    ];
    for (const [args, msg] of cases) {
      const r = await runTool('stackcount', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    expect(await ours()).toEqual([]);
  });
});
