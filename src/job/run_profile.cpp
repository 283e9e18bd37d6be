#include "job/run_profile.hpp"

#include "job/config.hpp"

namespace taskfarm {

RunProfile profile_run(const Config& config, const JobRoles& job, int ranks, bool cores_shared) {
  RunProfile p;
  const bool slots = job.slots != nullptr;
  p.executor = slots ? ExecutorKind::slots : config.ranks_per_task > 1 ? ExecutorKind::group : ExecutorKind::sequential;
  p.one_rank = ranks == 1;
  p.slots = slots ? config.batch.slots : 1;
  // In-process, the worker runs what it holds when polled: one batch at a time (one per
  // process slot, and one more), so that the master's loop runs between batches.
  p.window = p.one_rank ? static_cast<int>(p.slots) + (slots ? 1 : 0) : config.window;
  p.master_times_tasks = !slots;  // process slots kill their own
  p.patient = slots;
  p.cores_shared = cores_shared;
  p.limits = AttemptLimits{config.task_timeout_s, config.end_epoch_s};
  return p;
}

}  // namespace taskfarm
