/* rawtp_loop MODE N: wait for a line on stdin, do N iterations, report the CPU time of the
 * process (all its threads) per iteration in ns on stdout, and exit. CPU time, not wall time:
 * on a shared machine other tenants' load changes the wall time of a run far more than a
 * tracer's few tens of nanoseconds per event do; the tracer's work at a tracepoint runs in
 * the task that hits it and is counted in its CPU time.
 *   getpid   N getpid() syscalls (one sys_enter_getpid event each)
 *   switch   N round trips of a byte between two threads pinned to CPU 0, over two pipes: two
 *            context switches (sched:sched_switch events) between the threads each */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];

static double cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void pin0(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static void *echo(void *arg) {
  (void)arg;
  pin0();
  char c;
  while (read(ping[0], &c, 1) == 1 && c != 'q') {
    if (write(pong[1], &c, 1) != 1) break;
  }
  return NULL;
}

int main(int argc, char **argv) {
  int sw = argc > 1 && strcmp(argv[1], "switch") == 0;
  long n = argc > 2 ? atol(argv[2]) : 100000;
  pthread_t t;
  if (sw) {
    pin0();
    if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, echo, NULL)) return 1;
  }
  char line[16], c = 'x';
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  double a = cpu_ns();
  for (long i = 0; i < n; i++) {
    if (!sw) syscall(SYS_getpid);
    else if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) return 1;
  }
  double b = cpu_ns();
  if (sw) {
    c = 'q';
    if (write(ping[1], &c, 1) != 1) return 1;
    pthread_join(t, NULL);
  }
  printf("%.1f\n", (b - a) / n);
  return 0;
}
