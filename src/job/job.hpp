#pragma once
// What a job gives the engine: a master side (JobSource, streaming the tasks), a worker
// side (Kernel, running them), and the opt-in capabilities it needs (a reduce phase,
// asynchronous process slots, result handling on the master, a fold), bundled in
// JobRoles. Each built-in job lives in one file under jobs/ and registers its command
// line (JobCommand) by name with TASKFARM_REGISTER_JOB, so adding a job means adding a file.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskfarm/detail/work.hpp>
#include "core/result_wire.hpp"
#include "core/sink.hpp"
#include "core/spill_file.hpp"
#include "core/wire.hpp"
#include "resume/journal.hpp"
#include "taskfarm/error.hpp"

namespace CLI {
class App;
}

namespace taskfarm {

/// Produces task payloads one at a time, in a fixed order, without materialising the list:
/// 100 million tasks cost the master no more memory than ten. The library's sources and
/// the built-in jobs' share one interface (include/taskfarm/detail/work.hpp).
using TaskSource = detail::TaskStream;

/// What a job sees after its last task on a worker: a reduce phase.
class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  virtual int worker_index() const = 0;  // 0 .. workers() - 1
  virtual int workers() const = 0;
  /// All-to-all among the workers: outgoing[i] goes to worker i; returns what every
  /// worker sent to this one, by worker index.
  virtual std::vector<std::string> exchange(const std::vector<std::string>& outgoing) = 0;
  /// Where final output goes (this worker's reduce file under --output).
  virtual std::string& output() = 0;
  /// Part files of earlier runs (--resume) that this worker reads back: their map output.
  virtual const std::vector<PartSlice>& earlier_output() const = 0;
};

/// What an asynchronous job reports for a task it started (see AsyncSlots::start).
struct FinishedTask {
  std::uint64_t ticket;
  TaskStatus status;
  double run_s;
  std::string data;  // the result's data, or the failure message
  /// A success's output too large for memory, which the master writes before `data`'s:
  /// the worker streams it to the master in chunks, ahead of the reply.
  SpillFile output;
};

// ---- The roles a job composes ---------------------------------------------------------
// Every job has a master side (JobSource) and a worker side (Kernel). The capabilities
// below are opt-in: a job that has one gives the engine a pointer to it in JobRoles, and
// the engine asks for it through that pointer (null when the job lacks it).

/// Master side: opens the task source and speaks for the tasks.
class JobSource {
 public:
  virtual ~JobSource() = default;
  /// Opens the task source. Called on the master only; may throw UsageError.
  virtual std::unique_ptr<TaskSource> open() = 0;
  /// Short human text for a task ("Put task ..." narration, the _failed file).
  virtual std::string describe(std::string_view payload) const = 0;
  /// The job's parameters: the report's, and with the job's name the run's identity for
  /// --resume. Called after open().
  virtual nlohmann::json parameters() const = 0;
};

/// Worker side: runs one attempt at a time. The engine's one kernel interface, which the
/// library's typed kernels implement too (include/taskfarm/detail/work.hpp).
using Kernel = detail::TaskKernel;
using detail::KernelCounts;
using detail::KernelPlace;
using detail::RankGroup;
using detail::TaskContext;

/// Capability: a phase on every worker after its last task (wordcount's shuffle and
/// reduce). Its results only exist after finish(), which writes them to a reduce file of
/// its own; the part files hold the map output, journaled like any results so that
/// --resume can read them back (WorkerContext::earlier_output). Needs --output.
class ReducePhase {
 public:
  virtual ~ReducePhase() = default;
  virtual void finish(WorkerContext&) = 0;
};

/// A rank's place among the ranks of its node that see the same GPUs (or cores): the
/// `index`-th of `count`, which split them.
struct NodeShare {
  int index = 0;
  int count = 1;
};
/// The NodeShare for a key (a GPU list, a cpuset). A collective: every rank asks for the
/// same number of keys.
using ShareOnNode = std::function<NodeShare(const std::string& key)>;

/// Capability: tasks are processes (cmd), up to slots() at once on one worker. The engine
/// calls start() and reap() instead of Kernel::run(), and the job enforces --task-timeout
/// itself (by killing the task).
class AsyncSlots {
 public:
  virtual ~AsyncSlots() = default;
  /// Called on every rank before the run: takes this rank's share of its node's GPUs and
  /// cores for its slots. `runs_tasks` is false on a master with workers, which asks for
  /// the same keys (the split is collective) but takes nothing. Returns the slot count;
  /// throws UsageError when the node cannot give what the options ask.
  virtual std::size_t claim(int /*rank*/, bool /*runs_tasks*/, const ShareOnNode&) { return slots(); }
  virtual std::size_t slots() const = 0;
  /// Starts a task without waiting for it; `ticket` names it in reap().
  virtual void start(std::uint64_t ticket, const TaskView&) = 0;
  /// Waits up to `wait_s` seconds for started tasks to end; appends each one that ended.
  virtual void reap(std::vector<FinishedTask>&, double wait_s) = 0;
};

/// Capability: results go to the master, which handles them itself (cmd's joblog, the
/// library's sink and its fold without --output) instead of writing them out.
class ResultHandler {
 public:
  virtual ~ResultHandler() = default;
  /// Master: what to do with one result.
  virtual void deliver(const ResultView& result, ResultSink& out) = 0;
  /// Master: the message of a failed attempt, from its result data.
  virtual std::string failure_message(std::string_view data) const { return std::string(data); }
  /// Master: what the tasks' processes used, for the report (cmd), or null.
  virtual nlohmann::json task_usage() const { return nullptr; }
  /// Whether the job keeps a log of its own (cmd's --joblog) that --resume can use
  /// without an output directory's journal; then done_in_own_log() is what it says is
  /// done (after JobSource::open()).
  virtual bool keeps_own_log() const { return false; }
  virtual const IdRanges* done_in_own_log() const { return nullptr; }
};

/// Capability: results fold into one value (the library's fold). Its part files hold
/// partial values, not results.
class Folding {
 public:
  virtual ~Folding() = default;
  /// Master, after a complete run: the final value as text, from the partial values in
  /// `parts` (empty without --output: from what the ResultHandler gathered).
  virtual std::string fold_value(const std::vector<PartSlice>& parts) = 0;
};

/// A job as the engine runs it: its roles.
struct JobRoles {
  JobSource* source = nullptr;
  Kernel* kernel = nullptr;
  ReducePhase* reduce = nullptr;
  AsyncSlots* slots = nullptr;
  ResultHandler* results = nullptr;
  Folding* fold = nullptr;
  /// Whether kernels write their output to the worker's part file under --output. Jobs
  /// that write files of their own (cmd) send their results to the master instead.
  bool part_files = true;
  /// Whether tasks may submit tasks (TaskContext::submitter): the run ends when every
  /// task has run, the source's and the submitted ones.
  bool submits = false;
  /// Whether the job's tasks may run on groups of ranks (--ranks-per-task).
  bool groups = false;

  bool keeps_own_log() const { return results && results->keeps_own_log(); }
};

/// The engine options a job may depend on (and nothing else of the engine's Config).
struct JobSettings {
  std::optional<std::string> output_dir;
  bool resume = false;
  double task_timeout_s = 0;
  std::uint32_t ranks_per_task = 1;
};

/// A built-in job's command line: its options, checked after parsing, and its roles.
class JobCommand {
 public:
  virtual ~JobCommand() = default;
  /// Adds the job's own options to its subcommand. Called on every rank.
  virtual void add_options(CLI::App& command) = 0;
  /// Checks and completes option values after parsing (on every rank); throws UsageError
  /// naming the bad option.
  virtual void check_options(const JobSettings&) {}
  virtual JobRoles roles() = 0;
};

struct JobEntry {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<JobCommand>()> make;
};

/// All jobs linked into the program, sorted by name.
const std::vector<JobEntry>& registered_jobs();

namespace detail {
bool register_job(JobEntry entry);
}

}  // namespace taskfarm

#define TASKFARM_CONCAT_INNER(a, b) a##b
#define TASKFARM_CONCAT(a, b) TASKFARM_CONCAT_INNER(a, b)
/// Registers `Type` (default-constructible, derived from JobCommand) under `name`.
#define TASKFARM_REGISTER_JOB(Type, name, summary)                                   \
  static const bool TASKFARM_CONCAT(taskfarm_registered_, __LINE__) =                \
      ::taskfarm::detail::register_job(                                              \
          {name, summary, [] { return std::unique_ptr<::taskfarm::JobCommand>(new Type()); }})
