/* getpid_loop N [MODE [RATE]]: wait for a line on stdin, then do N events, report the elapsed
 * ns per iteration on stdout, and exit.
 *   (no mode)   N getpid() syscalls
 *   work        N calls of work_fn(i & 63) (64 distinct argument values)
 *   distinct    N calls of work_fn(i) (N distinct argument values)
 *   pace RATE   N getpid() syscalls at about RATE per second (busy-waits between batches)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* work_fn(i) returns i + 1, written in assembly so that it starts with `push %rbp` whatever the
 * compiler does: a uprobe there is emulated, not single-stepped, as on most real functions. */
__asm__(".text\n.globl work_fn\n.type work_fn, @function\nwork_fn:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  lea 1(%rdi), %eax\n  pop %rbp\n  ret\n"
        ".size work_fn, .-work_fn\n");
int work_fn(int i);

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int work = argc > 2 && strcmp(argv[2], "work") == 0;
  int distinct = argc > 2 && strcmp(argv[2], "distinct") == 0;
  int pace = argc > 3 && strcmp(argv[2], "pace") == 0;
  double rate = pace ? atof(argv[3]) : 0;
  char line[16];
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  double a = now_ns();
  volatile int sink = 0;
  if (pace) {
    double per = 1e9 / rate;
    for (long i = 0; i < n; i++) {
      if ((i & 31) == 0)
        while (now_ns() - a < i * per) {
        }
      syscall(SYS_getpid);
    }
  } else {
    for (long i = 0; i < n; i++) {
      if (work) sink += work_fn((int)(i & 63));
      else if (distinct) sink += work_fn((int)i);
      else syscall(SYS_getpid);
    }
  }
  double b = now_ns();
  printf("%.1f\n", (b - a) / n);
  return sink == -7;
}
