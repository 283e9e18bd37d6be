#pragma once
// Tasks on a group of ranks (--ranks-per-task N). The master sees each group as one
// worker: its leader. The leader shares each batch with its group in one message, every
// rank of the group runs the batch's tasks in order, and the group then agrees on which
// tasks failed (one collective per batch) before the leader replies. A task that failed
// on any rank fails, with that rank's message; the leader's output of it is dropped.
// MPI-free: the group's messages go through a GroupLink (mpi/protocol.hpp's GroupComm).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result_wire.hpp"
#include "core/wire.hpp"
#include "job/job.hpp"
#include "worker/attempt.hpp"

namespace taskfarm {

/// A task that failed on one rank of its group: its index in the batch, and why.
struct GroupFailure {
  std::uint32_t index = 0;
  std::string message;
  TaskStatus status = TaskStatus::failed;
};

/// Failures as bytes for a group's agreement: index, status, message length, message.
void put_group_failures(std::string& buf, const std::vector<GroupFailure>& failures);
/// Every failure in `in`: the bytes of every rank's put_group_failures, one after another.
std::vector<GroupFailure> get_group_failures(std::string_view in);

/// How the ranks of one group talk to each other. The leader is the group's rank 0.
class GroupLink {
 public:
  virtual ~GroupLink() = default;
  /// The kernel's view of the group (its own communicator, apart from the engine's).
  virtual const RankGroup& rank_group() const = 0;
  /// Leader: gives `message` to every other rank of the group.
  virtual void share(std::string_view message) = 0;
  /// Other ranks: the leader's next message. Waits without taking a core from the tasks.
  virtual void receive(std::string& message) = 0;
  /// Collective, once per batch: the leader gets every rank's failures, by rank; the
  /// others get their own back.
  virtual std::vector<GroupFailure> agree(const std::vector<GroupFailure>& mine) = 0;
};

/// One batch run on one rank: the output of each task, staged (only the leader's is
/// kept), its run time, and the tasks that failed here.
struct GroupBatch {
  std::string staged;
  std::vector<std::size_t> ends;  // staged[ends[i-1] .. ends[i]) is task i's output
  std::vector<double> seconds;
  std::vector<GroupFailure> failures;
  /// The tasks each task submitted (JobRoles::submits): submitted's bytes [submit_ends[i-1]
  /// .. submit_ends[i]), and their number.
  Submissions submitted;
  std::vector<std::pair<std::size_t, std::uint64_t>> submit_ends;
  std::string_view output(std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends[i - 1];
    return std::string_view(staged).substr(from, ends[i] - from);
  }
  /// Runs every task of `batch` through `attempt`; returns the time of the last reading.
  std::chrono::steady_clock::time_point run(Kernel& kernel, Attempt& attempt, std::string_view batch,
                                            std::chrono::steady_clock::time_point start);
};

/// The leader's runner: BatchRunner's interface, for a group.
class GroupBatchRunner {
 public:
  /// `submitted`: where the tasks of a job whose tasks submit tasks go (those of the tasks
  /// that succeeded on every rank, as the leader submitted them).
  GroupBatchRunner(Kernel& kernel, GroupLink& link, std::string* side_output, Submissions* submitted = nullptr,
                   const AttemptLimits& limits = {})
      : kernel_(kernel),
        link_(link),
        side_output_(side_output),
        submitted_(submitted),
        attempt_(submitted ? &batch_.submitted : nullptr, link.rank_group(), limits) {}
  /// Shares `batch` with the group, runs it, agrees, and writes the results to `reply`
  /// (see BatchRunner::run). Returns the batch's wall time from `start`.
  double run(std::string_view batch, ResultBatchWriter& reply, std::chrono::steady_clock::time_point start);
  std::chrono::steady_clock::time_point finished_at() const { return finished_at_; }
  /// See BatchRunner::answered_at.
  void answered_at(std::chrono::steady_clock::time_point t) { attempt_.start_batch(t); }

 private:
  void write_results(std::string_view batch, const std::vector<GroupFailure>& failures, ResultBatchWriter& reply);
  void commit_submissions(std::size_t i);
  Kernel& kernel_;
  GroupLink& link_;
  std::string* side_output_;
  Submissions* submitted_;
  GroupBatch batch_;
  Attempt attempt_;
  std::string message_;
  std::chrono::steady_clock::time_point finished_at_;
};

/// A group's other ranks: runs the leader's batches, in order, until the leader stops.
/// (A job whose leader runs each task alone, cmd's, shares no batch: its other ranks only
/// wait for the stop.)
void follow_group(Kernel& kernel, GroupLink& link, bool submits = false, const AttemptLimits& limits = {});
/// The leader: tells the group's other ranks that no batch follows.
void stop_group(GroupLink& link);

}  // namespace taskfarm
