#include "core/run_state.hpp"

#include "core/monitor.hpp"
#include "core/text.hpp"

namespace taskfarm {

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::complete: return "complete";
    case RunStatus::failed: return "failed";
    case RunStatus::incomplete: return "incomplete";
  }
  return "incomplete";
}

std::string describe(const Stop& stop) {
  switch (stop.cause) {
    case StopCause::none: return {};
    case StopCause::signal: return signal_name(stop.signal) + " received";
    case StopCause::grace_expired:
      return signal_name(stop.signal) + " received; tasks still running after --grace " + seconds_text(stop.seconds) +
             " s";
    case StopCause::walltime: return "walltime";
    case StopCause::result_timeout: return "no result for " + seconds_text(stop.seconds) + " s (--result-timeout)";
    case StopCause::workers_stuck: return "every worker is stuck (--task-timeout)";
    case StopCause::reduce_unfinished: return "the reduce phase did not finish on rank " + stop.detail;
    case StopCause::error: return stop.detail;
  }
  return {};
}

}  // namespace taskfarm
