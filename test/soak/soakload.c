/* The soak workload: prints "ready <pid>", waits for a line on stdin, then calls getpid() as
 * fast as it can (SOAK_RATE=N per second when set) until the next line or EOF on stdin, and
 * prints "total <calls>". */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  char line[64];
  long rate = getenv("SOAK_RATE") ? atol(getenv("SOAK_RATE")) : 0;
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct pollfd pfd = {0, POLLIN, 0};
  long n = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    for (int i = 0; i < 1000; i++) syscall(SYS_getpid);
    n += 1000;
    if (poll(&pfd, 1, 0) > 0) break;
    if (rate > 0) {
      for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        double el = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
        if (n <= rate * el) break;
        usleep(200);
      }
    }
  }
  printf("total %ld\n", n);
  fflush(stdout);
  return 0;
}
