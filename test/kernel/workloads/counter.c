/* A deterministic workload for the kernel tests.
 *
 *   counter N [CPU]
 * prints "ready <pid>", waits for a line on stdin, then makes exactly N calls of
 * work_fn(), N getpid() syscalls, and i+1 calls of pt_f<i>() for i in 0..11 (from the
 * shared library libpt.so), prints "done", waits for another line and exits.
 * With CPU, it pins itself to that CPU first. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void pt_call_all(void);

__attribute__((noinline)) int work_fn(int i) {
  __asm__ volatile("" ::: "memory");
  return i * 2;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  if (argc > 2) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(argv[2]), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); return 1; }
  }
  char line[64];
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  volatile int sink = 0;
  for (long i = 0; i < n; i++) sink += work_fn((int)i);
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  pt_call_all();
  printf("done\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return sink == -1;
}
