/* A deterministic workload for the multi-tool VM tests (test/vm/tools.test.ts).
 *
 *   tools OP...
 * prints "ready <pid>", waits for a line on stdin, runs every OP in order, prints "done",
 * waits for another line and exits. OPs:
 *   read:N:SIZE      N read()s of SIZE bytes of /dev/zero (vfs_read count = ret = SIZE)
 *   open:PATH        open(PATH, O_RDONLY) (openat), then close() it if it opened
 *   nsleep:N         N relative nanosleep()s of 20 ms (long enough that the timer cannot expire before the task
 *                    schedules, even in an emulated CPU: each sleep is one sched_switch) (do_nanosleep mode HRTIMER_MODE_REL = 1)
 *   abssleep:N       N clock_nanosleep(TIMER_ABSTIME) to a time already past (HRTIMER_MODE_ABS = 0)
 *   umask:N          N umask() syscalls
 *   readlink:N       N readlink("/proc/self/exe") (vfs_readlink)
 *   tcp:N:SIZE[:N:SIZE...]  over one loopback TCP connection, N send()s of SIZE bytes for each
 *                    pair in order; a forked child drains the other end (it sends nothing)
 *   dio:PATH:N       N O_DIRECT write()s of 4096 bytes at offset 0 of PATH (a block device:
 *                    one submit_bio each)
 * /dev/zero, the dio device and the buffers are opened and allocated before "ready". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void tcp(char *spec) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof a) || listen(srv, 1) ||
      getsockname(srv, (struct sockaddr *)&a, &len)) die("listen");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a)) die("connect");
  int s = accept(srv, NULL, NULL);
  if (s < 0) die("accept");
  pid_t child = fork();
  if (child == 0) {
    static char sink[65536];
    close(c);
    while (read(s, sink, sizeof sink) > 0) {}
    _exit(0);
  }
  close(s);
  static char buf[65536];
  memset(buf, 'x', sizeof buf);
  for (char *p = strtok(spec, ":"); p; p = strtok(NULL, ":")) {
    long n = atol(p);
    char *q = strtok(NULL, ":");
    long size = q ? atol(q) : 0;
    if (size <= 0 || size > (long)sizeof buf) { fprintf(stderr, "tcp: bad size\n"); exit(1); }
    for (long i = 0; i < n; i++)
      if (send(c, buf, size, 0) != size) die("send");
  }
  close(c);
  close(srv);
  waitpid(child, NULL, 0);
}

int main(int argc, char **argv) {
  char line[64];
  int zero = open("/dev/zero", O_RDONLY);
  if (zero < 0) die("/dev/zero");
  long maxread = 1;
  int dio = -1;
  for (int i = 1; i < argc; i++) {
    long n, size;
    if (sscanf(argv[i], "read:%ld:%ld", &n, &size) == 2 && size > maxread) maxread = size;
    if (strncmp(argv[i], "dio:", 4) == 0) {
      char *path = strdup(argv[i] + 4);
      *strrchr(path, ':') = 0;
      dio = open(path, O_WRONLY | O_DIRECT);
      if (dio < 0) die(path);
    }
  }
  char *rbuf = malloc(maxread), *dbuf;
  if (!rbuf || posix_memalign((void **)&dbuf, 4096, 4096)) die("malloc");
  memset(dbuf, 'd', 4096);
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (int i = 1; i < argc; i++) {
    char *op = argv[i];
    long n, size;
    if (sscanf(op, "read:%ld:%ld", &n, &size) == 2) {
      for (long j = 0; j < n; j++)
        if (read(zero, rbuf, size) != size) die("read");
    } else if (strncmp(op, "open:", 5) == 0) {
      int fd = open(op + 5, O_RDONLY);
      if (fd >= 0) close(fd);
    } else if (sscanf(op, "nsleep:%ld", &n) == 1) {
      struct timespec ts = { 0, 20000000 };
      for (long j = 0; j < n; j++) nanosleep(&ts, NULL);
    } else if (sscanf(op, "abssleep:%ld", &n) == 1) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      for (long j = 0; j < n; j++) clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } else if (sscanf(op, "umask:%ld", &n) == 1) {
      for (long j = 0; j < n; j++) syscall(SYS_umask, 022);
    } else if (sscanf(op, "readlink:%ld", &n) == 1) {
      char target[4096];
      for (long j = 0; j < n; j++)
        if (readlink("/proc/self/exe", target, sizeof target) < 0) die("readlink");
    } else if (strncmp(op, "dio:", 4) == 0) {
      n = atol(strrchr(op, ':') + 1);
      for (long j = 0; j < n; j++)
        if (pwrite(dio, dbuf, 4096, 0) != 4096) die("dio write");
    } else if (strncmp(op, "tcp:", 4) == 0) {
      tcp(op + 4);
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 1;
    }
  }
  printf("done\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return 0;
}
