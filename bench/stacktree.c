// A call tree for the stackcount exit bench: four functions call each other by the base-4
// digits of i, DEPTH levels deep, and the leaf makes a getpid syscall, so one pass over
// i < 4^DEPTH gives 4^DEPTH distinct user stacks (16,384 at depth 7). Loops until killed.
// Build with frame pointers (-O0 -fno-omit-frame-pointer) so the kernel can walk the stacks.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEPTH 7
static volatile long sink;

static void step(int level, unsigned i);

__attribute__((noinline)) static void f0(int level, unsigned i) { step(level, i); sink++; }
__attribute__((noinline)) static void f1(int level, unsigned i) { step(level, i); sink++; }
__attribute__((noinline)) static void f2(int level, unsigned i) { step(level, i); sink++; }
__attribute__((noinline)) static void f3(int level, unsigned i) { step(level, i); sink++; }

__attribute__((noinline)) static void step(int level, unsigned i) {
  if (level == DEPTH) {
    sink += syscall(SYS_getpid);
    return;
  }
  switch (i & 3) {
    case 0: f0(level + 1, i >> 2); break;
    case 1: f1(level + 1, i >> 2); break;
    case 2: f2(level + 1, i >> 2); break;
    default: f3(level + 1, i >> 2); break;
  }
}

int main(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;)
    for (unsigned i = 0; i < (1u << (2 * DEPTH)); i++) step(0, i);
}
