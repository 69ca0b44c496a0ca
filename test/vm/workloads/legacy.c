/* The workload of test/vm/syscalls.test.ts (BCC's legacy syscall names, wildcard teardown).
 *
 *   legacy OP...
 * prints "ready <pid>", waits for a line on stdin, runs every OP in order, prints "done",
 * waits for another line and exits. OPs:
 *   read:N:SIZE    N read()s of SIZE bytes from /dev/zero, on fd 42
 *   sockopt:N      N setsockopt(43, SOL_SOCKET, SO_PRIORITY, &i, 4), i = 0..N-1, on a UDP socket at fd 43
 *   tcp:N:SIZE     N send()s of SIZE bytes over one loopback TCP connection; a forked child
 *                  drains the other end
 * The fds are fixed (dup2) so that the tests know the exact argument values. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZERO_FD 42
#define SOCK_FD 43

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void tcp(long n, long size) {
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
  if (size <= 0 || size > (long)sizeof buf) { fprintf(stderr, "tcp: bad size\n"); exit(1); }
  for (long i = 0; i < n; i++)
    if (send(c, buf, size, 0) != size) die("send");
  close(c);
  close(srv);
  waitpid(child, NULL, 0);
}

int main(int argc, char **argv) {
  char line[64];
  int zero = open("/dev/zero", O_RDONLY);
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  if (zero < 0 || sock < 0) die("open");
  if (dup2(zero, ZERO_FD) < 0 || dup2(sock, SOCK_FD) < 0) die("dup2");
  close(zero);
  close(sock);
  static char buf[65536];
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (int i = 1; i < argc; i++) {
    long n, size;
    if (sscanf(argv[i], "read:%ld:%ld", &n, &size) == 2) {
      if (size <= 0 || size > (long)sizeof buf) { fprintf(stderr, "read: bad size\n"); return 1; }
      for (long j = 0; j < n; j++)
        if (read(ZERO_FD, buf, size) != size) die("read");
    } else if (sscanf(argv[i], "sockopt:%ld", &n) == 1) {
      for (int j = 0; j < n; j++)
        if (setsockopt(SOCK_FD, SOL_SOCKET, SO_PRIORITY, &j, sizeof j)) die("setsockopt");
    } else if (sscanf(argv[i], "tcp:%ld:%ld", &n, &size) == 2) {
      tcp(n, size);
    } else {
      fprintf(stderr, "unknown op %s\n", argv[i]);
      return 1;
    }
  }
  printf("done\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return 0;
}
