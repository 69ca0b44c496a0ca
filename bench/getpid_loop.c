/* getpid_loop N [work]: wait for a line on stdin, then make N getpid() syscalls (or N calls
 * of work_fn with "work"), report the elapsed ns per iteration on stdout, and exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int work_fn(int i) {
  __asm__ volatile("" ::: "memory");
  return i + 1;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int work = argc > 2 && strcmp(argv[2], "work") == 0;
  char line[16];
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  volatile int sink = 0;
  for (long i = 0; i < n; i++) {
    if (work) sink += work_fn((int)i);
    else syscall(SYS_getpid);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
  printf("%.1f\n", ns / n);
  return sink == -7;
}
