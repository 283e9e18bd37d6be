// Each task sleeps for a drawn number of microseconds. Sleeping needs no core, so this job
// measures the scheduler itself, beyond the core count. Output: "id<TAB>microseconds".
// Written on the public API (taskfarm::App), as a user's program would be.

#include <sys/prctl.h>

#include <chrono>
#include <cstdlib>
#include <cmath>
#include <algorithm>
#include <vector>
#include <thread>

#include <ostream>
#include <stdexcept>
#include <string>

#include <taskfarm/taskfarm.hpp>

#include "core/random.hpp"
#include "job/work_job.hpp"

namespace taskfarm {
namespace {

enum class Distribution { fixed, uniform, lognormal, pareto };
const std::vector<std::string> distribution_names{"fixed", "uniform", "lognormal", "pareto"};

// Shape parameters, fixed so that a distribution name means one thing everywhere.
constexpr double lognormal_sigma = 1.0;
constexpr double pareto_alpha = 1.5;  // heavy tail: finite mean, infinite variance

constexpr double pi = 3.14159265358979323846;

/// The microseconds of task `index`, with mean `mean_us` for every distribution.
std::uint64_t draw_us(Distribution dist, double mean_us, std::uint64_t seed, std::uint64_t index) {
  const double u = uniform01_at(seed, 2 * index);
  double us = mean_us;
  switch (dist) {
    case Distribution::fixed:
      break;
    case Distribution::uniform:
      us = 2 * mean_us * u;
      break;
    case Distribution::lognormal: {
      const double v = uniform01_at(seed, 2 * index + 1);
      const double normal = std::sqrt(-2 * std::log(u)) * std::cos(2 * pi * v);  // Box-Muller
      const double mu = std::log(mean_us) - lognormal_sigma * lognormal_sigma / 2;
      us = std::exp(mu + lognormal_sigma * normal);
      break;
    }
    case Distribution::pareto: {
      const double minimum = mean_us * (pareto_alpha - 1) / pareto_alpha;
      us = minimum / std::pow(u, 1 / pareto_alpha);
      break;
    }
  }
  return static_cast<std::uint64_t>(std::llround(us));
}

/// A task: how long it sleeps. Printed as "sleep N us" (narration, the _failed file).
struct SleepTask {
  std::uint64_t us;
};
std::ostream& operator<<(std::ostream& out, const SleepTask& task) { return out << "sleep " << task.us << " us"; }

/// Task IDs K-1, 2K-1, ... in their first `attempts` attempts (0: all).
template <class T>
bool chosen(const Task<T>& task, std::uint64_t every, std::uint64_t attempts) {
  return every > 0 && task.id() % every == every - 1 && (attempts == 0 || task.attempt() < attempts);
}

class Sleep final : public TypedJob {
 public:
  void add_options(CLI::App& command) override {
    option(command, "--tasks", tasks_, "Number of tasks");
    option(command, "--mean-us", mean_us_, "Mean task length in microseconds");
    option(command, "--dist", dist_name_, "Task length distribution: fixed, uniform, lognormal (sigma 1) or pareto (alpha 1.5)");
    option(command, "--seed", seed_, "Random seed");
    option(command, "--fail-every", fail_every_, "Fail every K-th task (IDs K-1, 2K-1, ...), for testing; 0: none");
    option(command, "--hang-every", hang_every_,
           "Hang (for --hang-s, default an hour) in every K-th task (IDs K-1, 2K-1, ...), for testing "
           "--task-timeout; 0: none");
    option(command, "--hang-attempts", hang_attempts_, "With --hang-every: hang only in the first A attempts; 0: every attempt");
    option(command, "--hang-s", hang_s_, "With --hang-every: how long a hanging task hangs, in seconds");
    option(command, "--fail-attempts", fail_attempts_,
           "With --fail-every: fail only the first A attempts of those tasks; 0: every attempt");
    option(command, "--abort-task", abort_task_,
           "Abort the process (abort()) in task ID, every attempt: a poison task, for testing --resume; -1: none");
  }
  void check() override {
    const auto name = std::find(distribution_names.begin(), distribution_names.end(), dist_name_);
    if (name == distribution_names.end())
      throw UsageError("--dist: " + dist_name_ + " not in {fixed,uniform,lognormal,pareto}");
    dist_ = static_cast<Distribution>(name - distribution_names.begin());
    if (!(mean_us_ >= 0)) throw UsageError("--mean-us: expected a non-negative number, got '" + std::to_string(mean_us_) + "'");
    if (!(hang_s_ > 0)) throw UsageError("--hang-s: expected a positive number, got '" + std::to_string(hang_s_) + "'");
  }
  detail::Work make_work() override {
    return detail::line_work(generate(tasks_, [this](std::uint64_t i) { return SleepTask{draw_us(dist_, mean_us_, seed_, i)}; }),
                             [this](const SleepTask& sleep, Task<SleepTask>& task) { run(sleep, task); });
  }

 private:
  void run(const SleepTask& sleep, Task<SleepTask>& task) const {
    static const bool precise_timers = [] {
      // The default 50 us timer slack would stretch every short sleep.
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      return true;
    }();
    (void)precise_timers;
    if (task.narrating()) task.narrate("run task " + std::to_string(task.id()) + ": sleep " + std::to_string(sleep.us) + " us...");
    if (chosen(task, hang_every_, hang_attempts_)) {
      if (task.narrating()) task.narrate("task " + std::to_string(task.id()) + " hangs (--hang-every)");
      std::this_thread::sleep_for(std::chrono::duration<double>(hang_s_));
    }
    if (abort_task_ >= 0 && task.id() == static_cast<std::uint64_t>(abort_task_)) std::abort();
    std::this_thread::sleep_for(std::chrono::microseconds(sleep.us));
    if (chosen(task, fail_every_, fail_attempts_))
      throw std::runtime_error("injected failure (--fail-every " + std::to_string(fail_every_) + ", attempt " +
                               std::to_string(task.attempt() + 1) + ")");
    task.out() << task.id() << '\t' << sleep.us << '\n';
  }

  std::uint64_t tasks_ = 100;
  double mean_us_ = 1000;
  std::string dist_name_ = "fixed";
  Distribution dist_ = Distribution::fixed;
  std::uint64_t seed_ = 1;
  std::uint64_t fail_every_ = 0;
  std::uint64_t fail_attempts_ = 0;
  std::uint64_t hang_every_ = 0;
  std::uint64_t hang_attempts_ = 1;
  double hang_s_ = 3600;
  std::int64_t abort_task_ = -1;
};

}  // namespace

TASKFARM_REGISTER_JOB(Sleep, "sleep", "Sleep a drawn number of microseconds per task (scheduler benchmarks)");

}  // namespace taskfarm
