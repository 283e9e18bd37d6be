#pragma once
// The run report: the one-line summary on stderr and the --report JSON.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/monitor.hpp"
#include "core/run_state.hpp"
#include "job/config.hpp"
#include "master/pipeline.hpp"

namespace taskfarm {

struct WorkerReport {
  int rank = 0;
  std::uint64_t tasks = 0;  // done + failed
  std::uint64_t failed = 0;
  double busy_s = 0;        // time inside kernels
  double idle_s = 0;        // time with nothing to run
  std::uint64_t messages = 0;  // sent + received by the worker
  double max_task_s = 0;
  double round_trip_s = 0;  // its path's delay, the largest of the last second or two
  double turnaround_s = 0;  // the master's, from its reply to the next batch (likewise)
  std::uint64_t bytes_written = 0;  // to its part file (--output)
  std::uint64_t bytes_read = 0;     // of input files
  std::uint64_t part_bytes = 0;     // of its part file, as its last accepted reply vouched
  std::uint64_t peak_rss_bytes = 0; // the worker process's peak resident memory
  bool retired = false;             // --task-timeout: silent too long, given no more work
  bool answered = true;             // said goodbye; false: stuck, ended by MPI_Abort
};

struct RunReport {
  std::string job;
  nlohmann::json parameters = nlohmann::json::object();
  RunStatus status = RunStatus::complete;
  int ranks = 1;
  int workers = 0;
  std::uint64_t tasks_total = 0;   // tasks the source produced
  std::uint64_t tasks_done = 0;
  std::uint64_t tasks_failed = 0;
  std::uint64_t tasks_resumed = 0;  // done by earlier runs (--resume), not run again
  std::uint64_t tasks_submitted = 0;  // submitted by tasks (Submit<T>), in every run: part of tasks_total
  double elapsed_s = 0;
  std::uint64_t master_bytes_sent = 0;
  std::uint64_t master_messages = 0;
  std::uint64_t master_peak_rss_bytes = 0;
  double master_busy_s = 0;  // rank 0's dispatch loop at work: handing out, taking replies
  double master_idle_s = 0;  // ... and waiting for replies
  std::uint32_t ranks_per_task = 1;
  std::vector<std::vector<int>> groups;  // --ranks-per-task: each group's ranks, its leader first
  std::vector<int> idle_ranks;           // worker ranks left out of every group
  std::map<std::string, std::uint64_t> counts;  // what the job counted (walk's files, ...), summed over the workers
  std::vector<WorkerReport> per_worker;  // one per group with --ranks-per-task (its leader's rank)
  std::vector<FailedTask> failed_tasks;  // every task that failed all its attempts
  StopCause stop_cause = StopCause::none;
  std::string stop_reason;               // why an incomplete run stopped (describe(Stop))
  std::optional<std::string> result;     // a fold's final value, as printed
  nlohmann::json slurm = nullptr;        // the Slurm job, when run under Slurm
  nlohmann::json task_usage = nullptr;   // cmd: the processes' peak RSS and CPU time
  std::vector<TaskSample> timeline;      // sampled tasks (scripts/plot-report)
  std::vector<std::pair<double, std::uint64_t>> completions;  // completed count over time

  double tasks_per_s() const;
  double total_task_s() const;
  double max_task_s() const;
  /// max busy / mean busy over workers (1 = perfectly even).
  double imbalance() const;
  /// Ranks that never said goodbye.
  std::vector<int> stuck_ranks() const;
};

/// The Slurm job this run is part of (SLURM_JOB_ID and friends), or null.
nlohmann::json slurm_environment();

nlohmann::json to_json(const RunReport& report);
std::string summary_line(const RunReport& report);
/// One failed task per line (the job's description of it, as a tasks file would hold
/// it), through a temporary file and rename.
void write_failed_file(const RunReport& report, const std::string& path);
/// Writes `content` through a temporary file and a rename, so a reader never sees half a
/// file.
void write_file_whole(const std::string& path, const std::string& content);
/// Writes the JSON to `path` through a temporary file and rename, so a reader never
/// sees half a report.
void write_report_file(const RunReport& report, const std::string& path);

/// The exit code a finished run deserves.
ExitCode exit_code_for(const RunReport& report);

}  // namespace taskfarm
