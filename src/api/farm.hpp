#pragma once
// Running a job on this rank: the MPI master (rank 0), a worker (every other rank), a
// rank of a group, or the one-rank mode in which the master runs the tasks itself.

#include <memory>
#include <optional>

#include "core/sink.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "master/report.hpp"
#include "mpi/protocol.hpp"
#include "resume/run_plan.hpp"

namespace taskfarm {

/// Tasks on groups of ranks (--ranks-per-task above 1): this rank's part, as a master,
/// a group's leader or another of its ranks, or a rank left out of every group.
std::optional<RunReport> run_in_groups(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink);

/// This rank's part of a run: run_master (over MPI, or alone) or run_worker, by rank and size.
/// `source` is used on rank 0 only (workers may pass null). Rank 0 gets the report.
std::optional<RunReport> run_this_rank(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink);

}  // namespace taskfarm
