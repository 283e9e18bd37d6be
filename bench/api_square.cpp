// The square job as a user writes it on the public API (include/taskfarm/taskfarm.hpp),
// for scripts/bench-api: the same tasks and lines as the built-in job ("n * n = r", n drawn
// from the same random stream), so that the two can be compared run for run.
#include <cstdint>

#include <taskfarm/taskfarm.hpp>

#include "taskfarm/random.hpp"

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "square on the public API (benchmarks)");
  std::uint64_t tasks = 10;
  std::uint64_t seed = 1;
  app.option("--tasks", tasks, "Number of tasks");
  app.option("--seed", seed, "Random seed");
  const taskfarm::RandomStream random(seed);
  return app.run(taskfarm::generate(tasks, [&](std::uint64_t i) { return static_cast<std::int64_t>(random.at(i) % 10001); }),
                 [](std::int64_t n, taskfarm::Out& out) { out << n << " * " << n << " = " << n * n << '\n'; });
}
