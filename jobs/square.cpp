// The seed example, written on the public API as a user would write it: each task is an
// integer n in 0..10000 drawn from a seeded random stream, each result the line
// "n * n = r".

#include <cstdint>

#include "taskfarm/hosted.hpp"
#include "taskfarm/random.hpp"

namespace taskfarm {
namespace {

class Square final : public ProgramJob {
 public:
  int main(App& app) override {
    app.option("--tasks", tasks_, "Number of tasks");
    app.option("--seed", seed_, "Random seed (default: a fresh one, shown in the report)");
    random_ = RandomStream(seed_);
    return app.run(generate(tasks_, [this](std::uint64_t i) { return static_cast<std::int64_t>(random_.at(i) % 10001); }),
                   [](std::int64_t n, Out& out) {
                     if (narrating()) narrate("run task " + std::to_string(n) + " * " + std::to_string(n) + "...");
                     out << n << " * " << n << " = " << n * n << '\n';
                   });
  }

 private:
  std::uint64_t tasks_ = 10;
  std::uint64_t seed_ = fresh_seed();  // drawn before run(): part of the run's identity
  RandomStream random_{0};
};

}  // namespace

TASKFARM_REGISTER_PROGRAM(Square, "square", "Square random integers in 0..10000 (the seed example)");

}  // namespace taskfarm
