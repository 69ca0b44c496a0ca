// A C++ workload with the names a tracer meets in C++ stacks: lambdas, std::function,
// templates, operators, nested and anonymous namespaces, constructors and destructors,
// std::map<std::string, ...>. test/unit/symbols/demangle.test.ts compares our demangler with
// c++filt on every _Z symbol of its symbol table; test/kernel/demangle.test.ts reads malloc
// stacks through the std::function frame.
//
//   cxxapp N
// prints "ready <pid> ...", waits for a line, then calls the registry's "work" entry (a
// std::function), which calls mycrate_work (a function under a Rust v0 name), which calls
// app::work(N): N calls of a lambda through a std::function, each one malloc. Prints "done",
// waits for another line and exits.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace app {
namespace detail {
template <typename T, int N> struct Ring {
  T items[N];
  int head = 0;
  Ring() = default;
  ~Ring() { head = -1; }
  Ring &operator<<(const T &v) {
    items[head++ % N] = v;
    return *this;
  }
  const T &operator[](int i) const { return items[i % N]; }
  bool operator==(const Ring &o) const { return head == o.head; }
  explicit operator bool() const { return head != 0; }
};
} // namespace detail

namespace {
struct Counter {
  long n = 0;
  Counter &operator++() {
    ++n;
    return *this;
  }
  long operator()(long x) const { return n + x; }
};
} // namespace

class Registry {
public:
  Registry() {}
  Registry(const Registry &) = default;
  ~Registry() {}
  void add(const std::string &name, std::function<unsigned long(int)> f) { table_[name] = std::move(f); }
  unsigned long call(const std::string &name, int x) { return table_.at(name)(x); }
  template <typename F> void each(F &&f) const {
    for (auto &kv : table_) f(kv.first);
  }

private:
  std::map<std::string, std::function<unsigned long(int)>> table_;
};

__attribute__((noinline)) unsigned long work(int n) {
  std::function<unsigned long(int)> f = [](int k) -> unsigned long {
    void *volatile p = std::malloc(16 + k % 8);
    std::free(p);
    return 1;
  };
  unsigned long total = 0;
  for (int i = 0; i < n; i++) total += f(i);
  return total;
}
} // namespace app

template <typename T> __attribute__((noinline)) T twice(T v) { return v + v; }

// A frame with a Rust (v0) symbol name, `mycrate::work`, for the Rust half of the demangler.
extern "C" __attribute__((noinline)) unsigned long mycrate_work(int n) __asm__("_RNvCs1234_7mycrate4work");
extern "C" unsigned long mycrate_work(int n) { return app::work(n); }

int main(int argc, char **argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  app::Registry reg;
  reg.add("work", [](int k) { return mycrate_work(k); });
  app::detail::Ring<std::string, 4> ring;
  ring << std::string("a");
  app::Counter c;
  ++c;
  std::vector<std::unique_ptr<app::Registry>> copies;
  copies.push_back(std::make_unique<app::Registry>(reg));
  long seen = 0;
  reg.each([&](const std::string &name) { seen += (long)name.size(); });
  std::printf("ready %d %ld %d %ld %d\n", getpid(), twice(seen), twice(1), c(2), ring == ring && bool(ring) && ring[0].size());
  std::fflush(stdout);
  char line[64];
  if (!std::fgets(line, sizeof line, stdin)) return 1;
  unsigned long total = reg.call("work", n);
  std::printf("done %lu\n", total);
  std::fflush(stdout);
  std::fgets(line, sizeof line, stdin);
  return 0;
}
