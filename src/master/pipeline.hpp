#pragma once
// The master's two MPI-free stages of every task, around the worker's (worker/batch_runner.hpp):
//   TaskFeeder       source -> task batch
//   BatchRunner      (worker) task batch -> result batch, running the job's kernel
//   ResultCollector  result batch -> output, counts, scheduler bookkeeping
// and what the master keeps of a worker's batches (HeldBatches) and of failures
// (FailureHandler). The MPI master and worker move batches between the stages; the
// one-rank mode chains them directly. Both share one code path, tested without MPI.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/monitor.hpp"
#include "core/result_wire.hpp"
#include "core/sink.hpp"
#include "core/walltime.hpp"
#include "core/wire.hpp"
#include "job/job.hpp"
#include "master/scheduler.hpp"
#include "resume/frontier.hpp"
#include "resume/journal.hpp"

namespace taskfarm {

/// A task attempt that failed, as a reply reports it.
struct FailedAttempt {
  std::uint64_t id;
  std::string message;
  bool retry = true;  // false: the kernel said a retry would fail alike (PermanentError)
};

/// A task that failed on every attempt.
struct FailedTask {
  std::uint64_t id;
  std::uint32_t attempts;
  std::string task;  // the job's description of it
  std::string error; // the last attempt's
};

class TaskFeeder {
 public:
  /// With a `frontier` (tasks that submit tasks), its tasks go out before the source's.
  TaskFeeder(std::unique_ptr<TaskSource> source, const JobSource& job, bool narrate, Frontier* frontier = nullptr);
  /// Appends up to `max_tasks` tasks to `batch` for `worker`: retries first (except those
  /// that last failed on this worker, when there are others), then new tasks. Returns 0
  /// when the only tasks left are retries for other workers.
  /// The batch stops growing once it holds `max_bytes` (after at least one task).
  /// A suspect task (see isolate()) goes alone, and only to a worker that holds nothing
  /// (`worker_idle`): the batch stops before it otherwise.
  std::uint32_t fill(TaskBatchWriter& batch, std::uint32_t max_tasks, int worker = 0, int workers = 1,
                     std::size_t max_bytes = SIZE_MAX, bool worker_idle = true);
  /// Whether the last batch filled is a suspect task alone: its worker gets nothing more
  /// until it has replied.
  bool filled_alone() const { return filled_alone_; }
  /// Whether the source can give a task's payload again from its ID (see replay()).
  bool replayable() const { return replayable_; }
  /// Task `id`'s payload again, into `payload`. Only for a replayable source.
  void replay(std::uint64_t id, std::string& payload);
  /// Queues another attempt of a failed task, preferably not on `failed_on`.
  void retry(const TaskView& task, int failed_on);
  /// Stops handing out tasks (--halt-on-error, a stop signal, the walltime guard):
  /// nothing new, no retries.
  void halt();
  /// Retries dropped because of halt(): tasks that are neither done nor failed.
  std::uint64_t dropped_retries() const { return dropped_retries_; }
  /// Tasks of an earlier run (--resume): taken from the source but not handed out.
  void skip(const IdRanges* done) { skip_ = done; }
  /// Tasks of ranks that died in earlier runs (--resume): `crashes->suspects` go out one
  /// at a time; `crashes->poisoned` are given to `give_up` (with their payload) instead.
  using GiveUp = std::function<void(std::uint64_t id, std::uint32_t deaths, const std::string& payload)>;
  void isolate(const CrashHistory* crashes, GiveUp give_up) {
    crashes_ = crashes;
    give_up_ = std::move(give_up);
  }
  /// Tasks done by earlier runs: the source's, and those submitted.
  std::uint64_t skipped() const { return skipped_ + (frontier_ ? frontier_->done_before() : 0); }
  /// No task left to hand out, new or retried.
  bool exhausted() const {
    return ((source_done_ && !have_next_ && (!frontier_ || (frontier_->empty() && !held_submitted_))) || halted_) &&
           retries_.empty();
  }
  /// Tasks produced so far: the source's, and those submitted.
  std::uint64_t produced() const { return next_id_ + submitted(); }
  /// Tasks submitted by tasks, in every run.
  std::uint64_t submitted() const { return frontier_ ? frontier_->submitted() : 0; }
  /// All tasks (produced and still to come), when the source knows its size.
  std::optional<std::uint64_t> total() const;
  /// Tasks not yet produced, when the source knows its size.
  std::optional<std::uint64_t> undispatched() const;

 private:
  std::unique_ptr<TaskSource> source_;
  const JobSource& job_;
  bool narrate_;
  Frontier* frontier_;
  std::optional<std::uint64_t> size_;
  bool replayable_;
  std::size_t fixed_bytes_;  // the source's fixed payload size, for feeding in runs (0: none)
  std::string run_;          // a run's payloads
  struct Retry {
    std::uint64_t id;
    std::uint32_t attempt;
    std::string payload;
    int failed_on;
  };
  std::uint64_t next_id_ = 0;
  bool source_done_ = false;
  bool halted_ = false;
  std::uint64_t dropped_retries_ = 0;
  /// Reads the next task to hand out into payload_ (skipping done and poisoned ones);
  /// false at the source's end.
  bool read_next();
  bool runs_allowed() const;
  bool fill_submitted_after_crash(TaskBatchWriter& batch, const std::function<bool()>& room, bool worker_idle,
                                  std::uint32_t& added);
  bool take_submitted();
  struct HeldTask {
    std::uint64_t id;
    std::string payload;
  };
  std::optional<HeldTask> held_submitted_;  // taken from the frontier after a crash, not handed out yet
  bool held_suspect_ = false;               // ... and it is a suspect
  std::uint32_t fill_run(TaskBatchWriter& batch, std::uint32_t max_tasks, std::size_t max_bytes);
  const IdRanges* skip_ = nullptr;
  std::uint64_t skipped_ = 0;
  const CrashHistory* crashes_ = nullptr;
  GiveUp give_up_;
  bool have_next_ = false;     // payload_ holds task next_id_, read but not handed out
  bool next_suspect_ = false;  // ... and it is a suspect
  bool filled_alone_ = false;
  std::deque<Retry> retries_;
  std::string payload_;
};

class ResultCollector {
 public:
  /// `handler`: the job's (cmd's joblog, the library's sink), or null: a success's data is
  /// written to `sink`.
  /// `frontier`: where the tasks that tasks submitted go (JobRoles::submits), or null.
  ResultCollector(ResultSink& sink, Scheduler& scheduler, ResultHandler* handler, Frontier* frontier = nullptr)
      : sink_(sink), scheduler_(scheduler), handler_(handler), frontier_(frontier) {}
  /// Takes one reply from `worker` (scheduler numbering): failed attempts are appended
  /// to `failures` (for the retry logic), the IDs of completed tasks to `done` (for the
  /// journal; adjacent runs merged).
  /// With a timeline, sampled tasks are added to it, placed in time from the reply's
  /// arrival at `now_s`.
  void consume(int worker, std::string_view reply, int worker_rank, std::vector<FailedAttempt>& failures,
               std::vector<IdRun>& done, Timeline* timeline = nullptr, double now_s = 0);
  /// A Tag::submitted chunk from `worker`: staged until its reply (see Frontier::stage).
  void stage(int worker, std::string_view chunk);
  /// The staged submissions of a reply that is dropped.
  void drop_staged(int worker);
  std::uint64_t done() const { return done_; }
  /// Tasks handed back unrun (the walltime guard's hold).
  std::uint64_t returned() const { return returned_; }
  /// Every task's run time goes to `times` too (the walltime guard's sample).
  void record_run_times(WalltimeGuard* times) { run_times_ = times; }
  /// What the journal records beside a reply's completed tasks: the submitted tasks so
  /// far (their count and the log's length), when tasks submit tasks.
  std::optional<SubmittedMark> submitted_mark() const {
    if (!frontier_) return std::nullopt;
    return SubmittedMark{frontier_->submitted(), frontier_->log_bytes()};
  }

 private:
  ResultSink& sink_;
  Scheduler& scheduler_;
  ResultHandler* handler_;
  Frontier* frontier_;
  WalltimeGuard* run_times_ = nullptr;
  std::uint64_t done_ = 0;
  std::uint64_t returned_ = 0;
};

/// The task batches a worker holds, in the order they were sent: from them a failed task
/// is retried and a stuck worker's tasks are handed out again. For a replayable source
/// only each batch's spans are kept (a few bytes), the payloads coming from the source
/// again when needed; otherwise a copy of each batch.
///
/// The master's memory for a worker is bounded by bytes (budget()): what it keeps of the
/// batches in flight (spans, or copies without replay) and the send buffers MPI has not
/// released yet stay within the budget, plus one task. A sent batch of a replayable
/// source costs a few bytes, so a worker may hold as many as its path needs: deeper
/// prefetch comes from what the workers hold. The budget shrinks as workers grow past a
/// few thousand, so that all of them together stay within `all_workers_budget`.
class HeldBatches {
 public:
  static constexpr std::size_t replay_budget = 64 * 1024;
  static constexpr std::size_t copy_budget = 256 * 1024;
  static constexpr std::size_t all_workers_budget = std::size_t{512} << 20;
  static constexpr std::size_t least_budget = 8 * 1024;
  /// One of `workers` workers' batches.
  HeldBatches(TaskFeeder& feeder, int workers)
      : feeder_(feeder),
        budget_(std::max(least_budget, std::min(feeder.replayable() ? replay_budget : copy_budget,
                                                all_workers_budget / static_cast<std::size_t>(std::max(workers, 1))))) {}
  /// A batch sent at `sent_s` (seconds on the master's clock).
  void add(std::string_view batch, const std::vector<TaskSpan>& spans, double sent_s = 0);
  bool empty() const { return batches_.empty(); }
  std::size_t size() const { return batches_.size(); }
  /// Bytes kept for the batches held (sent and not yet acknowledged).
  std::size_t bytes() const { return bytes_; }
  std::size_t budget() const { return budget_; }
  /// The most bytes the next batch may have: what the budget leaves beside what is kept
  /// and `unsent_bytes` (send buffers), at most half of it so that two batches can be on
  /// their way. 0 when under a quarter is left: a reply or a completed send soon frees
  /// more, and many small batches would cost more than waiting.
  std::size_t room(std::size_t unsent_bytes) const {
    const std::size_t used = bytes_ + unsent_bytes;
    if (empty() && unsent_bytes == 0) return budget() / 2;
    const std::size_t left = used < budget() ? budget() - used : 0;
    return left < budget() / 4 ? 0 : std::min(left, budget() / 2);
  }
  /// When the `i`-th batch held was sent.
  double sent_s(std::size_t i) const { return batches_[i].sent_s; }
  /// Forgets the first `n` batches: a reply acknowledged them.
  void pop_front(std::size_t n);
  /// The IDs of every task held, as (`rank`, run) pairs appended to `out`.
  void held_ids(std::int32_t rank, std::vector<std::pair<std::int32_t, IdRun>>& out) const;
  /// Calls `visit` with each task of the first `n` batches, in order, until it returns true.
  void visit(std::size_t n, const std::function<bool(const TaskView&)>& visit);

 private:
  struct Batch {
    std::size_t bytes;
    std::string copy;     // without replay
    std::size_t spans;   // with replay: its spans, the next ones in spans_
    double sent_s;
  };
  TaskFeeder& feeder_;
  std::size_t budget_;
  std::deque<Batch> batches_;
  std::deque<TaskSpan> spans_;  // of every batch held, in order
  std::vector<std::string> spare_copies_;  // recycled: fresh strings cost page faults
  std::size_t bytes_ = 0;
  std::string payload_;
};

/// Decides what a failed attempt becomes: another attempt (up to --retries, on another
/// worker where possible) or a failed task; with --halt-on-error the first failed task
/// stops the handing out of tasks.
class FailureHandler {
 public:
  FailureHandler(TaskFeeder& feeder, const JobSource& job, std::uint32_t retries, bool halt_on_error)
      : feeder_(feeder), job_(job), retries_(retries), halt_on_error_(halt_on_error) {}
  /// The first `acknowledged` batches of `held` are those the reply acknowledged; one
  /// holds the failed task (and the payload to retry). `worker` is where it failed.
  void on_failure(const FailedAttempt& failure, HeldBatches& held, std::size_t acknowledged, int worker);
  /// A poison task (see CrashHistory): failed without another attempt.
  void give_up(std::uint64_t id, std::uint32_t deaths, const std::string& payload);
  const std::vector<FailedTask>& failed() const { return failed_; }

 private:
  TaskFeeder& feeder_;
  const JobSource& job_;
  std::uint32_t retries_;
  bool halt_on_error_;
  std::vector<FailedTask> failed_;
};

}  // namespace taskfarm
