#pragma once
// How a worker runs the task batches it holds: one Executor, chosen once from the run's
// profile (RunProfile::executor). WorkerCore keeps the reply, the part file and the
// spilled outputs around it.
//   sequential  one batch at a time, one task after another, on this rank (BatchRunner)
//   group       the same on every rank of the leader's group, which agrees on the
//               failures before the leader replies (GroupBatchRunner, over a GroupLink)
//   slots       tasks as processes, up to the job's slots at once (SlotRunner, cmd)

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result_wire.hpp"
#include "core/spill_file.hpp"
#include "job/job.hpp"
#include "job/run_profile.hpp"
#include "worker/attempt.hpp"
#include "worker/group_runner.hpp"

namespace taskfarm {

/// What one step of an executor did.
struct ExecutorStep {
  std::size_t finished = 0;  // batches whose results went into the reply
  double busy_s = 0;         // time spent running tasks
  std::chrono::steady_clock::time_point at;  // the latest clock reading
};

class Executor {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Executor() = default;
  /// A task batch from the master, to run after those held.
  virtual void add(std::string_view batch) = 0;
  /// Batches held: queued or running.
  virtual std::size_t held() const = 0;
  /// Runs one batch, or one step of the slots waiting up to `wait_s`, into `reply`.
  /// `now` is the latest clock reading; the attempts' --task-timeout counts from
  /// `answered_at`, when the worker last answered the master.
  virtual ExecutorStep step(ResultBatchWriter& reply, time_point now, time_point answered_at, double wait_s) = 0;
  /// Tag::hold: starts no more tasks; those not started go into `reply` as not_started.
  /// Returns how many batches that finished.
  virtual std::size_t hold(ResultBatchWriter& reply) = 0;
  /// The spilled outputs of the tasks moved into replies since the last call, in order.
  virtual std::vector<std::pair<std::uint64_t, SpillFile>> take_outputs() { return {}; }
};

/// The executor `profile` asks for. Kernels write their output to `side_output` (a part
/// file's buffer) when given, and their submissions to `submitted` when the job's tasks
/// submit tasks. The group executor needs this rank's `group` link (a leader's).
std::unique_ptr<Executor> make_executor(const RunProfile& profile, const JobRoles& job, std::string* side_output,
                                        Submissions* submitted, GroupLink* group);

}  // namespace taskfarm
