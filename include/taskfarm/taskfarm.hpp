#pragma once
/// @file
/// taskfarm's public API: farm your own C++ function over MPI ranks.
///
/// A standalone program:
/// @code
/// #include <taskfarm/taskfarm.hpp>
/// int main(int argc, char** argv) {
///   taskfarm::App app(argc, argv, "collatz: steps to reach 1");
///   std::uint64_t n = 1000;
///   app.option("--n", n, "largest start value");
///   return app.run(taskfarm::range<std::uint64_t>(1, n + 1), [](std::uint64_t x) { return collatz_steps(x); });
/// }
/// @endcode
/// Rank 0 is the master: only it reads the source. Every other rank runs the kernel. The
/// engine's options (--output, --resume, --batch, ...) work as in the taskfarm program.
///
/// This header includes only the standard library and `<mpi.h>`.

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "taskfarm/codec.hpp"
#include "taskfarm/detail/kernels.hpp"
#include "taskfarm/detail/options.hpp"
#include "taskfarm/error.hpp"
#include "taskfarm/export.hpp"
#include "taskfarm/group.hpp"
#include "taskfarm/out.hpp"
#include "taskfarm/sources.hpp"
#include "taskfarm/submit.hpp"
#include "taskfarm/task.hpp"

namespace taskfarm {

/// The engine's options, for an embedded Farm. The same as the program's flags.
struct Options {
  std::string name = "farm";            ///< the run's name: report "job", and the resume identity
  std::optional<std::string> output;    ///< --output DIR: part files, journal, DIR/result
  bool overwrite = false;               ///< --overwrite
  bool resume = false;                  ///< --resume (needs output)
  std::optional<std::string> report;    ///< --report FILE: the JSON report
  std::uint32_t retries = 2;            ///< --retries
  bool halt_on_error = false;           ///< --halt-on-error
  double task_timeout_s = 0;            ///< --task-timeout (0: none)
  double result_timeout_s = 0;          ///< --result-timeout (0: none)
  double grace_s = 20;                  ///< --grace
  std::uint32_t batch = 0;              ///< --batch N (0: auto)
  int window = 1024;                    ///< --window
  std::string progress = "none";        ///< --progress: none, bar, log or auto
  double progress_interval_s = 30;      ///< --progress-interval
  std::optional<std::string> end_time;  ///< --end-time: epoch seconds, or +S seconds from now
  std::optional<double> min_time_left_s;  ///< --min-time-left (default: p90 of task run times)
  bool verbose = false;                 ///< -v
  std::uint32_t ranks_per_task = 1;     ///< --ranks-per-task: each task runs on a group of this many ranks
};

/// What a run did: the fields of the JSON report that a program most often needs. Only
/// the communicator's rank 0 has them; other ranks get `exit_code` and `on_root == false`.
struct Report {
  bool on_root = false;         ///< whether this rank is the communicator's rank 0 (the only one with the figures)
  int exit_code = 0;            ///< the program's exit codes: 0 done, 1 tasks failed, 2 usage, 3 incomplete, 4 error
  std::string status;           ///< "complete", "failed", "incomplete", or empty when nothing ran
  std::uint64_t tasks_total = 0;   ///< tasks the source produced
  std::uint64_t tasks_done = 0;    ///< tasks that succeeded in this run
  std::uint64_t tasks_failed = 0;  ///< tasks that failed every attempt
  std::uint64_t tasks_resumed = 0;  ///< done by an earlier run (resume), not run again
  std::uint64_t tasks_submitted = 0;  ///< submitted by tasks (Submit<T>), in every run; part of tasks_total
  double elapsed_s = 0;            ///< wall-clock seconds of the run
  int ranks = 0;                   ///< ranks in the communicator
  int workers = 0;                 ///< ranks that ran tasks (0: rank 0 ran them itself)
  std::string stop_reason;          ///< why an incomplete run stopped
  std::optional<std::string> result;  ///< a fold's value as printed
  std::vector<std::uint64_t> failed_tasks;  ///< IDs (positions in the source) of failed tasks
  std::string json;                 ///< the whole JSON report
};


/// The task a kernel is running: its ID (its position in the source, from 0) and its
/// attempt (0 for the first; retries count up).
struct TaskInfo {
  std::uint64_t id = 0;       ///< position in the source, from 0
  std::uint32_t attempt = 0;  ///< 0 for the first attempt, then 1, 2, ... (--retries)
};
/// Called from a kernel: the task it is running. Kept for 0.3 programs; a kernel taking a
/// taskfarm::Task<T>& has task.id() and task.attempt().
inline TaskInfo this_task() {
  const detail::TaskContext* task = detail::current_task_context();
  return task ? TaskInfo{task->id, task->attempt} : TaskInfo{};
}

/// A standalone farm program: its command line (the user's options and the engine's),
/// MPI start-up and shut-down, and the run.
class TASKFARM_API App {
 public:
  /// Initialises MPI if nobody has (and then finalises it when the App ends).
  App(int argc, char** argv, std::string description);
  App(const App&) = delete;
  App& operator=(const App&) = delete;
  ~App();

  /// Declares `--name VALUE` (a flag for bool) and assigns it from argv at once, so the
  /// next line can use it. Errors (a bad value, a name that clashes with an engine
  /// option) are reported by run(), with --help, once every option is known.
  template <class V>
  App& option(const std::string& name, V& value, const std::string& help) {
    add_option(detail::option_spec(name, value, help));
    return *this;
  }

  /// Runs `kernel` on every task of `source` and returns the exit code (0 all done, 1 some
  /// tasks failed, 2 usage error, 3 incomplete, 4 runtime error). Each result becomes a
  /// line "task<TAB>result" (R kernel(const T&), R kernel(const T&, taskfarm::Task<T>&)),
  /// or the kernel writes its own lines (void kernel(const T&, taskfarm::Task<T>& task),
  /// through task.out()); on stdout, or in part files with --output.
  template <class Source, class Kernel>
  int run(Source&& source, Kernel&& kernel) {
    detail::Work work = detail::line_work(std::forward<Source>(source), std::forward<Kernel>(kernel));
    return run_work(work);
  }

  /// Folds every result into one value, printed alone as the last line on stdout (and
  /// written to DIR/result with --output).
  template <class Source, class Kernel, class V, class Op>
  int run(Source&& source, Kernel&& kernel, Fold<V, Op> folding) {
    Op op = folding.op;
    auto root = std::make_unique<detail::FoldRoot<V, Op>>(std::move(folding));
    detail::Work work = detail::fold_work(std::forward<Source>(source), std::forward<Kernel>(kernel), *root, std::move(op));
    work.owned_root = std::move(root);
    return run_work(work);
  }

  /// This process's rank in MPI_COMM_WORLD (0 is the master).
  int rank() const;
  /// The number of ranks in MPI_COMM_WORLD.
  int size() const;

 private:
  struct State;
  void add_option(detail::OptionSpec spec);
  int run_work(detail::Work& work);
  std::unique_ptr<State> state_;
};

/// A farm inside an MPI program that already exists: the caller owns MPI (and its
/// signals: a Farm installs no signal handlers). The communicator's rank 0 is the master;
/// map() is collective over it. A map() that cannot run or finish throws taskfarm::Error on
/// every rank (a bad Options value, an output directory that cannot be made, a full disk
/// on any rank, an unreadable journal); the Farm can run another map() after it. Only a
/// rank that stops answering ends the job (MPI_Abort).
class TASKFARM_API Farm {
 public:
  /// Collective over `comm`, which it duplicates. Throws taskfarm::UsageError before
  /// MPI_Init.
  explicit Farm(MPI_Comm comm, Options options = {});
  Farm(const Farm&) = delete;
  Farm& operator=(const Farm&) = delete;
  ~Farm();

  /// The engine options the next map() uses.
  Options& options() { return options_; }
  /// This process's rank in the farm's communicator (0 is the master).
  int rank() const;
  /// The number of ranks in the farm's communicator.
  int size() const;

  /// Lines "task<TAB>result" (or the kernel's own lines) to rank 0's stdout, or to part
  /// files with options().output.
  template <class Source, class Kernel>
  Report map(Source&& source, Kernel&& kernel) {
    detail::Work work = detail::line_work(std::forward<Source>(source), std::forward<Kernel>(kernel));
    return run_work(work);
  }

  /// Calls `sink(task, result)` on rank 0 for every result, in the order they arrive.
  template <class Source, class Kernel, class Sink>
  Report map(Source&& source, Kernel&& kernel, Sink&& sink) {
    using T = detail::task_of<Source>;
    detail::check_returns<T, std::decay_t<Kernel>>();
    using R = typename detail::KernelCall<T, std::decay_t<Kernel>>::result;
    static_assert(std::is_invocable_v<Sink&, const T&, const R&>, "taskfarm: the sink must be callable as sink(const T&, const R&)");
    detail::SinkRoot<T, R, std::remove_reference_t<Sink>> root(sink);
    detail::Work work = detail::to_root_work(std::forward<Source>(source), std::forward<Kernel>(kernel), root);
    return run_work(work);
  }

  /// Folds every result; returns the value on rank 0 (the initial value elsewhere, and
  /// for a run that did not complete: see last_report()).
  template <class Source, class Kernel, class V, class Op>
  V map(Source&& source, Kernel&& kernel, Fold<V, Op> folding) {
    Op op = folding.op;
    detail::FoldRoot<V, Op> root(folding);
    detail::Work work = detail::fold_work(std::forward<Source>(source), std::forward<Kernel>(kernel), root, std::move(op));
    last_report_ = run_work(work);
    return last_report_.status == "complete" ? root.value : folding.init;
  }

  /// The report of the last map().
  const Report& last_report() const { return last_report_; }

 private:
  Report run_work(detail::Work& work);
  Options options_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  Report last_report_;
};

}  // namespace taskfarm
