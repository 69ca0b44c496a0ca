/*
 * libc_calls N: prints "ready PID", waits for a line, calls libc's sched_yield() and rand()
 * N times each, prints "done", waits for another line and exits. Both functions are among
 * funccount 'c:^[q-s]''s (test/vm/uprobe-sigkill.test.ts): counting them exactly afterwards
 * shows that uprobes on those offsets still fire.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  char line[64];
  unsigned sum = 0;
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (long i = 0; i < n; i++) {
    sched_yield();
    sum += (unsigned)rand();
  }
  printf("done %u\n", sum);
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 0;
  return 0;
}
