#pragma once
// The three MPI-free stages every task passes through:
//   TaskFeeder (master)      source -> task batch
//   BatchRunner (worker)     task batch -> result batch, running the job's kernel
//   ResultCollector (master) result batch -> output, counts, scheduler bookkeeping
// The MPI master and worker move batches between them; the one-rank mode chains them
// directly. Both thus share one code path, and the tests drive it without MPI.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "taskfarm/job.hpp"
#include "taskfarm/scheduler.hpp"
#include "taskfarm/sink.hpp"
#include "taskfarm/wire.hpp"

namespace taskfarm {

class TaskFeeder {
 public:
  TaskFeeder(std::unique_ptr<TaskSource> source, const Job& job, bool narrate);
  /// Appends up to `max_tasks` tasks to `batch`; returns how many.
  std::uint32_t fill(TaskBatchWriter& batch, std::uint32_t max_tasks);
  bool exhausted() const { return exhausted_; }
  /// Tasks produced so far.
  std::uint64_t produced() const { return next_id_; }
  /// Tasks not yet produced, when the source knows its size.
  std::optional<std::uint64_t> undispatched() const;

 private:
  std::unique_ptr<TaskSource> source_;
  const Job& job_;
  bool narrate_;
  std::optional<std::uint64_t> size_;
  std::uint64_t next_id_ = 0;
  bool exhausted_ = false;
  std::string payload_;
};

class BatchRunner {
 public:
  /// With `side_output`, kernels append their output there (a part file's buffer) and
  /// the reply carries only each task's status.
  explicit BatchRunner(Job& job, std::string* side_output = nullptr) : job_(job), side_output_(side_output) {}
  /// Runs every task of `batch` and appends one result per task to `reply`. A kernel that
  /// throws fails only its own task, and what it wrote is dropped.
  void run(std::string_view batch, ResultBatchWriter& reply);
  double busy_s() const { return busy_s_; }

 private:
  Job& job_;
  std::string* side_output_;
  double busy_s_ = 0;
};

class ResultCollector {
 public:
  ResultCollector(ResultSink& sink, Scheduler& scheduler) : sink_(sink), scheduler_(scheduler) {}
  /// Takes one reply from `worker` (scheduler numbering).
  void consume(int worker, std::string_view reply, int worker_rank);
  std::uint64_t done() const { return done_; }
  std::uint64_t failed() const { return failed_; }

 private:
  ResultSink& sink_;
  Scheduler& scheduler_;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace taskfarm
