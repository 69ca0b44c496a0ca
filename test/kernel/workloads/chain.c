/* The call-chain workload of the funclatency and stackcount kernel tests.
 *
 *   chain N [DEPTH]
 * prints "ready <pid>", waits for a line on stdin, then:
 *   - calls main -> a -> b -> target exactly N times;
 *   - calls the recursive fact(DEPTH) once (DEPTH+1 calls of fact, nested);
 *   - calls sleep_1ms() 5 times (each sleeps one millisecond);
 *   - makes N getpid() syscalls;
 * prints "sleeps" and, for each sleep_1ms call, "INNER:OUTER" nanoseconds (inside the
 * function around nanosleep, and in main around the call: whatever a probe at entry and
 * return measures lies between the two), then "done", waits for another line and exits.
 * Built with -O0 -fno-omit-frame-pointer; noinline keeps every frame. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile long sink;

__attribute__((noinline)) void target(long i) {
  sink += i;
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void b(long i) {
  target(i);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void a(long i) {
  b(i);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) long fact(long n) {
  long r = n <= 1 ? 1 : n * fact(n - 1);
  __asm__ volatile("" ::: "memory");
  return r;
}

/* A macro, not a function: the tests glob every function of this file. */
#define NOW_NS(t) (clock_gettime(CLOCK_MONOTONIC, &(t)), (t).tv_sec * 1000000000LL + (t).tv_nsec)

long long slept_ns[5];
int sleeps;

__attribute__((noinline)) void sleep_1ms(void) {
  struct timespec ts = {0, 1000000}, t;
  long long t0 = NOW_NS(t);
  nanosleep(&ts, NULL);
  slept_ns[sleeps] = NOW_NS(t) - t0;
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  long depth = argc > 2 ? atol(argv[2]) : 5;
  char line[64];
  prctl(PR_SET_TIMERSLACK, 1UL); /* sleep_1ms: as close to 1 ms as the scheduler allows */
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (long i = 0; i < n; i++) a(i);
  sink += fact(depth);
  long long call_ns[5];
  struct timespec t;
  for (sleeps = 0; sleeps < 5; sleeps++) {
    long long t0 = NOW_NS(t);
    sleep_1ms();
    call_ns[sleeps] = NOW_NS(t) - t0;
  }
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  printf("sleeps");
  for (int i = 0; i < 5; i++) printf(" %lld:%lld", slept_ns[i], call_ns[i]);
  printf("\ndone\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return 0;
}
