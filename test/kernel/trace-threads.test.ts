/**
 * trace -p at a tracepoint fired by many threads of one process (issue 17): -p PID names the
 * process (its tgid), so every thread's events are traced, and each event is either printed
 * or reported lost: printed + reported lost = produced, for 8 threads at full speed.
 */
import { readdirSync } from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import { skipKernel, requireKernel, start } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';

const THREADS = `
/* threads T N: prints "ready", waits for a line, then T threads each make N getpid()
 * syscalls (the main thread makes none), prints "done", waits for a line and exits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
static long n;
static pthread_barrier_t gate;
static void *run(void *arg) {
  (void)arg;
  pthread_barrier_wait(&gate);
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  return NULL;
}
int main(int argc, char **argv) {
  int t = argc > 1 ? atoi(argv[1]) : 8;
  n = argc > 2 ? atol(argv[2]) : 1000;
  char line[64];
  pthread_t th[256];
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_barrier_init(&gate, NULL, (unsigned)t + 1);
  for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, run, NULL);
  printf("ready\\n");
  if (!fgets(line, sizeof line, stdin)) return 1;
  pthread_barrier_wait(&gate);
  for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
  printf("done\\n");
  if (!fgets(line, sizeof line, stdin)) return 0;
  return 0;
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipKernel)('trace -p with many threads (kernel)', () => {
  let exe = '';
  beforeAll(() => {
    requireKernel();
    exe = buildC('threads', THREADS, ['-O1', '-pthread']);
  });

  it('8 threads of one process: every thread is traced, printed + reported lost = produced', async () => {
    const T = 8;
    const N = 25_000;
    const w = start(exe, [String(T), String(N)]);
    await w.waitFor('ready');
    const pid = w.child.pid!;
    const tids = new Set(
      readdirSync(`/proc/${pid}/task`)
        .map(Number)
        .filter((x) => x !== pid),
    );
    expect(tids.size).toBe(T);
    const t = start('trace', ['-p', String(pid), 't:syscalls:sys_enter_getpid "%d", args->__syscall_nr']);
    await t.waitFor(/PID\s+TID\s+COMM/, 30_000);
    w.child.stdin.write('go\n');
    await w.waitFor('done', 120_000);
    // until every line is in, or the count stops moving
    const count = () => t.stdout.split('\n').filter((l) => l.includes('sys_enter_getpid')).length;
    for (let last = -1; count() !== last && count() < T * N; ) {
      last = count();
      await sleep(1000);
    }
    t.child.kill('SIGINT');
    expect(await t.exited, t.stderr).toBe(0);
    w.child.stdin.end('\n');
    await w.exited;
    const lines = t.stdout.split('\n').filter((l) => l.includes('sys_enter_getpid'));
    const lost = [...t.stderr.matchAll(/^(\d+) events lost$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(lines.length + lost).toBe(T * N);
    // each printed line is the process's and one of its threads'
    const seen = new Set<number>();
    for (const l of lines) {
      const [p, tid] = l.trim().split(/\s+/).map(Number);
      expect(p).toBe(pid);
      expect(tids.has(tid!)).toBe(true);
      seen.add(tid!);
    }
    // 25,000 events a thread: a thread whose every event was lost would need more loss than that
    if (lost < N) expect(seen.size).toBe(T);
    else expect(seen.size).toBeGreaterThan(0);
  }, 300_000);
});
