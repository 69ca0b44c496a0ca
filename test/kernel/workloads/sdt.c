/* A USDT workload built with <sys/sdt.h>, compiled at -O0 and at -O2 so that the notes hold
 * every argument form gcc emits: constants ($5), registers (%edi, %rax), memory
 * (-20(%rbp)) and, at -O2, base+index*scale ((%rdi,%rsi,8)).
 *
 *   sdt
 * prints "ready <pid>" and reads commands from stdin:
 *   go N   for i in 0..N-1 fires
 *            polytest:args3    (i, 1000 * i - 7, -i)            one site
 *            polytest:consts   (5, -7, 1000)                     one site
 *            polytest:elem     (p[i], i, p[i + 1]), p[j] = j*j-50 one site
 *            polytest:multi    (i, 1, 2 * i) and (i, 2, 3 * i)   two sites (two inlined copies
 *                                                                and one in its own function)
 *            polytest:guarded  (i, N, 7)  only while its semaphore is non-zero
 *          then prints "done G" where G is the number of guarded probes fired
 *   end    exits */
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long table[1024];

__attribute__((noinline)) void sdt_args3(int a, long b, short c) {
  STAP_PROBE3(polytest, args3, a, b, c);
}

__attribute__((noinline)) void sdt_consts(void) {
  STAP_PROBE3(polytest, consts, 5, -7, 1000);
}

__attribute__((noinline)) void sdt_elem(const long *p, long i) {
  STAP_PROBE3(polytest, elem, p[i], i, p[i + 1]);
}

static inline __attribute__((always_inline)) void multi_inline(int x, int k) {
  STAP_PROBE3(polytest, multi, x, k, k * x + x);
}

__attribute__((noinline)) void sdt_multi_a(int x) { multi_inline(x, 1); }
__attribute__((noinline)) void sdt_multi_b(int x) { multi_inline(x, 2); }

/* polytest:guarded alone carries a semaphore: what sdt.h does for every probe of a file
 * compiled with _SDT_HAS_SEMAPHORES (as dtrace -h headers do), switched on for the probes
 * below this point. The kernel's uprobe reference counter (or a tracer that writes
 * /proc/PID/mem) raises the semaphore while the probe is traced. */
__extension__ unsigned short polytest_guarded_semaphore __attribute__((unused)) __attribute__((section(".probes")));
#undef _SDT_SEMAPHORE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR p##_##n##_semaphore)
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_NOTE_SEMAPHORE_USE(provider, name) __asm__ __volatile__("" ::"m"(provider##_##name##_semaphore));

__attribute__((noinline)) int sdt_guarded(int i, int n) {
  if (polytest_guarded_semaphore) {
    STAP_PROBE3(polytest, guarded, i, n, 7);
    return 1;
  }
  return 0;
}

int main(void) {
  char line[64];
  for (int j = 0; j < 1024; j++) table[j] = (long)j * j - 50;
  printf("ready %d\n", getpid());
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "go ", 3) == 0) {
      int n = atoi(line + 3), fired = 0;
      for (int i = 0; i < n; i++) {
        sdt_args3(i, 1000L * i - 7, (short)-i);
        sdt_consts();
        sdt_elem(table, i);
        sdt_multi_a(i);
        sdt_multi_b(i);
        fired += sdt_guarded(i, n);
      }
      printf("done %d\n", fired);
      fflush(stdout);
    } else if (strncmp(line, "end", 3) == 0) {
      break;
    }
  }
  return 0;
}
