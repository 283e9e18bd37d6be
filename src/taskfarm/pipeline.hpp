#pragma once
// The three MPI-free stages every task passes through:
//   TaskFeeder (master)      source -> task batch
//   BatchRunner (worker)     task batch -> result batch, running the job's kernel
//   ResultCollector (master) result batch -> output, counts, scheduler bookkeeping
// The MPI master and worker move batches between them; the one-rank mode chains them
// directly. Both thus share one code path, and the tests drive it without MPI.

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

#include "taskfarm/attempt.hpp"
#include "taskfarm/frontier.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/journal.hpp"
#include "taskfarm/monitor.hpp"
#include "taskfarm/scheduler.hpp"
#include "taskfarm/sink.hpp"
#include "taskfarm/walltime.hpp"
#include "taskfarm/result_wire.hpp"
#include "taskfarm/wire.hpp"

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

/// When a worker reads the clock: once per group of tasks, the group growing while its
/// tasks are quick (a clock read costs as much as a trivial task). Tasks that take longer
/// than `target_group_s` are timed one by one. A group whose mean jumps above the typical
/// task time holds a slow task: its time is estimated as the group's less the others'
/// typical time, and the next tasks are timed one by one again.
class GroupTiming {
 public:
  static constexpr double target_group_s = 20e-6;
  static constexpr std::uint32_t max_group = 1u << 16;
  static constexpr double jump = 4;
  std::uint32_t group_size() const { return size_; }
  /// A group of `tasks` took `group_s`: returns its longest task's time (measured or
  /// estimated) and sizes the next group.
  double end_group(std::uint32_t tasks, double group_s);

 private:
  std::uint32_t size_ = 1;
  double typical_s_ = 0;
};

/// Runs a worker's batches through a Kernel, one task after another.
class BatchRunner {
 public:
  /// With `side_output`, kernels append their output there (a part file's buffer) and
  /// the reply carries only the tasks' status.
  /// A job whose tasks submit tasks gathers them in `submitted`: a failed attempt's are dropped.
  /// `limits`: each attempt's --task-timeout and the run's end (Task::deadline()).
  explicit BatchRunner(Kernel& kernel, std::string* side_output = nullptr, Submissions* submitted = nullptr,
                       const AttemptLimits& limits = {})
      : kernel_(kernel), side_output_(side_output), attempt_(submitted, RankGroup{}, limits) {}
  /// Runs every task of `batch` and appends its results to `reply`, as runs of
  /// consecutive tasks timed together (GroupTiming). A kernel that throws fails only its
  /// own task, and what it wrote is dropped. Returns the batch's wall time from `start`
  /// (the caller's latest clock reading: a batch's arrival, or the end of the batch before
  /// it; one reading fewer per batch); the reading that ended it is finished_at() (no
  /// further reading needed to stamp a reply).
  double run(std::string_view batch, ResultBatchWriter& reply, std::chrono::steady_clock::time_point start);
  std::chrono::steady_clock::time_point finished_at() const { return finished_at_; }
  /// The next batches' attempts count --task-timeout from `t`, when the worker last
  /// answered the master.
  void answered_at(std::chrono::steady_clock::time_point t) { attempt_.start_batch(t); }

 private:
  Kernel& kernel_;
  std::string* side_output_;
  Attempt attempt_;
  std::chrono::steady_clock::time_point finished_at_;
  GroupTiming timing_;
};

/// A worker's runner for asynchronous jobs (AsyncSlots): keeps up to slots() tasks
/// running, taken in order from the batches it holds. A batch's results go into the reply
/// once all its tasks and all earlier batches are finished, so the master sees batches
/// acknowledged in the order it sent them.
class SlotRunner {
 public:
  explicit SlotRunner(AsyncSlots& job) : job_(job) {}
  void add(std::string batch);
  bool empty() const { return batches_.empty(); }
  std::size_t batches() const { return batches_.size(); }
  /// Starts tasks while slots are free, waits up to `wait_s` for tasks to end, and moves
  /// every finished batch at the front into `reply`. Returns how many batches it moved.
  std::size_t step(ResultBatchWriter& reply, double wait_s);
  /// Starts no more tasks: those not yet started finish at once as not_started.
  void hold();
  /// The spilled outputs of the tasks moved into replies since the last call, in order:
  /// they go to the master ahead of the reply.
  std::vector<std::pair<std::uint64_t, SpillFile>> take_outputs() { return std::exchange(outputs_, {}); }

 private:
  struct Held {
    std::string tasks;
    std::optional<TaskBatchReader> unstarted;  // reads `tasks` (deque elements stay put)
    std::uint32_t unfinished = 0;
    std::vector<FinishedTask> results;
    std::vector<std::uint64_t> ids;  // task ID by index in the batch
    /// The next task not started yet, its ID recorded; false when none is left.
    bool next_unstarted(TaskView& task, std::uint32_t& index) {
      if (!unstarted->next(task)) return false;
      index = static_cast<std::uint32_t>(ids.size() - unstarted->size() - 1);
      ids[index] = task.id;
      return true;
    }
  };
  AsyncSlots& job_;
  std::deque<Held> batches_;
  std::uint64_t front_serial_ = 0;  // serial number of batches_.front()
  std::size_t running_ = 0;
  std::vector<FinishedTask> finished_;
  std::vector<std::pair<std::uint64_t, SpillFile>> outputs_;  // task ID, its output
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
/// only each batch's groups are kept (a few bytes), the payloads coming from the source
/// again when needed; otherwise a copy of each batch.
///
/// The master's memory for a worker is bounded by bytes (budget()): what it keeps of the
/// batches in flight (groups, or copies without replay) and the send buffers MPI has not
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
  void add(std::string_view batch, const std::vector<TaskGroup>& groups, double sent_s = 0);
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
    std::size_t groups;   // with replay: its groups, the next ones in groups_
    double sent_s;
  };
  TaskFeeder& feeder_;
  std::size_t budget_;
  std::deque<Batch> batches_;
  std::deque<TaskGroup> groups_;  // of every batch held, in order
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
