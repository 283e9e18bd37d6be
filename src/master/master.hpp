#pragma once
// Rank 0's run: dispatch, collection, the stop policy and shutdown, in one loop, over a
// Transport (MPI ranks, the one-rank mode, or the simulated workers).

#include <memory>

#include "core/sink.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "master/report.hpp"
#include "master/transport.hpp"
#include "resume/run_plan.hpp"

namespace taskfarm {

/// Rank 0: dispatches, gathers, stops the workers (in-process in the one-rank mode).
RunReport run_master(Transport& transport, const JobRoles& job, std::unique_ptr<TaskSource> source, const Config& config,
                     const RunPlan& plan, ResultSink& sink);

}  // namespace taskfarm
