#pragma once
/// @file
/// taskfarm::Task<T>, the one context a kernel may take (part of taskfarm.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "taskfarm/codec.hpp"
#include "taskfarm/export.hpp"
#include "taskfarm/group.hpp"
#include "taskfarm/out.hpp"

namespace taskfarm {

/// With -v (--verbose), writes `text` as a timestamped line on stderr; otherwise nothing.
TASKFARM_API void narrate(std::string_view text);
/// Whether -v was given (to skip building narration nobody reads).
TASKFARM_API bool narrating();

namespace detail {

/// Where a running task's submissions go: the engine's, behind this interface, so that
/// how they travel (batched with the reply, streamed ahead past a megabyte, taken back
/// when the attempt fails) stays in the engine.
class Submitter {
 public:
  /// The buffer to append the next submitted task's encoding to.
  virtual std::string& begin_task() = 0;
  /// The task begun last is wholly appended.
  virtual void end_task() = 0;

 protected:
  ~Submitter() = default;
};

/// One attempt of one task as the engine hands it to a kernel: the task, where its output
/// and submissions go, and its limits. The engine's one kernel interface (TaskKernel)
/// takes it; typed kernels see it as a Task<T>.
struct TaskContext {
  using clock = std::chrono::steady_clock;  ///< the clock of the deadline
  std::string_view payload;     ///< the task, encoded
  std::uint64_t id = 0;         ///< its position in the source (submitted tasks: from 2^40)
  std::uint32_t attempt = 0;    ///< 0 for the first attempt
  std::string* out = nullptr;   ///< where its output goes (lines, or encoded results)
  Submitter* submitter = nullptr;  ///< where its submissions go
  Group group;                  ///< the ranks that run it (this rank alone, or its group)
  clock::time_point deadline = clock::time_point::max();  ///< see Task::deadline()
  bool lines = true;            ///< whether `out` takes lines (not encoded results)
};

/// The context of the task this rank runs (this_task(), kept for 0.3 programs).
TASKFARM_API const TaskContext* current_task_context();

}  // namespace detail

/// The one context a kernel may take, as its last parameter, by reference:
/// `R kernel(const T&, taskfarm::Task<T>& task)` returns its result (one line
/// "task<TAB>result", or a fold's or a sink's value), and `void kernel(const T&,
/// taskfarm::Task<T>& task)` writes its own lines through task.out(). Valid during the
/// call only.
template <class T>
class Task {
 public:
  /// The clock of deadline().
  using clock = std::chrono::steady_clock;

  /// Made by the engine for each call of the kernel.
  explicit Task(detail::TaskContext& context) : context_(context) {}
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  /// The task's ID: its position in the source, from 0 (submitted tasks: from 2^40).
  std::uint64_t id() const { return context_.id; }
  /// 0 for the first attempt, then 1, 2, ... (--retries).
  std::uint32_t attempt() const { return context_.attempt; }
  /// The ranks that run this task (--ranks-per-task); a group of size 1 over
  /// MPI_COMM_SELF for a one-rank task.
  const Group& group() const { return context_.group; }
  /// Adds `task` to the run, once this attempt succeeds: an attempt that throws, times out
  /// or is lost submits nothing, and its retry submits again.
  void submit(const T& task) {
    if (!context_.submitter) throw std::logic_error("taskfarm: the engine gave this kernel nowhere to submit tasks");
    codec<T>::encode(task, context_.submitter->begin_task());  // in place: no copy of the task
    context_.submitter->end_task();
  }
  /// Where a kernel that writes lines writes them: `task.out() << a << ' ' << b << '\n'`.
  /// A kernel that returns its result may write lines too (before its result's line).
  Out& out() {
    if (!out_) {
      if (!context_.lines)
        throw std::logic_error("taskfarm: Task::out() is for kernels whose results are lines, not for a fold or a sink");
      out_.emplace(*context_.out, detail::EngineFlushes{});
    }
    return *out_;
  }
  /// With -v, writes `text` as a timestamped line on stderr.
  void narrate(std::string_view text) const { taskfarm::narrate(text); }
  /// Whether -v was given.
  bool narrating() const { return taskfarm::narrating(); }
  /// When this attempt should be over: the earlier of its start plus --task-timeout and
  /// the run's end (--end-time, or the Slurm job's end); time_point::max() when neither
  /// applies. A long kernel can save its state and return before it. The start is when
  /// the worker last answered the master (at or before the attempt's own start: the
  /// master counts --task-timeout from there), so a kernel that returns before its
  /// deadline is not taken for a stuck one.
  clock::time_point deadline() const { return context_.deadline; }

 private:
  template <class, class>
  friend struct detail::KernelCall;
  /// After the kernel returned: what it wrote reaches the buffer.
  void finish() {
    if (out_) out_->flush();
  }
  detail::TaskContext& context_;
  std::optional<Out> out_;
};

}  // namespace taskfarm
