// Rank 0's run: the parts (dispatch, collection, the stop policy, shutdown) in one loop.

#include "master/master.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.hpp"
#include "core/log.hpp"
#include "master/collect.hpp"
#include "master/dispatch.hpp"
#include "master/shutdown.hpp"
#include "master/stop_policy.hpp"
#include "master/watch.hpp"
#include "resume/output_dir.hpp"

namespace taskfarm {

namespace {

// Tasks at least this long (the mean) make a master on shared cores sleep when idle.
constexpr double long_task_s = 50e-6;

/// With --output, every run keeps a journal, so that any run can be resumed.
std::unique_ptr<JournalWriter> open_journal(const Config& config, const RunPlan& plan) {
  if (!config.output_dir) return nullptr;
  return std::make_unique<JournalWriter>(journal_path(*config.output_dir), plan.identity, plan.run,
                                         !plan.resumed.has_value());
}

/// Jobs whose tasks submit tasks keep them in a frontier, logged in the output directory
/// (see Frontier).
std::unique_ptr<Frontier> make_frontier(const Config& config, const JobRoles& job) {
  if (!job.submits) return nullptr;
  std::optional<std::string> log;
  if (config.output_dir) log = submitted_log_path(*config.output_dir);
  return std::make_unique<Frontier>(log);
}

/// The scheduler's limits for this run.
Scheduler make_scheduler(const Transport& transport, const Config& config) {
  BatchPolicy policy = config.batch;
  policy.slots = config.profile.slots;
  return Scheduler(transport.workers(), config.profile.window, policy);
}

/// Everything rank 0 keeps for one run, and the parts that work on it.
class Master {
 public:
  Master(Transport& transport, const JobRoles& job, std::unique_ptr<TaskSource> source, const Config& config,
         const RunPlan& plan, ResultSink& sink)
      : transport_(transport),
        job_(job),
        config_(config),
        plan_(plan),
        sink_(sink),
        watch_(config, start_),
        scheduler_(make_scheduler(transport, config)),
        frontier_(make_frontier(config, job)),
        feeder_(std::move(source), *job.source, config.verbose, frontier_.get()),
        results_(sink, scheduler_, job.results, frontier_.get()),
        walltime_(walltime_guard(config)),
        failures_(feeder_, *job.source, config.retries, config.halt_on_error),
        silence_(transport.workers(), config.profile.master_times_tasks ? config.task_timeout_s : 0),
        journal_(open_journal_noting_error(config, plan)),
        backoff_(config.profile.patient ? Backoff::patient() : Backoff::Limits{}),
        dispatcher_(transport, scheduler_, feeder_, silence_, watch_),
        collector_(transport, scheduler_, dispatcher_, results_, failures_, journal_.get(), sink, watch_, silence_),
        policy_(config, transport, scheduler_, feeder_, dispatcher_, results_, collector_, journal_.get(), walltime_,
                silence_) {
    if (walltime_.active()) results_.record_run_times(&walltime_);
    if (frontier_) prepare_frontier();
    if (plan.resumed) feeder_.skip(&plan.resumed->done);  // done by earlier runs
    if (!plan.crashes.suspects.ranges().empty())
      feeder_.isolate(&plan.crashes, [this](std::uint64_t id, std::uint32_t deaths, const std::string& payload) {
        failures_.give_up(id, deaths, payload);
      });
  }

  RunReport run();

 private:
  Stop loop();
  void flush_after_loop(Stop& stop);
  void finish_report(RunReport& report, const Stop& stop, double loop_s, double idle_s);
  ProgressState progress_state() const;
  void yield_cores_if_tasks_are_long();
  void prepare_frontier();

  /// The journal, or null: a journal that cannot be opened ends the run at its start as an
  /// error (the workers are still stopped).
  std::unique_ptr<JournalWriter> open_journal_noting_error(const Config& config, const RunPlan& plan) {
    try {
      return open_journal(config, plan);
    } catch (const std::exception& e) {
      startup_error_ = e.what();
      return nullptr;
    }
  }

  const clock::time_point start_ = clock::now();
  std::optional<std::string> startup_error_;
  Transport& transport_;
  const JobRoles& job_;
  const Config& config_;
  const RunPlan& plan_;
  ResultSink& sink_;
  Watch watch_;
  Scheduler scheduler_;
  std::unique_ptr<Frontier> frontier_;  // before the journal, which writes its log first
  TaskFeeder feeder_;
  ResultCollector results_;
  WalltimeGuard walltime_;
  FailureHandler failures_;
  Silence silence_;
  std::unique_ptr<JournalWriter> journal_;
  Backoff backoff_;
  bool patient_ = false;  // backoff_ sleeps at once (see yield_cores_if_tasks_are_long)
  Dispatcher dispatcher_;
  Collector collector_;
  StopPolicy policy_;
};

/// A resume rebuilds the frontier from its log; the journal writes the log before the
/// records that commit it. A log that does not match the journal ends the run at its start.
void Master::prepare_frontier() {
  try {
    if (plan_.resumed) frontier_->restore(plan_.resumed->submitted.count, plan_.resumed->submitted.log_bytes, plan_.resumed->done);
  } catch (const std::exception& e) {
    if (!startup_error_) startup_error_ = std::string("--resume: ") + e.what();
  }
  if (journal_) journal_->before_writing([frontier = frontier_.get()] { frontier->flush(); });
}

/// Passes until the stop policy ends the run. An error on the master (its journal, its
/// stdout) or in the in-process worker ends it too: the workers are still stopped, and
/// what was committed stays committed.
Stop Master::loop() {
  std::uint32_t iterations = 0;
  if (startup_error_) return Stop{StopCause::error, 0, 0, *startup_error_};
  try {
    while (true) {
      bool progressed = dispatcher_.dispatch();
      sink_.flush_if_due();  // after feeding: the workers compute while stdout drains
      progressed |= collector_.collect();
      transport_.progress_sends();
      // Now and then, and whenever idle: progress, the walltime, silent workers.
      const bool now_and_then = !progressed || (++iterations & 255) == 0;
      if (now_and_then) watch_.update(progress_state());
      if (auto stop = policy_.check(now_and_then)) return *stop;
      if (now_and_then) yield_cores_if_tasks_are_long();
      if (progressed) backoff_.reset();
      else backoff_.pause();
    }
  } catch (const std::exception& e) {
    return Stop{StopCause::error, 0, 0, e.what()};
  }
}

/// With more ranks than cores, a master that spins between replies takes a core's share
/// from the workers. Once the tasks prove long enough that replies are far apart, it
/// sleeps at once when idle, as for process slots; trivial tasks keep the quick loop.
void Master::yield_cores_if_tasks_are_long() {
  if (patient_ || !config_.profile.cores_shared) return;
  const auto task_s = scheduler_.mean_task_s();
  if (!task_s || *task_s < long_task_s) return;
  backoff_.set_limits(Backoff::patient());
  patient_ = true;
}

ProgressState Master::progress_state() const {
  ProgressState state;
  state.elapsed_s = watch_.now_s();
  state.done = results_.done() + feeder_.skipped();
  state.failed = failures_.failed().size();
  state.total = feeder_.total();
  state.workers = scheduler_.workers();
  for (int w = 0; w < scheduler_.workers(); ++w) state.busy_workers += scheduler_.load(w).tasks_in_flight > 0;
  return state;
}

RunReport Master::run() {
  Stop stop = loop();
  backoff_.reset();
  const double loop_s = watch_.now_s();
  const double idle_s = backoff_.idle_s();
  flush_after_loop(stop);
  RunReport report;
  Shutdown(transport_, scheduler_, config_, job_, plan_, backoff_).run(collector_.accepted_part_bytes(), report, stop);
  if (stop.cause == StopCause::reduce_unfinished) log::line("stopping: " + describe(stop));
  finish_report(report, stop, loop_s, idle_s);
  return report;
}

/// What the loop leaves buffered reaches stdout and the journal; an error there ends the
/// run as an error.
void Master::flush_after_loop(Stop& stop) {
  if (stop.cause != StopCause::none && stop.cause != StopCause::error) log::line("stopping: " + describe(stop));
  try {
    sink_.flush();
    if (journal_) journal_->flush();
  } catch (const std::exception& e) {
    if (stop.cause != StopCause::error) stop = Stop{StopCause::error, 0, 0, e.what()};
  }
}

void Master::finish_report(RunReport& report, const Stop& stop, double loop_s, double idle_s) {
  report.job = config_.job;
  report.parameters = job_.source->parameters();
  // The one-rank mode reports 1 rank and no workers: its worker is the master itself.
  report.ranks = config_.profile.one_rank ? 1 : transport_.workers() + 1;
  report.workers = config_.profile.one_rank ? 0 : transport_.workers();
  report.slurm = slurm_environment();
  if (job_.results) report.task_usage = job_.results->task_usage();
  report.elapsed_s = seconds_since(start_);
  report.master_idle_s = idle_s;
  report.master_busy_s = std::max(0.0, loop_s - idle_s);
  report.master_bytes_sent = transport_.bytes_sent();
  report.master_messages = transport_.messages();
  report.stop_cause = stop.cause;
  report.stop_reason = describe(stop);
  report.tasks_resumed = feeder_.skipped();
  report.master_peak_rss_bytes = peak_rss_bytes();
  report.tasks_total = feeder_.total().value_or(feeder_.produced());
  report.tasks_submitted = feeder_.submitted();
  report.tasks_done = results_.done();
  report.failed_tasks = failures_.failed();
  report.tasks_failed = report.failed_tasks.size();
  report.status = stop.leaves_work() ? RunStatus::incomplete
                  : report.tasks_failed > 0 ? RunStatus::failed
                                            : RunStatus::complete;
  watch_.finish(report.elapsed_s, report.tasks_done + report.tasks_failed);
  report.timeline = watch_.timeline.samples();
  report.completions = watch_.timeline.completions();
}

}  // namespace

RunReport run_master(Transport& transport, const JobRoles& job, std::unique_ptr<TaskSource> source, const Config& config,
                     const RunPlan& plan, ResultSink& sink) {
  return Master(transport, job, std::move(source), config, plan, sink).run();
}

}  // namespace taskfarm
