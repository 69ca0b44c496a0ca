/* The deterministic workload of test/vm-arm64/arm64.test.ts, cross-compiled for aarch64 by
 * scripts/test-vm.mjs (-O1 -g -fno-omit-frame-pointer, <sys/sdt.h>).
 *
 *   arm64 OP...
 * prints "ready <pid>", waits for a line on stdin, runs every OP in order, prints "done",
 * waits for another line and exits. OPs:
 *   getppid:N   N getppid() syscalls
 *   open:PATH   openat(AT_FDCWD, PATH, O_RDONLY), then close() it if it opened
 *   work:N      N calls of work(i, 1000 + i, ..., 9000 + i): nine arguments, the ninth on the
 *               stack (AAPCS64 passes x0-x7); each returns i * 2. Around each call the USDT
 *               probes demo:tick (i in a register, 42 as a constant, -i from the stack) and
 *               demo:guarded (a semaphore: armed only while a tracer holds it) fire. */
#define _GNU_SOURCE
#define _SDT_HAS_SEMAPHORES 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <unistd.h>

/* _SDT_HAS_SEMAPHORES gives every probe of this file one; only demo:guarded tests it. */
unsigned short demo_tick_semaphore __attribute__((section(".probes")));
unsigned short demo_guarded_semaphore __attribute__((section(".probes")));
/* Counts the calls made while demo:guarded was armed (read at the end). */
static int guarded;

__attribute__((noinline)) long work(int a, long b, long c, long d, long e, long f, long g, long h, long i) {
  __asm__ volatile("" ::: "memory");
  return (long)a * 2 + (b + c + d + e + f + g + h + i) * 0;
}

static void run(char *op) {
  char *arg = strchr(op, ':');
  if (!arg) { fprintf(stderr, "bad op %s\n", op); exit(1); }
  *arg++ = 0;
  if (!strcmp(op, "getppid")) {
    for (long n = atol(arg), k = 0; k < n; k++) getppid();
  } else if (!strcmp(op, "open")) {
    int fd = open(arg, O_RDONLY);
    if (fd >= 0) close(fd);
  } else if (!strcmp(op, "work")) {
    for (int n = atoi(arg), k = 0; k < n; k++) {
      volatile int neg = -k; /* on the stack: the operand is [sp, N] */
      DTRACE_PROBE3(demo, tick, k, 42, neg);
      if (demo_guarded_semaphore) { guarded++; DTRACE_PROBE1(demo, guarded, k); }
      work(k, 1000 + k, 2000 + k, 3000 + k, 4000 + k, 5000 + k, 6000 + k, 7000 + k, 9000 + k);
    }
  } else {
    fprintf(stderr, "unknown op %s\n", op);
    exit(1);
  }
}

int main(int argc, char **argv) {
  char line[64];
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (int k = 1; k < argc; k++) run(argv[k]);
  printf("done guarded=%d\n", guarded);
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 0;
  return 0;
}
