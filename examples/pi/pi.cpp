// Monte Carlo pi with a fold: task i throws --samples darts at the unit square from its
// own random stream; the fold adds the hits inside the quarter circle. The last line on
// stdout is the total number of hits: pi is about 4 * hits / (tasks * samples).
// The sum is exact and the same at every rank count, and after --resume.
#include <cstdint>
#include <functional>

#include <taskfarm/taskfarm.hpp>

namespace {

// splitmix64: a small, well-mixed generator whose output is easy to reproduce elsewhere.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

std::uint64_t hits_in_chunk(std::uint64_t chunk, std::uint64_t samples, std::uint64_t seed) {
  std::uint64_t hits = 0;
  std::uint64_t state = splitmix64(seed ^ splitmix64(chunk));
  for (std::uint64_t i = 0; i < samples; ++i) {
    const double x = unit(state = splitmix64(state));
    const double y = unit(state = splitmix64(state));
    hits += x * x + y * y <= 1.0;
  }
  return hits;
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "pi: Monte Carlo hits inside the quarter circle, summed by a fold");
  std::uint64_t tasks = 100;
  std::uint64_t samples = 100000;
  std::uint64_t seed = 1;
  app.option("--tasks", tasks, "number of chunks (tasks)");
  app.option("--samples", samples, "darts per chunk");
  app.option("--seed", seed, "random seed");
  return app.run(taskfarm::range<std::uint64_t>(0, tasks),
                 [&](std::uint64_t chunk) { return hits_in_chunk(chunk, samples, seed); },
                 taskfarm::fold<std::uint64_t>(0, std::plus<>{}));
}
