/* Twelve exported functions; pt_f<i> is called i+1 times by pt_call_all(). */
#define F(i) __attribute__((noinline)) int pt_f##i(int x) { __asm__ volatile("" ::: "memory"); return x + i; }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)

typedef int (*fn)(int);
static fn const table[12] = { pt_f0, pt_f1, pt_f2, pt_f3, pt_f4, pt_f5, pt_f6, pt_f7, pt_f8, pt_f9, pt_f10, pt_f11 };

void pt_call_all(void) {
  volatile int sink = 0;
  for (int i = 0; i < 12; i++)
    for (int k = 0; k <= i; k++) sink += table[i](k);
}
