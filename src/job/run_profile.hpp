#pragma once
// What kind of run this is, decided once in run_job from the options, the job's roles and
// the ranks: the policies that the master, the workers and the groups read, instead of
// each asking which roles the job has or how it is transported. MPI-free.

#include <cstdint>
#include <optional>

#include "job/job.hpp"

namespace taskfarm {

/// What limits an attempt in time: --task-timeout, and the run's end (Config).
struct AttemptLimits {
  double task_timeout_s = 0;         // 0: none
  std::optional<double> end_epoch_s;  // the run's end, on the system clock
};

struct Config;

/// How a worker runs the task batches it holds.
enum class ExecutorKind {
  sequential,  // one task after another, on this rank
  group,       // one task after another, on every rank of the leader's group
  slots,       // as processes, up to `slots` at once (cmd)
};

struct RunProfile {
  ExecutorKind executor = ExecutorKind::sequential;
  bool one_rank = false;        // the master runs the tasks itself (LocalTransport)
  int window = 1024;            // task batches a worker holds
  std::uint32_t slots = 1;      // tasks a worker runs at once
  bool master_times_tasks = true;  // the master retires a worker silent past --task-timeout
                                   // (false: the job kills its own tasks, cmd)
  bool patient = false;         // idle loops sleep at once: the tasks are processes that need the cores
  bool cores_shared = false;    // mpirun put more ranks on this node than it has cores
  AttemptLimits limits;         // each attempt's --task-timeout and the run's end (Task::deadline())
};

/// The profile of `job` with `config` on `ranks` ranks. `config.end_epoch_s` is the run's
/// end as run_job resolved it; config.batch.slots the slots the workers claimed.
/// `cores_shared`: the protocol's ranks_outnumber_cores().
RunProfile profile_run(const Config& config, const JobRoles& job, int ranks, bool cores_shared = false);

}  // namespace taskfarm
