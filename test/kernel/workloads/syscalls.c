/* A deterministic syscall workload for the raw-tracepoint tests.
 *
 *   syscalls N K [int80]
 * prints "ready <pid>", waits for a line on stdin, then makes exactly N getpid, 2N getppid,
 * 3N dup (each closed: 3N close), N openat of /dev/null (each closed: N more close) and N
 * uname (the newuname event) syscalls, forks K children and waits for each (K
 * sched_process_fork and K sched_process_wait in this process), prints "done", waits for
 * another line and exits. With int80 (x86-64 with IA32 emulation only), it also makes N
 * ia32 getpid syscalls through `int $0x80` (eax = 20, which is writev's number in the 64-bit
 * table): compat syscalls, which no syscalls:* event reports. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
static long ia32_getpid(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}
#endif

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  long k = argc > 2 ? atol(argv[2]) : 0;
  int int80 = argc > 3 && strcmp(argv[3], "int80") == 0;
  char line[64];
  pid_t self = getpid();
  printf("ready %d\n", self);
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  for (long i = 0; i < 2 * n; i++) syscall(SYS_getppid);
  for (long i = 0; i < 3 * n; i++) syscall(SYS_close, syscall(SYS_dup, 0));
  for (long i = 0; i < n; i++) syscall(SYS_close, syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
  struct utsname u;
  for (long i = 0; i < n; i++) syscall(SYS_uname, &u);
  for (long i = 0; i < k; i++) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    waitpid(c, NULL, 0);
  }
#if defined(__x86_64__)
  if (int80) {
    for (long i = 0; i < n; i++) {
      if (ia32_getpid() != self) {
        printf("int80 failed\n");
        fflush(stdout);
        return 1;
      }
    }
  }
#else
  (void)int80;
  (void)self;
#endif
  printf("done\n");
  fflush(stdout);
  fgets(line, sizeof line, stdin);
  return 0;
}
