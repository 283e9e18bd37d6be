#include "master/stop_policy.hpp"

#include <cmath>

#include "core/log.hpp"
#include "core/monitor.hpp"
#include "core/text.hpp"

namespace taskfarm {

WalltimeGuard walltime_guard(const Config& config) {
  const std::optional<double> end = config.end_epoch_s;  // resolved in run_job (Slurm's end too)
  if (end)
    log::line("walltime guard: the job ends in " + seconds_text(std::round(*end - epoch_now())) + " s (" + config.end_source +
              "); no task starts with less than " +
              (config.min_time_left_s ? seconds_text(*config.min_time_left_s) + " s"
                                      : std::string("the 90th percentile of the task run times")) +
              " left");
  return WalltimeGuard(end, config.min_time_left_s);
}

StopPolicy::StopPolicy(const Config& config, Transport& transport, Scheduler& scheduler, TaskFeeder& feeder,
                       Dispatcher& dispatcher, const ResultCollector& results, const Collector& collector,
                       JournalWriter* journal, WalltimeGuard& walltime, Silence& silence)
    : config_(config),
      transport_(transport),
      scheduler_(scheduler),
      feeder_(feeder),
      dispatcher_(dispatcher),
      results_(results),
      collector_(collector),
      journal_(journal),
      walltime_(walltime),
      silence_(silence),
      active_workers_(transport.workers()) {}

std::optional<Stop> StopPolicy::check(bool now_and_then) {
  if (collector_.error()) return Stop{StopCause::error, 0, 0, *collector_.error()};
  if (!signal_ && stop_signal()) take_signal();
  if (feeder_.exhausted() && scheduler_.idle()) {
    const bool work_left = work_left_at_stop_ || feeder_.dropped_retries() > 0 || results_.returned() > 0;
    if (signal_ && work_left) return Stop{StopCause::signal, signal_, 0, {}};
    if (walltime_cut_ && work_left) return Stop{StopCause::walltime, 0, 0, {}};
    return Stop{};
  }
  if (signal_ && clock::now() > grace_end_) return Stop{StopCause::grace_expired, signal_, config_.grace_s, {}};
  if (config_.result_timeout_s > 0 && seconds_since(collector_.last_reply()) > config_.result_timeout_s)
    return Stop{StopCause::result_timeout, 0, config_.result_timeout_s, {}};
  // In-process every pass runs a batch: the walltime is checked each time.
  if ((now_and_then || config_.profile.one_rank) && walltime_.active() && !walltime_cut_ && !signal_) check_walltime();
  if (now_and_then && silence_.timed()) return retire_silent_workers();
  return std::nullopt;
}

/// A stop signal: no new tasks; the running ones get the grace period.
void StopPolicy::take_signal() {
  signal_ = stop_signal();
  work_left_at_stop_ = !feeder_.exhausted();
  grace_end_ = clock::now() + seconds(config_.grace_s);
  // Under mpirun, a worker rank that died reaches rank 0 as this SIGTERM: say how to go on.
  log::line(signal_name(signal_) + " received: no new tasks; waiting up to " + seconds_text(config_.grace_s) +
            " s (--grace) for the " + std::to_string(scheduler_.tasks_in_flight()) + " tasks in flight" +
            (journal_ ? "; the same command with --resume continues the run" : ""));
  feeder_.halt();
  // If a worker rank died, a resume needs to know what it was running (in-process, the
  // master would have died with it).
  if (journal_ && !config_.profile.one_rank) journal_->record_in_flight(dispatcher_.in_flight());
}

void StopPolicy::check_walltime() {
  const auto left = walltime_.cut(epoch_now());
  if (!left) return;
  walltime_cut_ = true;
  work_left_at_stop_ = !feeder_.exhausted();
  feeder_.halt();
  log::line("walltime: " + seconds_text(std::round(*left * 10) / 10) + " s left before --end-time, less than " +
            seconds_text(std::round(walltime_.margin_s() * 10) / 10) +
            " s (--min-time-left): no new tasks; the running ones finish, then the run stops (resumable)");
  for (int w = 0; w < scheduler_.workers(); ++w)
    if (!scheduler_.retired(w)) transport_.send(w, Tag::hold, transport_.take_buffer());
}

std::optional<Stop> StopPolicy::retire_silent_workers() {
  const auto now = clock::now();
  for (int w = 0; w < scheduler_.workers(); ++w)
    if (!scheduler_.retired(w) && scheduler_.load(w).tasks_in_flight > 0 && silence_.too_long(w, now)) retire(w);
  if (active_workers_ == 0) return Stop{StopCause::workers_stuck, 0, 0, {}};
  return std::nullopt;
}

/// A worker silent for longer than --task-timeout gets no more work; its tasks go to the
/// others as backup attempts. Whatever it sends later is dropped, so the first result
/// (the backup's) wins and nothing is counted twice.
void StopPolicy::retire(int w) {
  log::line("rank " + std::to_string(transport_.worker_rank(w)) + " sent nothing for " +
            seconds_text(silence_.limit_s()) + " s with " + std::to_string(scheduler_.load(w).tasks_in_flight) +
            " tasks in flight (--task-timeout): no more work for it; its tasks go to other workers");
  scheduler_.retire(w);
  --active_workers_;
  dispatcher_.hand_back(w);
}

}  // namespace taskfarm
