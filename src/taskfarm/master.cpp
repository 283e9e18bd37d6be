#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "taskfarm/backoff.hpp"
#include "taskfarm/clock.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/pipeline.hpp"
#include "taskfarm/text.hpp"
#include "taskfarm/transport.hpp"

namespace taskfarm {

namespace {

// Batches waiting in the pass's messages before they go out, at most: on a large farm the
// first workers compute while the rest are filled.
constexpr std::size_t max_outgoing_bytes = 256 * 1024;

/// For a reduce job resumed: the map output of earlier runs that worker `worker` reads back
/// (their part files, round-robin over the workers).
std::vector<PartSlice> earlier_output_for(const JobRoles& job, const Config& config, const RunPlan& plan, int worker,
                                          int workers) {
  std::vector<PartSlice> slices;
  if (!job.reduce) return slices;
  const std::vector<PartSlice> earlier = earlier_parts(*config.output_dir, plan);
  for (std::size_t i = static_cast<std::size_t>(worker); i < earlier.size(); i += static_cast<std::size_t>(workers))
    slices.push_back(earlier[i]);
  return slices;
}

RunReport base_report(const Config& config, const JobRoles& job, int ranks, int workers) {
  RunReport report;
  report.job = config.job;
  report.parameters = job.source->parameters();
  report.ranks = ranks;
  report.workers = workers;
  report.slurm = slurm_environment();
  if (job.results) report.task_usage = job.results->task_usage();
  return report;
}

/// With --output, every run keeps a journal, so that any run can be resumed.
std::unique_ptr<JournalWriter> open_journal(const Config& config, const RunPlan& plan) {
  if (!config.output_dir) return nullptr;
  return std::make_unique<JournalWriter>(journal_path(*config.output_dir), plan.identity, plan.run,
                                         !plan.resumed.has_value());
}

/// Progress on stderr and the report's timeline: what both master modes update between
/// batches.
class Watch {
 public:
  Watch(const Config& config, clock::time_point start)
      : start_(start),
        progress_(parse_progress_mode(config.progress, stderr_reaches_terminal()), config.progress_interval_s,
                  [](std::string_view text) {
                    if (!text.empty() && (text[0] == '\r' || text == "\n")) log::raw(text);
                    else log::line(text);
                  }) {}
  double now_s() const { return seconds_since(start_); }
  /// Draws progress when due and records the completed count.
  void update(const ProgressState& state) {
    progress_.update(state);
    timeline.completed(state.elapsed_s, state.done + state.failed);
  }
  void finish(const RunReport& report) {
    timeline.completed(report.elapsed_s, report.tasks_done + report.tasks_failed, true);
    progress_.finish();
  }
  Timeline timeline;

 private:
  clock::time_point start_;
  Progress progress_;
};

ProgressState progress_state(double elapsed_s, const TaskFeeder& feeder, const ResultCollector& results,
                             const FailureHandler& failures, const Scheduler& scheduler) {
  ProgressState state;
  state.elapsed_s = elapsed_s;
  state.done = results.done() + feeder.skipped();
  state.failed = failures.failed().size();
  state.total = feeder.total();
  state.workers = scheduler.workers();
  for (int w = 0; w < scheduler.workers(); ++w) state.busy_workers += scheduler.load(w).tasks_in_flight > 0;
  return state;
}

/// What the scheduler knows of a worker, as the report shows it.
WorkerReport worker_report(int rank, const WorkerLoad& load) {
  WorkerReport r;
  r.rank = rank;
  r.tasks = load.tasks_done + load.tasks_failed;
  r.failed = load.tasks_failed;
  r.busy_s = load.busy_s;
  r.max_task_s = load.max_task_s;
  r.round_trip_s = load.round_trip_s.value();
  r.turnaround_s = load.turnaround_s.value();
  return r;
}

/// How long stop_workers waits for a worker's goodbye.
struct GoodbyeWait {
  double suspect_s = 2;  // a worker holding tasks or retired: maybe stuck inside a kernel
  double healthy_s;      // the others, which may be running a reduce phase
  double grace_s;        // after a stop signal, for everyone
};

/// A reply that comes after its tasks were handed to another worker (--task-timeout) or
/// after the run stopped: its results do not count.
void log_dropped_reply(int rank, const std::string& reply) {
  log::line("rank " + std::to_string(rank) + " replied late: " +
            std::to_string(ResultBatchReader(reply).header().results) + " results dropped");
}

/// Sends each worker its stop message and waits for its goodbye, whose figures go into
/// report.per_worker. A stop signal cuts every wait to the grace period. Those that never
/// answer are logged and left unanswered in the report.
void stop_workers(Transport& transport, const Scheduler& scheduler, std::vector<std::string> stop_messages,
                  const std::vector<std::uint64_t>& accepted_part_bytes, const GoodbyeWait& wait, Backoff& backoff,
                  RunReport& report) {
  const int workers = scheduler.workers();
  std::vector<clock::time_point> answer_by(static_cast<std::size_t>(workers));
  int goodbyes_due = workers;
  const auto now = clock::now();
  auto suspect = [&](int w) { return scheduler.load(w).tasks_in_flight > 0 || scheduler.retired(w); };
  for (int w = 0; w < workers; ++w) {
    const WorkerLoad& load = scheduler.load(w);
    answer_by[static_cast<std::size_t>(w)] = now + seconds(suspect(w) ? wait.suspect_s : wait.healthy_s);
    transport.send(w, Tag::stop, std::move(stop_messages[static_cast<std::size_t>(w)]));
    WorkerReport& r = report.per_worker.emplace_back(worker_report(transport.worker_rank(w), load));
    r.part_bytes = accepted_part_bytes[static_cast<std::size_t>(w)];
    r.retired = scheduler.retired(w);
    r.answered = false;
  }
  std::string inbox;
  const bool signalled_before = stop_signal() != 0;  // the main loop has said so already
  bool signalled = false;
  while (goodbyes_due > 0) {
    const auto t = clock::now();
    if (!signalled && stop_signal()) {
      signalled = true;
      if (!signalled_before)
        log::line(signal_name(stop_signal()) + " received: waiting up to " + seconds_text(wait.grace_s) +
                  " s (--grace) for the workers to finish");
      for (auto& d : answer_by) d = std::min(d, t + seconds(wait.grace_s));
    }
    if (std::none_of(answer_by.begin(), answer_by.end(), [&](clock::time_point d) { return d > t; })) break;
    const auto envelope = transport.poll(inbox);
    transport.progress_sends();
    if (!envelope) {
      backoff.pause();
      continue;
    }
    backoff.reset();
    if (envelope->tag != Tag::goodbye) {  // a late reply: the tasks were done elsewhere or not at all
      if (envelope->tag == Tag::results) log_dropped_reply(transport.worker_rank(envelope->source), inbox);
      continue;
    }
    std::string_view body = inbox;
    const auto goodbye = wire::get<WorkerGoodbye>(body);
    const int worker = envelope->source;
    auto& w = report.per_worker[static_cast<std::size_t>(worker)];
    w.idle_s = goodbye.idle_s;
    w.messages = goodbye.messages_received + goodbye.messages_sent;
    w.bytes_written = goodbye.bytes_written;
    w.bytes_read = goodbye.bytes_read;
    w.peak_rss_bytes = goodbye.peak_rss_bytes;
    w.answered = true;
    answer_by[static_cast<std::size_t>(worker)] = clock::time_point::min();
    --goodbyes_due;
  }
  for (int w = 0; w < workers; ++w) {
    if (report.per_worker[static_cast<std::size_t>(w)].answered) continue;
    log::line("rank " + std::to_string(transport.worker_rank(w)) + " did not answer the stop message" +
              (suspect(w) ? ": it is stuck" : " in time"));
  }
}

void finish_report(RunReport& report, const TaskFeeder& feeder, const ResultCollector& results,
                   const FailureHandler& failures, bool complete, const std::string& stop_reason, Watch& watch) {
  report.stop_reason = stop_reason;
  report.tasks_resumed = feeder.skipped();
  report.master_peak_rss_bytes = peak_rss_bytes();
  report.tasks_total = feeder.total().value_or(feeder.produced());
  report.tasks_done = results.done();
  report.failed_tasks = failures.failed();
  report.tasks_failed = report.failed_tasks.size();
  report.status = !complete ? "incomplete" : report.tasks_failed > 0 ? "failed" : "complete";
  watch.finish(report);
  report.timeline = watch.timeline.samples();
  report.completions = watch.timeline.completions();
}

/// --end-time, or the Slurm job's end; said once in the log.
WalltimeGuard walltime_guard(const Config& config) {
  std::string source = "--end-time";
  std::optional<double> end = config.end_epoch_s;
  if (!end) end = slurm_job_end_time(source);
  if (end)
    log::line("walltime guard: the job ends in " + seconds_text(std::round(*end - epoch_now())) + " s (" + source +
              "); no task starts with less than " +
              (config.min_time_left_s ? seconds_text(*config.min_time_left_s) + " s"
                                      : std::string("the 90th percentile of the task run times")) +
              " left");
  return WalltimeGuard(end, config.min_time_left_s);
}

}  // namespace

std::vector<PartSlice> earlier_parts(const std::string& dir, const RunPlan& plan) {
  std::vector<PartSlice> parts;
  if (plan.resumed)
    for (const auto& [key, bytes] : plan.resumed->part_bytes)
      if (bytes > 0) parts.push_back({temporary_part_path(dir, key.rank, key.run), bytes});
  return parts;
}

ExitCode exit_code_for(const RunReport& report) {
  if (report.status == "incomplete") return ExitCode::incomplete;
  if (report.tasks_failed > 0) return ExitCode::tasks_failed;
  if (!report.stuck_ranks().empty()) return ExitCode::rank_stuck;
  return ExitCode::success;
}

std::optional<RunReport> run_this_rank(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink) {
  if (channel.rank() != master_rank) {
    run_worker(channel, job, config, plan.run);
    return std::nullopt;
  }
  if (channel.size() == 1) {
    LocalTransport alone(job, config, plan.run);
    return run_master(alone, job, std::move(source), config, plan, sink);
  }
  MpiTransport workers(channel);
  return run_master(workers, job, std::move(source), config, plan, sink);
}

RunReport run_master(Transport& transport, const JobRoles& job, std::unique_ptr<TaskSource> source, const Config& config,
                     const RunPlan& plan, ResultSink& sink) {
  const auto start = clock::now();
  Watch watch(config, start);
  const int workers = transport.workers();
  BatchPolicy policy = config.batch;
  // Process slots: as many as the workers claimed (the most of any one).
  if (!job.slots) policy.slots = 1;
  // In-process, the worker runs what it holds when polled: one batch at a time (one per
  // process slot, and one more), so that the master's loop runs between batches.
  const int window = transport.in_process() ? static_cast<int>(policy.slots) + (job.slots ? 1 : 0) : config.window;
  Scheduler scheduler(workers, window, policy);
  TaskFeeder feeder(std::move(source), *job.source, config.verbose);
  ResultCollector results(sink, scheduler, job.results);
  WalltimeGuard walltime = walltime_guard(config);
  if (walltime.active()) results.record_run_times(&walltime);
  bool walltime_cut = false;
  FailureHandler failures(feeder, *job.source, config.retries, config.halt_on_error);
  std::vector<FailedAttempt> failed_attempts;
  // The batches each worker holds: a failed task is retried from them, and a stuck
  // worker's tasks are handed out again.
  std::vector<HeldBatches> held;
  held.reserve(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) held.emplace_back(feeder);
  // --task-timeout: since when each worker with tasks has been silent.
  std::vector<clock::time_point> silent_since(static_cast<std::size_t>(workers), start);
  const bool backups = config.task_timeout_s > 0 && !job.slots;  // process slots kill their own
  int active_workers = workers;
  std::vector<std::uint64_t> accepted_part_bytes(static_cast<std::size_t>(workers), 0);
  auto journal = open_journal(config, plan);
  if (plan.resumed) feeder.skip(&plan.resumed->done);  // done by earlier runs
  if (!plan.crashes.suspects.ranges().empty())
    feeder.isolate(&plan.crashes, [&](std::uint64_t id, std::uint32_t deaths, const std::string& payload) {
      failures.give_up(id, deaths, payload);
    });
  std::vector<IdRun> done_ids;
  Backoff backoff(job.slots ? Backoff::patient() : Backoff::Limits{});
  std::string inbox;
  auto last_reply = clock::now();
  bool complete = true;
  std::string stop_reason;
  int stopping_on = 0;          // the stop signal being honoured
  bool work_left_at_stop = false;
  clock::time_point grace_end;
  std::uint32_t iterations = 0;
  TaskBatchWriter batch;  // one for every batch: its storage is reused
  std::optional<int> streaming_from;  // a worker sending a task's output in chunks: heard alone

  // A worker silent for longer than --task-timeout gets no more work; its tasks go to the
  // others as backup attempts. Whatever it sends later is dropped, so the first result
  // (the backup's) wins and nothing is counted twice.
  auto retire = [&](int w) {
    log::line("rank " + std::to_string(transport.worker_rank(w)) + " sent nothing for " + seconds_text(config.task_timeout_s) +
              " s with " + std::to_string(scheduler.load(w).tasks_in_flight) +
              " tasks in flight (--task-timeout): no more work for it; its tasks go to other workers");
    scheduler.retire(w);
    --active_workers;
    HeldBatches& batches = held[static_cast<std::size_t>(w)];
    batches.visit(batches.size(), [&](const TaskView& task) {
      feeder.retry(task, w);
      return false;
    });
    batches.pop_front(batches.size());
  };

  // Each worker's Tag::tasks message being filled in this pass: its batches travel
  // together (at --batch 1, one message per refill instead of one per task).
  std::vector<std::string> outgoing(static_cast<std::size_t>(workers));
  std::vector<int> outgoing_to;
  std::size_t outgoing_bytes = 0;
  auto send_outgoing = [&] {
    for (const int w : outgoing_to) transport.send(w, Tag::tasks, std::move(outgoing[static_cast<std::size_t>(w)]));
    outgoing_to.clear();
    outgoing_bytes = 0;
  };

  while (true) {
    bool progressed = false;
    // Give every worker with room another batch (the scheduler decides how many it holds).
    // A worker for which only other workers' retries are left is passed over, once each.
    std::size_t passed_over = 0;
    double send_s = -1;  // read once, when a batch goes
    while (!feeder.exhausted()) {
      const auto worker = scheduler.next_ready_worker();
      if (!worker) break;
      HeldBatches& holding = held[static_cast<std::size_t>(*worker)];
      std::string& message = outgoing[static_cast<std::size_t>(*worker)];
      // 0: what is kept for its batches and their unsent buffers fill its byte budget
      const std::size_t room = holding.room(transport.unsent_bytes(*worker) + message.size());
      const bool opens_message = message.empty();
      if (room > 0 && opens_message && message.capacity() == 0) message = transport.take_buffer();
      if (room > 0) batch.start_framed(message);
      if (room == 0 || feeder.fill(batch, scheduler.next_batch_size(feeder.undispatched()), *worker, workers, room,
                                   holding.empty()) == 0) {
        if (room > 0) batch.discard();
        if (++passed_over >= scheduler.defer_front()) break;
        continue;
      }
      if (backups && holding.empty()) silent_since[static_cast<std::size_t>(*worker)] = clock::now();
      if (send_s < 0) send_s = watch.now_s();
      scheduler.on_sent(*worker, batch.count(), send_s);
      if (feeder.filled_alone()) scheduler.hold_alone(*worker);
      holding.add(batch.batch(), batch.groups(), send_s);
      if (opens_message) outgoing_to.push_back(*worker);
      // Not too much at once: the first workers' batches go while the others' fill.
      if ((outgoing_bytes += batch.bytes()) >= max_outgoing_bytes) send_outgoing();
      progressed = true;
    }
    send_outgoing();
    sink.flush_if_due();  // after feeding: the workers compute while stdout drains
    double arrival_s = -1;  // read once, when a reply has come
    while (auto envelope = transport.poll(inbox, streaming_from)) {
      const int worker = envelope->source;
      const int rank = transport.worker_rank(worker);
      progressed = true;
      if (envelope->tag == Tag::output) {  // written at once: a task's output may not fit in memory
        std::string_view chunk = inbox;
        const auto header = wire::get<OutputChunk>(chunk);
        if (!scheduler.retired(worker)) {
          sink.write(chunk);
          sink.flush();
        }
        streaming_from = header.last ? std::nullopt : std::optional<int>(worker);
        continue;
      }
      if (envelope->tag != Tag::results)
        throw std::runtime_error("unexpected message tag " + std::to_string(static_cast<int>(envelope->tag)) +
                                 " from rank " + std::to_string(rank));
      if (scheduler.retired(worker)) {  // its tasks were handed out again: the first result wins
        log_dropped_reply(rank, inbox);
        continue;
      }
      auto& batches = held[static_cast<std::size_t>(worker)];
      const ResultBatchHeader header = ResultBatchReader(inbox).header();
      const auto acknowledged = std::min<std::size_t>(header.batches_completed, batches.size());
      if (arrival_s < 0) arrival_s = watch.now_s();
      if (acknowledged > 0)  // the path's delay: the newest batch's round trip, less its time on the worker
        scheduler.on_round_trip(worker, arrival_s - batches.sent_s(acknowledged - 1) - header.held_s, arrival_s);
      results.consume(worker, inbox, rank, failed_attempts, done_ids, &watch.timeline, arrival_s);
      accepted_part_bytes[static_cast<std::size_t>(worker)] = header.part_bytes;
      if (journal) journal->record(rank, header.part_bytes, done_ids);
      done_ids.clear();
      for (const auto& f : failed_attempts) failures.on_failure(f, batches, acknowledged, worker);
      failed_attempts.clear();
      batches.pop_front(acknowledged);
      if (config.result_timeout_s > 0) last_reply = clock::now();
      if (backups) silent_since[static_cast<std::size_t>(worker)] = clock::now();
    }
    transport.progress_sends();

    // A stop signal: no new tasks; the running ones get the grace period.
    if (!stopping_on && stop_signal()) {
      stopping_on = stop_signal();
      work_left_at_stop = !feeder.exhausted();
      grace_end = clock::now() + seconds(config.grace_s);
      // Under mpirun, a worker rank that died reaches rank 0 as this SIGTERM: say how to go on.
      log::line(signal_name(stopping_on) + " received: no new tasks; waiting up to " + seconds_text(config.grace_s) +
                " s (--grace) for the " + std::to_string(scheduler.tasks_in_flight()) + " tasks in flight" +
                (journal ? "; the same command with --resume continues the run" : ""));
      feeder.halt();
      // If a worker rank died, a resume needs to know what it was running (in-process,
      // the master would have died with it).
      if (journal && !transport.in_process()) {
        std::vector<std::pair<std::int32_t, IdRun>> in_flight;
        for (int w = 0; w < workers; ++w)
          if (!scheduler.retired(w)) held[static_cast<std::size_t>(w)].held_ids(transport.worker_rank(w), in_flight);
        journal->record_in_flight(in_flight);
      }
    }
    if (feeder.exhausted() && scheduler.idle()) {
      const bool work_left = work_left_at_stop || feeder.dropped_retries() > 0 || results.returned() > 0;
      if ((stopping_on || walltime_cut) && work_left) {
        complete = false;
        stop_reason = stopping_on ? signal_name(stopping_on) + " received" : "walltime";
      }
      break;
    }
    if (stopping_on && clock::now() > grace_end) {
      complete = false;
      stop_reason = signal_name(stopping_on) + " received; tasks still running after --grace " + seconds_text(config.grace_s) + " s";
      break;
    }
    if (config.result_timeout_s > 0 && seconds_since(last_reply) > config.result_timeout_s) {
      complete = false;
      stop_reason = "no result for " + seconds_text(config.result_timeout_s) + " s (--result-timeout)";
      break;
    }
    // Now and then (and whenever idle; in-process, where every pass runs a batch, each
    // time): the walltime, progress, and workers silent for too long.
    const bool now_and_then = !progressed || (++iterations & 255) == 0;
    if ((now_and_then || transport.in_process()) && walltime.active() && !walltime_cut && !stopping_on) {
      if (const auto left = walltime.cut(epoch_now())) {
        walltime_cut = true;
        work_left_at_stop = !feeder.exhausted();
        feeder.halt();
        log::line("walltime: " + seconds_text(std::round(*left * 10) / 10) + " s left before --end-time, less than " +
                  seconds_text(std::round(walltime.margin_s() * 10) / 10) +
                  " s (--min-time-left): no new tasks; the running ones finish, then the run stops (resumable)");
        for (int w = 0; w < workers; ++w)
          if (!scheduler.retired(w)) transport.send(w, Tag::hold, transport.take_buffer());
      }
    }
    if (now_and_then) {
      watch.update(progress_state(watch.now_s(), feeder, results, failures, scheduler));
      if (backups) {
        const auto now = clock::now();
        for (int w = 0; w < workers; ++w)
          if (!scheduler.retired(w) && scheduler.load(w).tasks_in_flight > 0 &&
              std::chrono::duration<double>(now - silent_since[static_cast<std::size_t>(w)]).count() >
                  config.task_timeout_s)
            retire(w);
        if (active_workers == 0) {
          complete = false;
          stop_reason = "every worker is stuck (--task-timeout)";
          break;
        }
      }
    }
    if (progressed) backoff.reset();
    else backoff.pause();
  }
  backoff.reset();
  const double loop_s = watch.now_s();
  const double idle_s = backoff.idle_s();
  sink.flush();
  if (journal) journal->flush();
  if (!stop_reason.empty()) log::line("stopping: " + stop_reason);

  RunReport report = base_report(config, job, transport.ranks(), transport.reported_workers());
  std::vector<std::string> stop_messages;
  for (int w = 0; w < workers; ++w) {
    std::string& stop = stop_messages.emplace_back(1, static_cast<char>(complete ? StopKind::finished : StopKind::abandoned));
    if (complete) put_part_slices(stop, earlier_output_for(job, config, plan, w, workers));
  }
  // A reduce phase takes as long as it takes (a stop signal or --result-timeout ends the
  // wait); without one, a healthy worker answers at once.
  const bool reducing = complete && job.reduce;
  GoodbyeWait wait;
  wait.healthy_s = !reducing ? 600 : config.result_timeout_s > 0 ? config.result_timeout_s : 1e9;
  wait.grace_s = config.grace_s;
  if (reducing)
    log::line("all tasks done; " +
              (workers == 1 ? std::string("the worker runs") : "the " + std::to_string(workers) + " workers run") +
              " the reduce phase");
  const double reduce_start_s = watch.now_s();
  stop_workers(transport, scheduler, std::move(stop_messages), accepted_part_bytes, wait, backoff, report);
  if (reducing) {
    std::string missing;
    for (const auto& w : report.per_worker)
      if (!w.answered) missing += (missing.empty() ? "" : ", ") + std::to_string(w.rank);
    if (missing.empty()) {
      log::line("reduce phase done in " + seconds_text(std::round((watch.now_s() - reduce_start_s) * 1000) / 1000) + " s");
    } else {
      // Its files are half-written: nothing is published, and --resume runs the reduce again.
      complete = false;
      stop_reason = "the reduce phase did not finish on rank " + missing;
      log::line("stopping: " + stop_reason);
    }
  }
  report.elapsed_s = seconds_since(start);
  report.master_idle_s = idle_s;
  report.master_busy_s = std::max(0.0, loop_s - idle_s);
  report.master_bytes_sent = transport.bytes_sent();
  report.master_messages = transport.messages();
  finish_report(report, feeder, results, failures, complete, stop_reason, watch);
  return report;
}

}  // namespace taskfarm
