#pragma once
// A typed kernel's work (include/taskfarm/detail/work.hpp) as a job's roles: the library's
// App and Farm run it, and so do the taskfarm program's jobs written on typed kernels
// (square, sleep, walk). Its kernel is the work's own: the engine calls it directly.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <taskfarm/detail/options.hpp>

#include "job/job.hpp"

namespace taskfarm {

class WorkJob final : public JobSource, public ResultHandler, public Folding {
 public:
  /// `parameters`: the run's identity beside its name (--resume). `has_output_dir`: the
  /// results go to part files, not to rank 0.
  WorkJob(detail::Work& work, nlohmann::json parameters, bool has_output_dir);
  JobRoles roles();

  std::unique_ptr<TaskSource> open() override { return std::move(work_.stream); }
  std::string describe(std::string_view payload) const override { return work_.describe(payload); }
  nlohmann::json parameters() const override { return parameters_; }
  void deliver(const ResultView& result, ResultSink&) override;
  std::string fold_value(const std::vector<PartSlice>& parts) override;

 private:
  detail::Work& work_;
  nlohmann::json parameters_;
  bool part_files_;
};

/// Options' values as the run's identity: each option's value as the run starts (defaults
/// and computed values included), by its name without the dashes.
nlohmann::json option_values(const std::vector<detail::OptionSpec>& options);

/// A built-in job written on a typed kernel, as a user's App program would be: its
/// options (checked as an App's), then its work.
class TypedJob : public JobCommand {
 public:
  void check_options(const JobSettings& settings) final {
    has_output_dir_ = settings.output_dir.has_value();
    check();
  }
  JobRoles roles() final {
    work_ = make_work();
    job_.emplace(work_, option_values(options_), has_output_dir_);
    return job_->roles();
  }

 protected:
  /// Declares `--name VALUE` on `command`, assigned to `value` when parsed.
  template <class V>
  CLI::Option* option(CLI::App& command, const std::string& name, V& value, const std::string& help) {
    detail::OptionSpec& spec = options_.emplace_back(detail::option_spec(name, value, help));
    CLI::Validator valid([check = spec.check](std::string& text) { return check(text); }, "");
    return command.add_option_function<std::string>(name, [assign = spec.assign](const std::string& text) { assign(text); }, help)
        ->check(valid)
        ->type_name(spec.type_name)
        ->default_str(spec.current());
  }
  /// After parsing: throws UsageError naming a bad option.
  virtual void check() {}
  /// The job's source and kernel.
  virtual detail::Work make_work() = 0;

 private:
  std::vector<detail::OptionSpec> options_;
  bool has_output_dir_ = false;
  detail::Work work_;
  std::optional<WorkJob> job_;
};

}  // namespace taskfarm
