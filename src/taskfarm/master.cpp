#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include "taskfarm/backoff.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/pipeline.hpp"

namespace taskfarm {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

int rank_of(int worker) { return worker + 1; }
int worker_of(int rank) { return rank - 1; }

Narrator narrator_if(bool verbose) {
  if (!verbose) return nullptr;
  return [](std::string_view text) { log::line(text); };
}

/// The one-rank mode is its own single worker.
class AloneContext final : public WorkerContext {
 public:
  explicit AloneContext(std::string& output) : output_(output) {}
  int worker_index() const override { return 0; }
  int workers() const override { return 1; }
  std::vector<std::string> exchange(const std::vector<std::string>& outgoing) override { return outgoing; }
  std::string& output() override { return output_; }

 private:
  std::string& output_;
};

RunReport base_report(const Config& config, const Job& job, int ranks, int workers) {
  RunReport report;
  report.job = config.job;
  report.parameters = job.parameters();
  report.ranks = ranks;
  report.workers = workers;
  return report;
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

/// With --output, every run keeps a journal, so that any run can be resumed.
std::unique_ptr<JournalWriter> open_journal(const Config& config, const RunPlan& plan) {
  if (!config.output_dir) return nullptr;
  return std::make_unique<JournalWriter>(journal_path(*config.output_dir), plan.identity, plan.run,
                                         !plan.resumed.has_value());
}

void finish_report(RunReport& report, const TaskFeeder& feeder, const ResultCollector& results,
                   const FailureHandler& failures, bool complete) {
  report.tasks_resumed = feeder.skipped();
  report.master_peak_rss_bytes = peak_rss_bytes();
  report.tasks_total = feeder.undispatched() ? feeder.produced() + *feeder.undispatched()
                                             : feeder.produced();
  report.tasks_done = results.done();
  report.failed_tasks = failures.failed();
  report.tasks_failed = report.failed_tasks.size();
  report.status = !complete ? "incomplete" : report.tasks_failed > 0 ? "failed" : "complete";
}

}  // namespace

ExitCode exit_code_for(const RunReport& report) {
  if (report.status == "incomplete") return ExitCode::incomplete;
  if (report.tasks_failed > 0) return ExitCode::tasks_failed;
  return ExitCode::success;
}

std::optional<RunReport> run_this_rank(Channel& channel, Job& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink) {
  if (channel.rank() != master_rank) {
    run_worker(channel, job, config, plan.run);
    return std::nullopt;
  }
  if (channel.size() == 1) return run_alone(job, std::move(source), config, plan, sink);
  return run_master(channel, job, std::move(source), config, plan, sink);
}

RunReport run_alone(Job& job, std::unique_ptr<TaskSource> source, const Config& config, const RunPlan& plan,
                    ResultSink& sink) {
  const auto start = clock::now();
  job.set_narrator(narrator_if(config.verbose));
  Scheduler scheduler(1, 1, config.batch);
  TaskFeeder feeder(std::move(source), job, config.verbose);
  ResultCollector results(sink, scheduler, job);
  FailureHandler failures(feeder, job, config.retries, config.halt_on_error);
  std::vector<FailedAttempt> failed_attempts;
  std::optional<PartFile> part;
  if (config.output_dir && job.uses_part_files()) part.emplace(temporary_part_path(*config.output_dir, master_rank, plan.run));
  auto journal = open_journal(config, plan);
  if (plan.resumed) feeder.skip(&plan.resumed->done);  // done by earlier runs
  std::vector<std::uint64_t> done_ids;
  job.start_worker(master_rank, 1);
  BatchRunner runner(job, part ? &part->buffer() : nullptr);
  std::optional<SlotRunner> slots;
  if (job.slots() > 0) slots.emplace(job);
  std::string batch_buf, reply_buf;
  ResultBatchWriter reply(reply_buf);
  while (!feeder.exhausted()) {
    TaskBatchWriter batch(batch_buf);
    // Asynchronous jobs get a batch that fills their slots.
    const auto size = scheduler.next_batch_size(feeder.undispatched());
    if (feeder.fill(batch, slots ? std::max<std::uint32_t>(size, static_cast<std::uint32_t>(job.slots())) : size) == 0)
      break;
    scheduler.on_sent(0, batch.count());
    reply.reset();
    if (slots) {
      slots->add(batch_buf);
      while (!slots->empty()) slots->step(reply, 0.05);
    } else {
      runner.run(batch_buf, reply);
    }
    if (part) reply.set_part_bytes(part->flush());
    results.consume(0, reply_buf, master_rank, failed_attempts, done_ids);
    if (journal) journal->record(master_rank, ResultBatchReader(reply_buf).header().part_bytes, done_ids);
    done_ids.clear();
    for (const auto& f : failed_attempts) failures.on_failure(f, {batch_buf}, 0);
    failed_attempts.clear();
  }
  if (journal) journal->flush();
  std::string finish_output;
  AloneContext context(part ? part->buffer() : finish_output);
  job.finish(context);
  sink.write(finish_output);
  sink.flush();
  const std::uint64_t bytes_written = part ? part->close() : 0;

  RunReport report = base_report(config, job, 1, 0);
  report.elapsed_s = seconds_since(start);
  const WorkerLoad& load = scheduler.load(0);
  report.per_worker.push_back(WorkerReport{master_rank, load.tasks_done + load.tasks_failed,
                                           load.tasks_failed, load.busy_s,
                                           report.elapsed_s - load.busy_s, 0, load.max_task_s,
                                           bytes_written, job.bytes_read()});
  finish_report(report, feeder, results, failures, true);
  return report;
}

RunReport run_master(Channel& channel, Job& job, std::unique_ptr<TaskSource> source, const Config& config,
                     const RunPlan& plan, ResultSink& sink) {
  const auto start = clock::now();
  const int workers = channel.size() - 1;
  BatchPolicy policy = config.batch;
  policy.slots = static_cast<std::uint32_t>(std::max<std::size_t>(job.slots(), 1));
  Scheduler scheduler(workers, config.window, policy);
  TaskFeeder feeder(std::move(source), job, config.verbose);
  ResultCollector results(sink, scheduler, job);
  FailureHandler failures(feeder, job, config.retries, config.halt_on_error);
  std::vector<FailedAttempt> failed_attempts;
  // A copy of every batch a worker holds: a failed task is retried from it.
  std::vector<std::deque<std::string>> held(static_cast<std::size_t>(workers));
  std::vector<std::string> spare_copies;  // recycled: fresh 300 KB strings cost page faults
  auto journal = open_journal(config, plan);
  if (plan.resumed) feeder.skip(&plan.resumed->done);  // done by earlier runs
  std::vector<std::uint64_t> done_ids;
  Backoff backoff(job.slots() > 0 ? Backoff::patient() : Backoff::Limits{});
  std::string inbox;
  auto last_reply = clock::now();
  bool complete = true;

  while (true) {
    bool progressed = false;
    // Give every worker with room another batch (the scheduler decides how many it holds).
    // A worker for which only other workers' retries are left is passed over, once each.
    std::size_t passed_over = 0;
    while (!feeder.exhausted()) {
      const auto worker = scheduler.next_ready_worker();
      if (!worker) break;
      std::string buf = channel.take_buffer();
      TaskBatchWriter batch(buf);
      if (feeder.fill(batch, scheduler.next_batch_size(feeder.undispatched()), *worker, workers) == 0) {
        if (++passed_over >= scheduler.defer_front()) break;
        continue;
      }
      scheduler.on_sent(*worker, batch.count());
      auto& copies = held[static_cast<std::size_t>(*worker)];
      copies.emplace_back();
      if (!spare_copies.empty()) {
        copies.back().swap(spare_copies.back());
        spare_copies.pop_back();
      }
      copies.back().assign(buf);
      channel.send(rank_of(*worker), Tag::tasks, std::move(buf));
      progressed = true;
    }
    while (auto envelope = channel.poll(inbox)) {
      if (envelope->tag != Tag::results)
        throw std::runtime_error("unexpected message tag " + std::to_string(static_cast<int>(envelope->tag)) +
                                 " from rank " + std::to_string(envelope->source));
      const int worker = worker_of(envelope->source);
      auto& batches = held[static_cast<std::size_t>(worker)];
      const ResultBatchHeader header = ResultBatchReader(inbox).header();
      const auto acknowledged = std::min<std::size_t>(header.batches_completed, batches.size());
      results.consume(worker, inbox, envelope->source, failed_attempts, done_ids);
      if (journal) journal->record(envelope->source, header.part_bytes, done_ids);
      done_ids.clear();
      if (!failed_attempts.empty()) {
        const std::vector<std::string_view> views(batches.begin(), batches.begin() + static_cast<long>(acknowledged));
        for (const auto& f : failed_attempts) failures.on_failure(f, views, worker);
        failed_attempts.clear();
      }
      for (std::size_t i = 0; i < acknowledged; ++i) {
        if (spare_copies.size() < 64) spare_copies.push_back(std::move(batches.front()));
        batches.pop_front();
      }
      if (config.result_timeout_s > 0) last_reply = clock::now();
      progressed = true;
    }
    channel.progress_sends();
    if (feeder.exhausted() && scheduler.idle()) break;
    if (config.result_timeout_s > 0 && seconds_since(last_reply) > config.result_timeout_s) {
      complete = false;
      break;
    }
    if (progressed) backoff.reset();
    else backoff.pause();
  }
  sink.flush();
  if (journal) journal->flush();

  // Workers still holding tasks after a result timeout are stuck inside a kernel and will
  // never answer; everyone else is told to stop and says goodbye.
  std::vector<bool> waiting(static_cast<std::size_t>(workers), false);
  int goodbyes_due = 0;
  for (int w = 0; w < workers; ++w) {
    const WorkerLoad& load = scheduler.load(w);
    if (load.tasks_in_flight > 0) {
      std::ostringstream timeout;
      timeout << config.result_timeout_s;
      log::line("no result for " + timeout.str() + " s (--result-timeout): rank " +
                std::to_string(rank_of(w)) + " is stuck with " + std::to_string(load.tasks_in_flight) +
                " tasks in flight");
      continue;
    }
    channel.send(rank_of(w), Tag::stop,
                 std::string(1, static_cast<char>(complete ? StopKind::finished : StopKind::abandoned)));
    waiting[static_cast<std::size_t>(w)] = true;
    ++goodbyes_due;
  }

  RunReport report = base_report(config, job, channel.size(), workers);
  for (int w = 0; w < workers; ++w) {
    const WorkerLoad& load = scheduler.load(w);
    report.per_worker.push_back(WorkerReport{rank_of(w), load.tasks_done + load.tasks_failed,
                                             load.tasks_failed, load.busy_s, 0, 0, load.max_task_s});
  }
  // Workers answer once their job's finish() (a reduce phase) is done; the deadline only
  // guards against a rank that died.
  const auto goodbye_deadline = clock::now() + std::chrono::seconds(600);
  while (goodbyes_due > 0 && clock::now() < goodbye_deadline) {
    const auto envelope = channel.poll(inbox);
    channel.progress_sends();
    if (!envelope) {
      backoff.pause();
      continue;
    }
    backoff.reset();
    if (envelope->tag != Tag::goodbye) continue;  // a late reply after a timeout
    std::string_view body = inbox;
    const auto goodbye = wire::get<WorkerGoodbye>(body);
    auto& w = report.per_worker[static_cast<std::size_t>(worker_of(envelope->source))];
    w.idle_s = goodbye.idle_s;
    w.messages = goodbye.messages_received + goodbye.messages_sent;
    w.bytes_written = goodbye.bytes_written;
    w.bytes_read = goodbye.bytes_read;
    waiting[static_cast<std::size_t>(worker_of(envelope->source))] = false;
    --goodbyes_due;
  }
  for (int w = 0; w < workers; ++w) {
    if (waiting[static_cast<std::size_t>(w)]) {
      log::line("rank " + std::to_string(rank_of(w)) + " did not answer the stop message");
      complete = false;
    }
  }

  report.elapsed_s = seconds_since(start);
  report.master_bytes_sent = channel.bytes_sent();
  report.master_messages = channel.messages_sent() + channel.messages_received();
  finish_report(report, feeder, results, failures, complete);
  return report;
}

}  // namespace taskfarm
