#pragma once
// What a user watches while a job runs, and what the report keeps of it: progress on
// stderr (a live bar on a terminal, plain timestamped lines in batch logs) and a bounded
// timeline of tasks for scripts/plot-report. Stop signals (SIGTERM, SIGUSR1) are caught
// here too. MPI-free.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/wire.hpp"

namespace taskfarm {

/// Catches SIGTERM, SIGUSR1 and SIGINT on this rank: a batch system's walltime warning
/// or a user's Ctrl-C asks the master to stop dispatching and commit. A second Ctrl-C
/// ends the process.
void install_stop_signals();
/// From now on, the first stop signal also creates the file `path` (empty), from the
/// signal handler: the sign that this rank was alive when the job was stopped.
void mark_stop_signal_in(const std::string& path);
/// Creates that file now: the rank ends the job itself (a runtime error it reported).
void mark_stop_now();
/// The signal that asked to stop (0 if none).
int stop_signal();
/// This process's peak resident memory so far.
std::uint64_t peak_rss_bytes();
/// "SIGTERM" for 15, and so on.
std::string signal_name(int signal);

enum class ProgressMode { none, bar, log };

/// Parses none|bar|log|auto; auto is bar when stderr reaches a terminal, log otherwise.
ProgressMode parse_progress_mode(const std::string& text, bool stderr_is_terminal);

/// Whether what this process writes to stderr ends up on a person's terminal: stderr is a
/// terminal itself, or it is the pipe to a launcher (mpirun, mpiexec) that is this
/// process's parent and whose own stderr is a terminal. Under mpirun rank 0's stderr is
/// always such a pipe, so isatty alone would never show the bar where people run the farm.
bool stderr_reaches_terminal();

/// The first progress line in log mode comes after at most this many seconds, so a batch
/// log shows early that the job is moving; later ones every --progress-interval.
constexpr double first_log_line_s = 5;

struct ProgressState {
  double elapsed_s = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::optional<std::uint64_t> total;  // when the source knows it
  int busy_workers = 0;
  int workers = 0;
};

class Progress {
 public:
  /// `write` gets a bar's redraw (starting with "\r") or its final "\n", or a log line
  /// (without a newline).
  Progress(ProgressMode mode, double interval_s, std::function<void(std::string_view)> write);
  /// Call often; it draws only when due (a bar at most 4 times a second).
  void update(const ProgressState& state);
  /// Ends a bar's line.
  void finish();
  /// "1234/10000 12.3% | 456.7 tasks/s | ETA 0:00:19 | 2/2 workers busy | 0 failed"
  static std::string format(const ProgressState& state, double rate);

 private:
  ProgressMode mode_;
  double interval_s_;
  std::function<void(std::string_view)> write_;
  double next_due_s_ = 0;
  bool drawn_ = false;
  double last_s_ = 0;
  std::uint64_t last_done_ = 0;
  double rate_ = 0;
};

/// One task as the timeline shows it; times in seconds since the run began.
struct TaskSample {
  std::uint64_t id;
  int rank;
  double start_s;
  double end_s;
  bool ok;
};

/// A sample of the tasks (those whose ID is a multiple of a power-of-two stride, the
/// stride doubling whenever `capacity` is reached: cheap enough for millions of tasks per
/// second) and the completed count over time at most 2 * `points` times, so the report
/// stays small at any task count.
class Timeline {
 public:
  explicit Timeline(std::size_t capacity = 4096, std::size_t points = 1000);
  bool wants(std::uint64_t id) const { return (id & (stride_ - 1)) == 0; }
  /// The first ID from `from` on that wants() (the samples are every stride-th ID).
  std::uint64_t next_wanted(std::uint64_t from) const { return (from + stride_ - 1) & ~(stride_ - 1); }
  void add(const TaskSample& sample);
  /// Records the completed count; `force` records it even if the last point is recent.
  void completed(double now_s, std::uint64_t done, bool force = false);
  const std::vector<TaskSample>& samples() const { return samples_; }
  const std::vector<std::pair<double, std::uint64_t>>& completions() const { return completions_; }

 private:
  std::size_t capacity_;
  std::size_t points_;
  std::uint64_t stride_ = 1;
  std::vector<TaskSample> samples_;
  std::vector<std::pair<double, std::uint64_t>> completions_;
  double completion_step_s_ = 0.05;
};

}  // namespace taskfarm
