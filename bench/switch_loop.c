/* switch_loop N: wait for a line on stdin, then bounce a byte N times between this process and
 * a child over two pipes, both pinned to CPU 0, so that each round trip is two context
 * switches (sched:sched_switch events); report the elapsed ns per round trip and exit. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return 1;
  int ping[2], pong[2];
  if (pipe(ping) || pipe(pong)) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    while (read(ping[0], &c, 1) == 1) {
      if (c == 'q') _exit(0);
      if (write(pong[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  char line[16], c = 'x';
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  double a = now_ns();
  for (long i = 0; i < n; i++) {
    if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) return 1;
  }
  double b = now_ns();
  c = 'q';
  if (write(ping[1], &c, 1) != 1) return 1;
  waitpid(child, NULL, 0);
  printf("%.1f\n", (b - a) / n);
  return 0;
}
