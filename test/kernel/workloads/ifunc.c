// Calls glibc's IFUNCs strlen and strcmp an exact number of times.
//
//   ifunc N M
// prints "ready <pid>", waits for a line, calls strlen N times and strcmp M times, writes
// "done", waits for another line and exits. Between the two lines it makes no other libc
// call that could reach strlen or strcmp (read and write only).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile unsigned long sink;

int main(int argc, char **argv) {
  long n = atol(argv[1]), m = atol(argv[2]);
  char line[64];
  printf("ready %d\n", getpid());
  fflush(stdout);
  if (read(0, line, sizeof line) <= 0) return 1;
  for (long i = 0; i < n; i++) sink += strlen(argv[i & 1]);
  for (long i = 0; i < m; i++) sink += (unsigned long)strcmp(argv[1], argv[2]);
  if (write(1, "done\n", 5) != 5) return 1;
  if (read(0, line, sizeof line) < 0) return 1;
  return 0;
}
