#pragma once
// The job interface. A job is a kernel (run on workers) plus a streamed task source
// (run on the master). Each job lives in one file under jobs/ and registers itself by
// name with TASKFARM_REGISTER_JOB, so adding a job means adding a file.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "taskfarm/config.hpp"
#include "taskfarm/error.hpp"
#include "taskfarm/journal.hpp"
#include "taskfarm/sink.hpp"
#include "taskfarm/wire.hpp"

namespace CLI {
class App;
}

namespace taskfarm {

/// Produces task payloads one at a time, in a fixed order, without materialising the list:
/// 100 million tasks cost the master no more memory than ten.
class TaskSource {
 public:
  virtual ~TaskSource() = default;
  /// Total number of tasks when known up front (drives guided batch shrinking).
  virtual std::optional<std::uint64_t> size() const = 0;
  /// Writes the next payload into `payload` (reusing its capacity); false when exhausted.
  virtual bool next(std::string& payload) = 0;
};

/// Where a kernel may print narration (--verbose). Writes one timestamped line per call.
using Narrator = std::function<void(std::string_view)>;

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

/// What an asynchronous job reports for a task it started (see Job::start).
struct FinishedTask {
  std::uint64_t ticket;
  TaskStatus status;
  double run_s;
  std::string data;  // the result's data, or the failure message
};

class Job {
 public:
  virtual ~Job() = default;

  /// Adds the job's own options to its subcommand. Called on every rank.
  virtual void add_options(CLI::App& command) = 0;
  /// Checks and completes option values after parsing (on every rank), given the engine's
  /// options; throws UsageError naming the bad option.
  virtual void check_options(const Config&) {}
  /// Opens the task source. Called on the master only; may throw UsageError.
  virtual std::unique_ptr<TaskSource> open_source() = 0;
  /// Short human text for a task, used in "Put task ..." narration.
  virtual std::string describe(std::string_view payload) const = 0;
  /// Runs one task and appends its output (complete lines) to `out`.
  /// Throws std::exception to fail the task; the message is reported.
  virtual void run(const TaskView& task, std::string& out) = 0;
  /// Runs once on every worker after its last task (wordcount's shuffle and reduce).
  virtual void finish(WorkerContext&) {}
  /// Called on a rank that runs tasks, before its first task.
  virtual void start_worker(int /*rank*/, int /*workers*/) {}
  /// Jobs with a reduce phase: their results only exist after finish(), which writes them
  /// to a reduce file of its own; their part files hold the map output, journaled like
  /// any results so that --resume can read them back (WorkerContext::earlier_output).
  virtual bool has_reduce_phase() const { return false; }
  /// Whether kernels write their results to the worker's part file under --output. Jobs
  /// that write files of their own (cmd) send their results to the master instead.
  virtual bool uses_part_files() const { return true; }

  // Asynchronous jobs, whose tasks are processes (cmd), run up to slots() tasks at once on
  // one worker. For them the engine calls start() and reap() instead of run().
  /// 0 for ordinary jobs, which run one task at a time through run().
  virtual std::size_t slots() const { return 0; }
  /// Starts a task without waiting for it; `ticket` names it in reap().
  virtual void start(std::uint64_t /*ticket*/, const TaskView&) { throw std::logic_error("start: not asynchronous"); }
  /// Waits up to `wait_s` seconds for started tasks to end; appends each one that ended.
  virtual void reap(std::vector<FinishedTask>&, double /*wait_s*/) { throw std::logic_error("reap: not asynchronous"); }
  /// Whether the job enforces --task-timeout itself (by killing the task).
  virtual bool enforces_task_timeout() const { return false; }

  /// Master: what to do with one result. The default writes a success's data to `out`.
  virtual void deliver(const ResultView& result, ResultSink& out) {
    if (result.status == TaskStatus::ok) out.write(result.data);
  }
  /// Master: the message of a failed attempt, from its result data.
  virtual std::string failure_message(std::string_view data) const { return std::string(data); }
  /// Whether the job keeps a log of its own (cmd's --joblog) that --resume can use
  /// without an output directory's journal.
  virtual bool keeps_own_log() const { return false; }
  /// Master, with --resume, after open_source(): the tasks its own log says are done.
  virtual const IdRanges* done_in_own_log() const { return nullptr; }
  /// Called after each batch on a worker that writes a part file (a fold appends the
  /// batch's partial value there).
  virtual void end_batch(std::string& /*out*/) {}
  /// Jobs that fold their results into one value (the library's fold). Their part files
  /// hold partial values, not results.
  virtual bool folds() const { return false; }
  /// Master, after a complete run of a folding job: the final value as text, from the
  /// partial values in `parts` (empty without --output: from what deliver() gathered).
  virtual std::string fold_value(const std::vector<PartSlice>& /*parts*/) { return {}; }
  /// Input bytes this rank has read, for the report.
  virtual std::uint64_t bytes_read() const { return 0; }
  /// The job's parameters, recorded in the report.
  virtual nlohmann::json parameters() const;

  /// Set by the engine before tasks run when --verbose is given.
  void set_narrator(Narrator narrator) { narrator_ = std::move(narrator); }

 protected:
  void narrate(std::string_view text) const {
    if (narrator_) narrator_(text);
  }
  bool narrating() const { return static_cast<bool>(narrator_); }

 private:
  Narrator narrator_;
};

struct JobEntry {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<Job>()> make;
};

/// All jobs linked into the program, sorted by name.
const std::vector<JobEntry>& registered_jobs();

namespace detail {
bool register_job(JobEntry entry);
}

}  // namespace taskfarm

#define TASKFARM_CONCAT_INNER(a, b) a##b
#define TASKFARM_CONCAT(a, b) TASKFARM_CONCAT_INNER(a, b)
/// Registers `Type` (default-constructible, derived from Job) under `name`.
#define TASKFARM_REGISTER_JOB(Type, name, summary)                                   \
  static const bool TASKFARM_CONCAT(taskfarm_registered_, __LINE__) =                \
      ::taskfarm::detail::register_job(                                              \
          {name, summary, [] { return std::unique_ptr<::taskfarm::Job>(new Type()); }})
