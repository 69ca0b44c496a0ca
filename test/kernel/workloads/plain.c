/* A workload for uprobes and uretprobes, built as a -no-pie executable and as a PIE, both
 * linked against libplainlib (plainlib.c).
 *
 *   plain
 * prints "ready <pid>" and reads commands from stdin:
 *   go N     calls plain_fn(i), plainlib_fn(i) and plain_off(i) for i in 0..N-1, prints "done"
 *   end      exits
 * plain_fn(x) returns 3 * x + 1; plainlib_fn(x) returns 5 * x - 3; plain_off(x) returns
 * x + 0x06060606, and its first instruction after the prologue is `mov $0x06060606, %eax`,
 * whose immediate bytes (0x06, an opcode invalid in 64-bit mode) make an offset inside that
 * instruction one the kernel refuses to probe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern int plainlib_fn(int x);

__attribute__((noinline)) int plain_fn(int x) {
  __asm__ volatile("" ::: "memory");
  return 3 * x + 1;
}

__attribute__((noinline)) int plain_off(int x) {
  int r;
  __asm__ volatile("movl $0x06060606, %0" : "=a"(r));
  return r + x;
}

int main(void) {
  char line[64];
  volatile int sink = 0;
  printf("ready %d\n", getpid());
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "go ", 3) == 0) {
      int n = atoi(line + 3);
      for (int i = 0; i < n; i++) sink += plain_fn(i);
      for (int i = 0; i < n; i++) sink += plainlib_fn(i);
      for (int i = 0; i < n; i++) sink += plain_off(i);
      printf("done\n");
      fflush(stdout);
    } else if (strncmp(line, "end", 3) == 0) {
      break;
    }
  }
  return sink == 12345;
}
