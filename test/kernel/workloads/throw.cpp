// A C++ workload for libstdc++'s own USDT probes (libstdcxx:throw, libstdcxx:catch).
//
//   throw
// prints "ready <pid>" and reads commands from stdin:
//   go N   throws and catches N exceptions (std::runtime_error), prints "done C" where C is
//          the number caught
//   end    exits
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

__attribute__((noinline)) static void thrower(int i) {
  if (i >= 0) throw std::runtime_error("polytrace");
}

int main() {
  char line[64];
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);
  while (std::fgets(line, sizeof line, stdin)) {
    if (std::strncmp(line, "go ", 3) == 0) {
      int n = std::atoi(line + 3), caught = 0;
      for (int i = 0; i < n; i++) {
        try {
          thrower(i);
        } catch (const std::runtime_error &) {
          caught++;
        }
      }
      std::printf("done %d\n", caught);
      std::fflush(stdout);
    } else if (std::strncmp(line, "end", 3) == 0) {
      break;
    }
  }
  return 0;
}
