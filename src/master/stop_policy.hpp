#pragma once
// When the master stops: the source is done and nothing is in flight; a stop signal and
// its grace period; the walltime guard; --result-timeout; --task-timeout's retiring of
// silent workers; a worker's error.

#include <optional>

#include "core/run_state.hpp"
#include "core/walltime.hpp"
#include "job/config.hpp"
#include "master/collect.hpp"
#include "master/dispatch.hpp"
#include "resume/journal.hpp"

namespace taskfarm {

/// --end-time, or the Slurm job's end; said once in the log.
WalltimeGuard walltime_guard(const Config& config);

class StopPolicy {
 public:
  StopPolicy(const Config& config, Transport& transport, Scheduler& scheduler, TaskFeeder& feeder,
             Dispatcher& dispatcher, const ResultCollector& results, const Collector& collector,
             JournalWriter* journal, WalltimeGuard& walltime, Silence& silence);
  /// After a pass of the master's loop: whether the run ends now, and why (a Stop whose
  /// cause is none: it ran to the end). `now_and_then`: the slower checks are due.
  std::optional<Stop> check(bool now_and_then);

 private:
  void take_signal();
  void check_walltime();
  std::optional<Stop> retire_silent_workers();
  void retire(int w);

  const Config& config_;
  Transport& transport_;
  Scheduler& scheduler_;
  TaskFeeder& feeder_;
  Dispatcher& dispatcher_;
  const ResultCollector& results_;
  const Collector& collector_;
  JournalWriter* journal_;
  WalltimeGuard& walltime_;
  Silence& silence_;
  int signal_ = 0;                 // the stop signal being honoured
  bool walltime_cut_ = false;
  bool work_left_at_stop_ = false;
  clock::time_point grace_end_;
  int active_workers_;
};

}  // namespace taskfarm
