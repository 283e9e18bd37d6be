#pragma once
// A run's status and why it stopped, as types; their words are made once, for the log
// and the report.

#include <optional>
#include <string>

namespace taskfarm {

enum class RunStatus {
  complete,    // every task done
  failed,      // ran to the end; some tasks failed every attempt
  incomplete,  // stopped early: resumable (--resume)
};
std::string to_string(RunStatus status);

enum class StopCause {
  none,               // ran to the end
  signal,             // a stop signal; every running task finished in the grace period
  grace_expired,      // a stop signal; tasks still ran when --grace ran out
  walltime,           // the walltime guard (--end-time, Slurm's end)
  result_timeout,     // no result for --result-timeout
  workers_stuck,      // every worker retired by --task-timeout
  reduce_unfinished,  // a worker did not finish its reduce phase
  error,              // an I/O or internal error on the master or a worker: exit 4
};

/// Why a run stopped before its end, with what the words need.
struct Stop {
  StopCause cause = StopCause::none;
  int signal = 0;       // signal, grace_expired
  double seconds = 0;   // grace_expired, result_timeout: the limit
  std::string detail;   // reduce_unfinished: the ranks; error: the message
  /// Whether tasks may be left undone (a resume has work to do).
  bool leaves_work() const { return cause != StopCause::none; }
};
/// "SIGTERM received", "no result for 30 s (--result-timeout)", ...: empty for none.
std::string describe(const Stop& stop);

}  // namespace taskfarm
