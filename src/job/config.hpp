#pragma once
// Engine options common to every job, as parsed from the command line.

#include <cstdint>
#include <optional>
#include <string>

#include "job/run_profile.hpp"

namespace taskfarm {

struct BatchPolicy {
  std::uint32_t fixed = 0;            // tasks per batch; 0 means auto
  double target_batch_s = 1e-3;       // auto: aim for batches of about this much work,
  double master_batches_per_s = 25e3; // ... and at least workers / this (one master's pace)
  std::uint32_t max_batch = 16384;    // auto: upper bound (keeps messages and memory small)
  double prefetch_s = 4e-3;           // least work each worker holds (a fast path's delay is less)
  double max_prefetch_s = 1.0;        // most, however slow its path
  std::uint32_t slots = 1;            // tasks a worker runs at once (cmd --slots-per-worker)
};

/// Documented exit codes (README, "Exit codes").
enum class ExitCode : int {
  success = 0,        // every task done
  tasks_failed = 1,   // the job ran to the end, some tasks failed
  usage = 2,          // bad command line or input; nothing ran
  incomplete = 3,     // stopped early (signal, walltime, result timeout); resumable with --resume
  runtime_error = 4,  // an I/O or internal error ended the job
  rank_stuck = 5,     // every task done and committed, but a rank never answered (MPI_Abort)
};

struct Config {
  std::string job;
  std::optional<std::string> report_path;
  std::optional<std::string> output_dir;  // results go to part files here, not stdout
  bool overwrite = false;
  bool resume = false;                    // continue the run journaled in output_dir
  bool verbose = false;
  int window = 1024;              // most task batches a worker holds
  std::string batch_text = "auto";  // --batch auto|N, as given
  BatchPolicy batch;              // ... parsed
  double result_timeout_s = 0;    // 0: wait as long as tasks run
  double task_timeout_s = 0;      // 0: tasks may run as long as they like
  std::uint32_t retries = 2;      // more attempts for a failed task
  bool halt_on_error = false;     // stop handing out tasks at the first failed task
  double grace_s = 20;            // after SIGTERM/SIGUSR1: wait this long for running tasks
  std::string progress = "auto";  // none, bar, log or auto
  double progress_interval_s = 30;
  std::optional<std::string> end_time;    // --end-time as given: epoch seconds or +S
  std::optional<double> end_epoch_s;      // ... resolved; in run_job, the run's end on every rank
  std::string end_source = "--end-time";  // where the run's end comes from, for the log
  std::optional<double> min_time_left_s;  // --min-time-left; default: p90 of task run times
  std::uint32_t ranks_per_task = 1;       // each task runs on a group of this many ranks
  RunProfile profile;                     // not an option: decided from the rest in run_job (profile_run)
};

}  // namespace taskfarm
