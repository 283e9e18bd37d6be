#pragma once
// The walltime guard (--end-time, --min-time-left): once less time is left before the
// job's end than a task needs, no new task starts; the running ones finish and the run
// commits, resumable. MPI-free.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace taskfarm {

class WalltimeGuard {
 public:
  /// Without `end_epoch_s` the guard never triggers. Without `min_time_left_s` the margin
  /// is the 90th percentile of the task run times observed, once `min_samples` tasks have
  /// finished (0 before).
  WalltimeGuard(std::optional<double> end_epoch_s, std::optional<double> min_time_left_s);
  static constexpr std::size_t min_samples = 20;

  bool active() const { return end_epoch_s_.has_value(); }
  std::optional<double> end_epoch_s() const { return end_epoch_s_; }
  /// A finished task's run time.
  void observe(double run_s);
  /// The time that must be left for a new task to start.
  double margin_s() const;
  /// The seconds left at `now_epoch_s` when they are fewer than margin_s(); nullopt while
  /// there is time enough (or without an end).
  std::optional<double> cut(double now_epoch_s) const;

 private:
  std::optional<double> end_epoch_s_;
  std::optional<double> min_time_left_s_;
  std::vector<double> run_times_;  // the latest `capacity` of them, in a ring
  std::size_t observed_ = 0;
  static constexpr std::size_t capacity = 4096;
  // The percentile, computed again once the observations have grown by a sixteenth:
  // amortised O(1) per task however often the master asks.
  mutable std::optional<double> margin_;
  mutable std::size_t margin_observed_ = 0;
};

/// --end-time: epoch seconds, or "+S" seconds after `now_epoch_s`. Throws UsageError.
double parse_end_time(const std::string& text, double now_epoch_s);

/// The Slurm job's end (epoch seconds) when this runs in one with a time limit:
/// SLURM_JOB_END_TIME, or `squeue -h -j $SLURM_JOB_ID -o %e`. `source` says which.
std::optional<double> slurm_job_end_time(std::string& source);

}  // namespace taskfarm
