// The seed example, written on a typed kernel as a user would write it: each task is an
// integer n in 0..10000 drawn from a seeded random stream, each result the line
// "n * n = r".

#include <cstdint>

#include <taskfarm/taskfarm.hpp>

#include "core/random.hpp"
#include "job/work_job.hpp"

namespace taskfarm {
namespace {

class Square final : public TypedJob {
 public:
  void add_options(CLI::App& command) override {
    option(command, "--tasks", tasks_, "Number of tasks");
    option(command, "--seed", seed_, "Random seed (default: a fresh one, shown in the report)");
  }
  detail::Work make_work() override {
    random_ = RandomStream(seed_);
    return detail::line_work(
        generate(tasks_, [this](std::uint64_t i) { return static_cast<std::int64_t>(random_.at(i) % 10001); }),
        [](std::int64_t n, Out& out) {
          if (narrating()) narrate("run task " + std::to_string(n) + " * " + std::to_string(n) + "...");
          out << n << " * " << n << " = " << n * n << '\n';
        });
  }

 private:
  std::uint64_t tasks_ = 10;
  std::uint64_t seed_ = fresh_seed();  // drawn before the run: part of the run's identity
  RandomStream random_{0};
};

}  // namespace

TASKFARM_REGISTER_JOB(Square, "square", "Square random integers in 0..10000 (the seed example)");

}  // namespace taskfarm
