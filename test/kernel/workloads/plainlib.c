/* The shared library of plain.c: plainlib_fn(x) returns 5 * x - 3. */
__attribute__((noinline)) int plainlib_fn(int x) {
  __asm__ volatile("" ::: "memory");
  return 5 * x - 3;
}
