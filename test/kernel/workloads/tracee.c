/* The workload of trace's kernel tests: events with known arguments.
 *
 *   tracee N [threads]
 * prints "ready <pid> <tid>", then for each line on stdin runs one command and prints
 * "done" when finished; EOF or "end" exits:
 *   go      N calls of tracee_fn(i, i * 1000 - 7, "name-<i>") (a uprobe target that returns
 *           i * 3), N lseek(-1, i, SEEK_CUR) syscalls (t:syscalls:sys_enter_lseek with
 *           args->offset == i, fd == -1), and N openat(AT_FDCWD, "/tmp/tracee-<pid>-<i>")
 *           of files that do not exist (t:syscalls:sys_enter_openat)
 *   thread  the same N tracee_fn calls from a second thread (prints "tid <tid>" first)
 *   flood M M calls of tracee_fn as fast as possible (uprobe overload)
 *   tpflood M  M lseek(-1, i, SEEK_CUR) syscalls as fast as possible (tracepoint overload)
 *   char    tracee_chars('A' + i) for i in 0..N-1, and tracee_stack() once
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long n;

__attribute__((noinline)) long tracee_fn(int a, long b, const char *s) {
  __asm__ volatile("" ::: "memory");
  return (long)a * 3 + (s[0] == 0);
}

__attribute__((noinline)) int tracee_chars(char c) {
  __asm__ volatile("" ::: "memory");
  return c;
}

__attribute__((noinline)) int tracee_leaf(int x) {
  __asm__ volatile("" ::: "memory");
  return x + 1;
}

__attribute__((noinline)) int tracee_stack(int x) {
  int r = tracee_leaf(x);
  __asm__ volatile("" ::: "memory");
  return r;
}

static void calls(void) {
  char name[32];
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof name, "name-%ld", i);
    tracee_fn((int)i, i * 1000 - 7, name);
  }
}

static void *thread_main(void *arg) {
  (void)arg;
  printf("tid %ld\n", (long)syscall(SYS_gettid));
  fflush(stdout);
  calls();
  return NULL;
}

int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 100;
  char line[128];
  printf("ready %d %ld\n", getpid(), (long)syscall(SYS_gettid));
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "go", 2) == 0) {
      char path[64];
      calls();
      for (long i = 0; i < n; i++) syscall(SYS_lseek, -1, i, SEEK_CUR);
      for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "/tmp/tracee-%d-%ld", getpid(), i);
        syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
      }
    } else if (strncmp(line, "thread", 6) == 0) {
      pthread_t t;
      pthread_create(&t, NULL, thread_main, NULL);
      pthread_join(t, NULL);
    } else if (strncmp(line, "flood", 5) == 0) {
      long m = atol(line + 5);
      for (long i = 0; i < m; i++) tracee_fn((int)i, i, "x");
    } else if (strncmp(line, "tpflood", 7) == 0) {
      long m = atol(line + 7);
      for (long i = 0; i < m; i++) syscall(SYS_lseek, -1, i, SEEK_CUR);
    } else if (strncmp(line, "char", 4) == 0) {
      for (long i = 0; i < n; i++) tracee_chars((char)('A' + i % 26));
      tracee_stack(1);
    } else if (strncmp(line, "end", 3) == 0) {
      break;
    }
    printf("done\n");
    fflush(stdout);
  }
  return 0;
}
