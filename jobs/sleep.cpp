// Each task sleeps for a drawn number of microseconds. Sleeping needs no core, so this job
// measures the scheduler itself, beyond the core count. Output: "id<TAB>microseconds".

#include <sys/prctl.h>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <vector>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/cli.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/random.hpp"
#include "taskfarm/text.hpp"

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

class SleepSource final : public TaskSource {
 public:
  SleepSource(std::uint64_t count, Distribution dist, double mean_us, std::uint64_t seed)
      : count_(count), dist_(dist), mean_us_(mean_us), seed_(seed) {}
  std::optional<std::uint64_t> size() const override { return count_; }
  bool next(std::string& payload) override {
    if (next_ == count_) return false;
    const std::uint64_t us = draw_us(dist_, mean_us_, seed_, next_++);
    set_value_payload(payload, us);
    return true;
  }

 private:
  std::uint64_t count_;
  Distribution dist_;
  double mean_us_;
  std::uint64_t seed_;
  std::uint64_t next_ = 0;
};


class SleepJob final : public JobCommand, public JobSource, public Kernel {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--tasks", tasks_, "Number of tasks")->check(non_negative_integer())->capture_default_str();
    command.add_option("--mean-us", mean_us_, "Mean task length in microseconds")
        ->check(non_negative_number())
        ->capture_default_str();
    command.add_option("--dist", dist_name_, "Task length distribution: fixed, uniform, lognormal (sigma 1) or pareto (alpha 1.5)")
        ->check(CLI::IsMember(distribution_names))
        ->capture_default_str();
    command.add_option("--seed", seed_, "Random seed")->capture_default_str();
    command.add_option("--fail-every", fail_every_, "Fail every K-th task (IDs K-1, 2K-1, ...), for testing; 0: none")
        ->check(non_negative_integer())
        ->capture_default_str();
    command.add_option("--hang-every", hang_every_,
                       "Hang (for --hang-s, default an hour) in every K-th task (IDs K-1, 2K-1, ...), for testing "
                       "--task-timeout; 0: none")
        ->check(non_negative_integer())
        ->capture_default_str();
    command.add_option("--hang-attempts", hang_attempts_, "With --hang-every: hang only in the first A attempts; 0: every attempt")
        ->check(non_negative_integer())
        ->capture_default_str();
    command.add_option("--hang-s", hang_s_, "With --hang-every: how long a hanging task hangs, in seconds")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--fail-attempts", fail_attempts_,
                       "With --fail-every: fail only the first A attempts of those tasks; 0: every attempt")
        ->check(non_negative_integer())
        ->capture_default_str();
  }
  void check_options(const JobSettings&) override {
    const auto name = std::find(std::begin(distribution_names), std::end(distribution_names), dist_name_);
    dist_ = static_cast<Distribution>(name - std::begin(distribution_names));
  }
  std::unique_ptr<TaskSource> open() override {
    return std::make_unique<SleepSource>(static_cast<std::uint64_t>(tasks_), dist_, mean_us_, seed_);
  }
  std::string describe(std::string_view payload) const override {
    return "sleep " + std::to_string(value_payload<std::uint64_t>(payload)) + " us";
  }
  void run(const TaskView& task, std::string& out) override {
    static const bool precise_timers = [] {
      // The default 50 us timer slack would stretch every short sleep.
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      return true;
    }();
    (void)precise_timers;
    const std::uint64_t us = value_payload<std::uint64_t>(task.payload);
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": sleep " + std::to_string(us) + " us...");
    if (chosen(task, hang_every_, hang_attempts_)) {
      if (narrating()) narrate("task " + std::to_string(task.id) + " hangs (--hang-every)");
      std::this_thread::sleep_for(std::chrono::duration<double>(hang_s_));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(us));
    if (chosen(task, fail_every_, fail_attempts_))
      throw std::runtime_error("injected failure (--fail-every " + std::to_string(fail_every_) + ", attempt " +
                               std::to_string(task.attempt + 1) + ")");
    append_decimal(out, task.id);
    out.push_back('\t');
    append_decimal(out, us);
    out.push_back('\n');
  }
  nlohmann::json parameters() const override {
    return {{"tasks", tasks_},           {"mean_us", mean_us_},           {"dist", dist_name_},
            {"seed", seed_},             {"fail_every", fail_every_},     {"fail_attempts", fail_attempts_},
            {"hang_every", hang_every_}, {"hang_attempts", hang_attempts_}, {"hang_s", hang_s_}};
  }

 private:
  /// Task IDs K-1, 2K-1, ... in their first `attempts` attempts (0: all).
  static bool chosen(const TaskView& task, std::int64_t every, std::int64_t attempts) {
    return every > 0 && task.id % static_cast<std::uint64_t>(every) == static_cast<std::uint64_t>(every - 1) &&
           (attempts == 0 || task.attempt < static_cast<std::uint64_t>(attempts));
  }

  std::int64_t tasks_ = 100;
  double mean_us_ = 1000;
  std::string dist_name_ = "fixed";
  Distribution dist_ = Distribution::fixed;
  std::uint64_t seed_ = 1;
  std::int64_t fail_every_ = 0;
  std::int64_t fail_attempts_ = 0;
  std::int64_t hang_every_ = 0;
  std::int64_t hang_attempts_ = 1;
  double hang_s_ = 3600;
};

}  // namespace

TASKFARM_REGISTER_JOB(SleepJob, "sleep", "Sleep a drawn number of microseconds per task (scheduler benchmarks)");

}  // namespace taskfarm
