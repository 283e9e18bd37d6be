#pragma once
// Running a job: the MPI master (rank 0), the workers (every other rank), and the
// one-rank mode in which the master runs the tasks itself.

#include <memory>
#include <optional>

#include "taskfarm/config.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/journal.hpp"
#include "taskfarm/protocol.hpp"
#include "taskfarm/report.hpp"
#include "taskfarm/sink.hpp"
#include "taskfarm/transport.hpp"

namespace taskfarm {

/// What rank 0 prepared for this run. Workers only use `run`.
struct RunPlan {
  std::uint32_t run = 0;                // numbers this run's part files (a resume adds a run)
  std::optional<JournalState> resumed;  // master: what earlier runs did (--resume)
  CrashHistory crashes;                 // master: the tasks of ranks that died (--resume)
  std::string identity;                 // master: the job and its parameters, for the journal
};

/// Rank 0: dispatches, gathers, stops the workers (in-process in the one-rank mode).
RunReport run_master(Transport& transport, const JobRoles& job, std::unique_ptr<TaskSource> source, const Config& config,
                     const RunPlan& plan, ResultSink& sink);
/// Every other rank: receive, compute, reply, until told to stop. `rank` names its files
/// (its rank in the job); a group's leader runs each batch with its `group`.
void run_worker(Channel& channel, const JobRoles& job, const Config& config, std::uint32_t run, int rank,
                GroupLink* group = nullptr);
/// Tasks on groups of ranks (--ranks-per-task above 1): this rank's part, as a master,
/// a group's leader or another of its ranks, or a rank left out of every group.
std::optional<RunReport> run_in_groups(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink);

/// This rank's part of a run: run_master (over MPI, or alone) or run_worker, by rank and size.
/// `source` is used on rank 0 only (workers may pass null). Rank 0 gets the report.
std::optional<RunReport> run_this_rank(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink);

/// The part files of earlier runs (--resume) that hold something, each cut to what the
/// journal vouches for, in journal order.
std::vector<PartSlice> earlier_parts(const std::string& dir, const RunPlan& plan);

/// The exit code a finished run deserves.
ExitCode exit_code_for(const RunReport& report);

}  // namespace taskfarm
