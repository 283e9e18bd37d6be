#pragma once
// Running a job: the MPI master (rank 0), the workers (every other rank), and the
// one-rank mode in which the master runs the tasks itself.

#include <memory>
#include <optional>

#include "taskfarm/config.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/protocol.hpp"
#include "taskfarm/report.hpp"
#include "taskfarm/sink.hpp"

namespace taskfarm {

/// Rank 0 with no other ranks: runs every task in-process.
RunReport run_alone(Job& job, std::unique_ptr<TaskSource> source, const Config& config,
                    ResultSink& sink);
/// Rank 0 with workers: dispatches, gathers, stops the workers.
RunReport run_master(Channel& channel, Job& job, std::unique_ptr<TaskSource> source,
                     const Config& config, ResultSink& sink);
/// Every other rank: receive, compute, reply, until told to stop.
void run_worker(Channel& channel, Job& job, const Config& config);

/// This rank's part of a run: run_alone, run_master or run_worker, by rank and size.
/// `source` is used on rank 0 only (workers may pass null). Rank 0 gets the report.
std::optional<RunReport> run_this_rank(Channel& channel, Job& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, ResultSink& sink);

/// The exit code a finished run deserves.
ExitCode exit_code_for(const RunReport& report);

}  // namespace taskfarm
