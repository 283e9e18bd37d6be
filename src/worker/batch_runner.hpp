#pragma once
// The worker's MPI-free stage of every task: a task batch in, a result batch out, running
// the job's kernel (BatchRunner), or its processes (SlotRunner, cmd's slots).

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result_wire.hpp"
#include "core/spill_file.hpp"
#include "core/wire.hpp"
#include "job/job.hpp"
#include "worker/attempt.hpp"

namespace taskfarm {

/// When a worker reads the clock: once per run of tasks, the run growing while its
/// tasks are quick (a clock read costs as much as a trivial task). Tasks that take longer
/// than `target_run_s` are timed one by one. A run whose mean jumps above the typical
/// task time holds a slow task: its time is estimated as the run's less the others'
/// typical time, and the next tasks are timed one by one again.
class RunTiming {
 public:
  static constexpr double target_run_s = 20e-6;
  static constexpr std::uint32_t max_run = 1u << 16;
  static constexpr double jump = 4;
  std::uint32_t run_size() const { return size_; }
  /// A run of `tasks` took `run_s`: returns its longest task's time (measured or
  /// estimated) and sizes the next run.
  double end_run(std::uint32_t tasks, double run_s);

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
  /// consecutive tasks timed together (RunTiming). A kernel that throws fails only its
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
  RunTiming timing_;
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

}  // namespace taskfarm
