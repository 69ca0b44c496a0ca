/* threads_loop N T: wait for a line on stdin, then T threads make N getpid() syscalls between
 * them (N/T each; the main thread makes none), report the elapsed ns per event on stdout, and
 * exit: the protocol of getpid_loop.c, for trace -p with many threads of one process. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long per;
static pthread_barrier_t gate;

static void *run(void *arg) {
  (void)arg;
  pthread_barrier_wait(&gate);
  for (long i = 0; i < per; i++) syscall(SYS_getpid);
  return NULL;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  int t = argc > 2 ? atoi(argv[2]) : 1;
  pthread_t th[256];
  char line[16];
  if (t < 1 || t > 256) return 2;
  per = n / t;
  pthread_barrier_init(&gate, NULL, (unsigned)t + 1);
  for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, run, NULL);
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  double a = now_ns();
  pthread_barrier_wait(&gate);
  for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
  double b = now_ns();
  printf("%.1f\n", (b - a) / (per * t));
  return 0;
}
