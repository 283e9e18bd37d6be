// The seed example on the public API: n*n for every n in [0, --n).
// Output: one line "n<TAB>n*n" per task, on stdout or in part files with --output DIR.
#include <cstdint>

#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "square: n*n for every n in [0, --n)");
  std::int64_t n = 10;
  app.option("--n", n, "how many integers");
  return app.run(taskfarm::range<std::int64_t>(0, n), [](std::int64_t x) { return x * x; });
}
