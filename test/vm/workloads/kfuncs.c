/* A deterministic kernel-function workload for the VM tests.
 *
 *   kfuncs N
 * prints "ready <pid>", waits for a line on stdin, then makes exactly N umask() syscalls
 * (__x64_sys_umask), N getppid() syscalls and N one-byte read()s of /dev/zero (vfs_read),
 * prints "done", waits for another line and exits. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  char line[64], c;
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) { perror("/dev/zero"); return 1; }
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (long i = 0; i < n; i++) syscall(SYS_umask, 022);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  for (long i = 0; i < n; i++) if (read(fd, &c, 1) != 1) return 1;
  printf("done\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return 0;
}
