/* The argdist workload: functions with known argument and return value distributions.
 *
 *   argwork
 * prints "ready <pid>", then runs one command per line of stdin and answers "done" after
 * each:
 *   sizes        take_size(16) ×100, take_size(32) ×50, take_size(4096) ×7
 *   sleep US N   sleepy(US) N times (sleeps US microseconds, timer slack 1 ns)
 *   pairs        pair(x) for x = 1..4, x times each (pair returns 10*x + 1)
 *   names        name_of(i): "alpha" ×3, "beta" ×5, "gamma" ×7
 *   tuples       take2(a, s): (1,"one") ×2, (2,"two") ×4, (1,"two") ×6
 *   getpid N     N getpid() syscalls
 *   end          exit
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KEEP __attribute__((noinline, used))

volatile long sink;

KEEP long take_size(size_t n) {
  __asm__ volatile("" ::: "memory");
  return (long)n + 1;
}

KEEP int sleepy(long us) {
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
  while (nanosleep(&ts, &ts) != 0) {
  }
  return 0;
}

KEEP int pair(int x) {
  __asm__ volatile("" ::: "memory");
  return 10 * x + 1;
}

static const char *const NAMES[] = { "alpha", "beta", "gamma" };

KEEP const char *name_of(int i) {
  __asm__ volatile("" ::: "memory");
  return NAMES[i];
}

KEEP int take2(int a, const char *s) {
  __asm__ volatile("" ::: "memory");
  return a + (int)strlen(s);
}

int main(void) {
  char line[128];
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  printf("ready %d\n", getpid());
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    long a = 0, b = 0;
    if (strncmp(line, "sizes", 5) == 0) {
      for (int i = 0; i < 100; i++) sink += take_size(16);
      for (int i = 0; i < 50; i++) sink += take_size(32);
      for (int i = 0; i < 7; i++) sink += take_size(4096);
    } else if (sscanf(line, "sleep %ld %ld", &a, &b) == 2) {
      for (long i = 0; i < b; i++) sink += sleepy(a);
    } else if (strncmp(line, "pairs", 5) == 0) {
      for (int x = 1; x <= 4; x++)
        for (int i = 0; i < x; i++) sink += pair(x);
    } else if (strncmp(line, "names", 5) == 0) {
      for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3 + 2 * i; k++) sink += (long)strlen(name_of(i));
    } else if (strncmp(line, "tuples", 6) == 0) {
      for (int i = 0; i < 2; i++) sink += take2(1, "one");
      for (int i = 0; i < 4; i++) sink += take2(2, "two");
      for (int i = 0; i < 6; i++) sink += take2(1, "two");
    } else if (sscanf(line, "getpid %ld", &a) == 1) {
      for (long i = 0; i < a; i++) syscall(SYS_getpid);
    } else if (strncmp(line, "end", 3) == 0) {
      break;
    }
    printf("done\n");
    fflush(stdout);
  }
  return 0;
}
