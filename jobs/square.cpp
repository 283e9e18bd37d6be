// The seed example: each task is an integer n in 0..10000, each result the line
// "n * n = r".

#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/cli.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/random.hpp"
#include "taskfarm/text.hpp"

namespace taskfarm {
namespace {

constexpr std::int64_t max_value = 10000;


class SquareSource final : public TaskSource {
 public:
  SquareSource(std::uint64_t count, std::uint64_t seed) : count_(count), random_(seed) {}
  std::optional<std::uint64_t> size() const override { return count_; }
  bool next(std::string& payload) override {
    if (next_ == count_) return false;
    const auto n = static_cast<std::int64_t>(random_.at(next_++) % (max_value + 1));
    set_value_payload(payload, n);
    return true;
  }

 private:
  std::uint64_t count_;
  RandomStream random_;
  std::uint64_t next_ = 0;
};

class SquareJob final : public JobCommand, public JobSource, public Kernel {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--tasks", tasks_, "Number of tasks")
        ->check(non_negative_integer())
        ->capture_default_str();
    command.add_option("--seed", seed_, "Random seed (default: a fresh one, shown in the report)");
  }
  void check_options(const JobSettings&) override {
    if (!seed_) seed_ = fresh_seed();
  }
  std::unique_ptr<TaskSource> open() override {
    return std::make_unique<SquareSource>(static_cast<std::uint64_t>(tasks_), *seed_);
  }
  std::string describe(std::string_view payload) const override {
    return std::to_string(value_payload<std::int64_t>(payload));
  }
  void run(const TaskView& task, std::string& out) override {
    const std::int64_t n = value_payload<std::int64_t>(task.payload);
    if (narrating()) narrate("run task " + std::to_string(n) + " * " + std::to_string(n) + "...");
    append_decimal(out, n);
    out.append(" * ");
    append_decimal(out, n);
    out.append(" = ");
    append_decimal(out, n * n);
    out.push_back('\n');
  }
  nlohmann::json parameters() const override { return {{"tasks", tasks_}, {"seed", *seed_}}; }

 private:
  std::int64_t tasks_ = 10;
  std::optional<std::uint64_t> seed_;
};

}  // namespace

TASKFARM_REGISTER_JOB(SquareJob, "square", "Square random integers in 0..10000 (the seed example)");

}  // namespace taskfarm
