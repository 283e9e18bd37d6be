#pragma once
// One attempt of one task on this rank, and the tasks its kernel submits: the one place
// where "a failed attempt leaves nothing behind" is written. An attempt begins by marking
// where the output and the submissions stand; settle() keeps what came after the marks,
// or cuts back to them. Nothing is copied. A task on one rank settles when its kernel
// returns; a group's task once its group agrees (group_runner.hpp). MPI-free.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result_wire.hpp"
#include "core/wire.hpp"
#include "job/job.hpp"
#include "job/run_profile.hpp"

namespace taskfarm {

/// The tasks a rank's kernels submitted since its last reply, each encoded after its u32
/// length: they travel to the master at the end of the reply. Once a megabyte is waiting
/// they go ahead of it (stream_ahead), so that a kernel that submits millions of tasks
/// never holds them all; a failed attempt then takes back those that went ahead through
/// the reply's head.
class Submissions final : public detail::Submitter {
 public:
  std::string& begin_task() override;
  void end_task() override;
  /// Where they stand, those sent ahead included: a failed attempt rewinds to its mark.
  SubmittedHead mark() const { return SubmittedHead{sent_.count + count_, sent_.bytes + bytes_.size()}; }
  void rewind(const SubmittedHead& mark);
  /// Once `at` bytes are waiting, `send` takes them, headed by the count that still
  /// holds of those sent before.
  void stream_ahead(std::size_t at, std::function<void(std::string chunk)> send);
  /// Adds tasks that another buffer holds (a group's leader, for a task its group agreed on).
  void append(std::string_view encoded, std::uint64_t count);
  /// The tasks waiting, and how many.
  std::string_view encoded() const { return bytes_; }
  std::uint64_t count() const { return count_; }
  /// Moves them into a reply, with the head of those sent ahead; starts afresh.
  void into_reply(ResultBatchWriter& reply);
  /// Forgets those waiting (not those sent ahead).
  void clear() {
    bytes_.clear();
    count_ = 0;
  }

 private:
  std::string bytes_;
  std::uint64_t count_ = 0;
  std::size_t task_at_ = 0;  // where the task begun last starts
  SubmittedHead sent_;       // sent ahead since the last reply, and still counting
  std::size_t stream_at_ = SIZE_MAX;
  std::function<void(std::string)> send_;
};

/// How an attempt ended, as a worker reports it.
struct KernelFailure {
  std::string message;
  TaskStatus status = TaskStatus::failed;  // failed_for_good (PermanentError): not retried
};

/// The attempts of one rank's tasks: each runs its kernel and settles.
class Attempt {
 public:
  /// Attempts on `group` (this rank alone, by default); what they submit goes to
  /// `submissions` (null: the job's tasks submit none).
  explicit Attempt(Submissions* submissions = nullptr, const RankGroup& group = {}, const AttemptLimits& limits = {});
  /// A batch's attempts start from `reply_at`, when the worker last answered the master:
  /// their --task-timeout runs from there (as the master counts it).
  void start_batch(std::chrono::steady_clock::time_point reply_at);
  /// Reads the next task of `tasks` into the attempt's context; false when none is left.
  /// (Straight into the context: a copy of the task per attempt costs as much as a
  /// trivial task.)
  bool next(TaskBatchReader& tasks) { return tasks.next(context_); }
  /// The task read last.
  const TaskContext& task() const { return context_; }
  /// Begins an attempt of the task read last, whose output goes to `out`: marks where
  /// the output and the submissions stand.
  TaskContext& begin(std::string& out);
  /// Ends the attempt begun last: an ok one keeps its output and submissions, any other
  /// leaves nothing of them.
  void settle(TaskStatus status);
  /// Begins, runs `kernel`, settles. Returns how the attempt failed, if it did.
  std::optional<KernelFailure> run(Kernel& kernel, std::string& out);
  /// The same for `task`, read elsewhere.
  std::optional<KernelFailure> run(Kernel& kernel, const TaskView& task, std::string& out);

 private:
  TaskContext context_;
  Submissions* submissions_;
  std::chrono::steady_clock::duration timeout_;       // zero: none
  std::chrono::steady_clock::time_point run_end_;     // max(): none
  std::size_t out_mark_ = 0;
  SubmittedHead submitted_mark_;
};

}  // namespace taskfarm
