// cmd: a file of shell commands, one task per line, as the TACC launcher, disBatch and
// GNU parallel run them. Workers run each line as /bin/sh -c LINE in a process group of
// its own; the master prints each task's output in one piece (never interleaved with
// another task's) or, with --output, the workers write it to DIR/tasks/. --joblog writes
// GNU parallel's joblog, and --resume reads it back.
//
// The parts: tasks_file (the list), slots (GPUs and cores), group_launch (tasks on
// groups of ranks: MPI programs), outputs (--output files), attempt (the result data),
// logs (--joblog, --trace).

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "attempt.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "group_launch.hpp"
#include "job/job.hpp"
#include "logs.hpp"
#include "outputs.hpp"
#include "slots.hpp"
#include "tasks_file.hpp"

namespace taskfarm::cmd {
namespace {

class CmdJob final : public JobCommand, public JobSource, public Kernel, public AsyncSlots, public ResultHandler {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    roles.slots = this;
    roles.results = this;
    roles.part_files = false;  // its results go to the master (the joblog, stdout)
    roles.groups = true;       // a group's first rank starts each task (see start())
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--tasks-file", tasks_file_, "File of commands, one per line ('-': standard input); "
                                                    "blank lines and lines starting with # are skipped")
        ->required();
    command.add_option("--joblog", joblog_path_,
                       "Log every finished attempt in GNU parallel's --joblog format; with --resume, the "
                       "tasks it shows succeeded are skipped");
    slots_.add_options(command);
    launch_.add_options(command);
    command.add_option("--trace", trace_path_,
                       "Write one tab-separated line per attempt (Nextflow-style trace): where it ran, its GPUs "
                       "and cores, run time, exit, peak RSS, CPU time and storage I/O");
  }
  void check_options(const JobSettings& engine) override {
    slots_.check_options(engine.ranks_per_task);
    launch_.check_options(engine.ranks_per_task);
    output_dir_ = engine.output_dir;
    task_timeout_s_ = engine.task_timeout_s;
    resume_ = engine.resume;
  }

  std::unique_ptr<TaskSource> open() override {
    std::optional<JoblogState> earlier;
    if (joblog_path_ && resume_) {
      try {
        earlier = read_joblog(*joblog_path_);
      } catch (const std::runtime_error& e) {
        throw UsageError(std::string("--joblog: ") + e.what());
      }
    }
    TasksFile file = open_tasks_file(tasks_file_, earlier, joblog_path_.value_or(""));
    tasks_ = file.tasks;
    tasks_hash_ = file.hash;
    if (earlier) done_ = std::move(earlier->succeeded);
    logs_.open(joblog_path_, trace_path_, earlier.has_value(), resume_);
    return std::move(file.source);
  }
  std::string describe(std::string_view payload) const override { return std::string(command_of(payload)); }
  void run(TaskContext&) override { throw std::logic_error("cmd runs asynchronously"); }

  std::size_t claim(int rank, bool runs_tasks, const ShareOnNode& share) override {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host_ = name;
    return slots_.claim(rank, runs_tasks, share, host_);
  }
  void start(const KernelPlace& place) override {
    rank_ = place.rank;
    workers_ = place.workers;
    processes_ = std::make_unique<ProcessSlots>(task_timeout_s_);
    if (output_dir_) outputs_.emplace(*output_dir_, place.rank);
    const std::string widened = slots_.widen_cpu_binding();
    if (!widened.empty() && narrating()) narrate(widened);
    // A group's first rank starts each task, for the whole group (--ranks-per-task).
    if (place.group.size <= 1 || place.group.rank != 0) return;
    launch_.start(place.group);
    processes_->drop_environment(GroupLaunch::set_by_launcher);
  }
  std::size_t slots() const override { return slots_.count(); }
  bool keeps_own_log() const override { return joblog_path_.has_value(); }
  const IdRanges* done_in_own_log() const override { return &done_; }

  void start(std::uint64_t ticket, const TaskView& task) override;
  void reap(std::vector<FinishedTask>& finished, double wait_s) override;

  void deliver(const ResultView& result, ResultSink& out) override {
    const DecodedAttempt attempt = decode_attempt(result.data);
    out.write(attempt.out);
    if (!attempt.err.empty() && !failed_outside_command(attempt.record)) {
      out.flush();  // what the task printed before, first
      log::raw(attempt.err);
    }
    max_peak_rss_kib_ = std::max(max_peak_rss_kib_, attempt.record.peak_rss_kib);
    cpu_s_ += attempt.record.user_s + attempt.record.sys_s;
    logs_.record(result.id, attempt);
  }
  nlohmann::json task_usage() const override {
    return {{"max_peak_rss_kib", max_peak_rss_kib_}, {"cpu_s", std::round(cpu_s_ * 1000) / 1000}};
  }
  std::string failure_message(std::string_view data) const override { return cmd::failure_message(data, task_timeout_s_); }
  nlohmann::json parameters() const override {
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016" PRIx64, tasks_hash_);
    return {{"tasks_file", tasks_file_}, {"tasks", tasks_}, {"tasks_fnv1a", hash}};
  }

 private:
  struct Started {
    std::string command;
    std::string output_base;  // DIR/tasks/BUCKET/ID, with --output
    std::uint32_t attempt;
    std::uint32_t slot;
  };
  ProcessSpec spec_for(const TaskView& task, std::size_t slot) const;
  void put(std::string& data, const AttemptRecord& record, const Started& started, std::string_view out) const {
    put_attempt(data, record, {host_, slots_.gpus_text(started.slot), slots_.cpus_text(started.slot), started.command},
                out);
  }
  FinishedTask finished_task(ProcessOutcome& outcome, const Started& started) const;
  /// The result of an attempt that could not start: exit value -1, the reason as its stderr.
  FinishedTask failed_attempt(std::uint64_t ticket, const Started& started, const std::string& reason) const {
    FinishedTask task{ticket, TaskStatus::failed, 0, {}, {}};
    put(task.data, AttemptRecord{epoch_now(), 0, -1, 0, 0, 0, started.attempt, rank_, started.slot, 0, 0, 0, 0, 0},
        started, "");
    task.data.append(reason);
    return task;
  }

  // Options.
  std::string tasks_file_;
  std::optional<std::string> joblog_path_;
  std::optional<std::string> trace_path_;
  std::optional<std::string> output_dir_;
  double task_timeout_s_ = 0;
  bool resume_ = false;
  // Master.
  std::uint64_t tasks_ = 0;
  std::uint64_t tasks_hash_ = 0;
  IdRanges done_;
  AttemptLogs logs_;
  std::uint64_t max_peak_rss_kib_ = 0;
  double cpu_s_ = 0;
  // Worker.
  int rank_ = 0;
  int workers_ = 1;
  std::string host_;
  Slots slots_;
  GroupLaunch launch_;
  std::optional<TaskOutputs> outputs_;
  std::unique_ptr<ProcessSlots> processes_;
  std::unordered_map<std::uint64_t, Started> started_;
  std::vector<ProcessOutcome> ended_;
  std::vector<FinishedTask> not_started_;  // attempts that failed in start(), reported by the next reap()
};

ProcessSpec CmdJob::spec_for(const TaskView& task, std::size_t slot) const {
  ProcessSpec spec;
  spec.command = command_of(task.payload);
  spec.env = {{"TASKFARM_TASK_ID", std::to_string(task.id)},
              {"TASKFARM_RANK", std::to_string(rank_)},
              {"TASKFARM_NTASKS", std::to_string(task_count_of(task.payload))},
              {"TASKFARM_WORKERS", std::to_string(workers_)},
              {"TASKFARM_SLOT", std::to_string(slot)}};
  slots_.give_to(slot, spec);
  if (launch_.active()) launch_.give_to(spec);
  if (outputs_) outputs_->direct(task.id, spec);
  return spec;
}

void CmdJob::start(std::uint64_t ticket, const TaskView& task) {
  const std::size_t slot = slots_.take();
  const ProcessSpec spec = spec_for(task, slot);
  Started started{std::string(spec.command), {}, task.attempt, static_cast<std::uint32_t>(slot)};
  if (narrating()) narrate("run task " + std::to_string(task.id) + ": " + spec.command);
  try {
    if (outputs_) started.output_base = outputs_->make_base(task.id);
    processes_->start(ticket, spec);
  } catch (const std::exception& e) {  // no process (a process limit, no memory) or no files for it
    TaskOutputs::discard(spec);
    not_started_.push_back(failed_attempt(ticket, started, std::string("could not start: ") + e.what()));
    slots_.release(slot);
    return;
  }
  started_.emplace(ticket, std::move(started));
}

FinishedTask CmdJob::finished_task(ProcessOutcome& outcome, const Started& started) const {
  if (outputs_) outputs_->publish(started.output_base, outcome);
  if (!outcome.spill_error.empty() && outcome.ok()) {  // its output is lost: the attempt fails
    outcome.stderr_text = "could not keep its output: " + outcome.spill_error;
    outcome.exit_value = -1;
  }
  FinishedTask task{outcome.ticket, outcome.ok() ? TaskStatus::ok : TaskStatus::failed, outcome.run_s, {}, {}};
  if (outcome.ok()) task.output = std::move(outcome.stdout_spill);
  put(task.data, AttemptRecord{outcome.start_epoch_s, outcome.run_s, outcome.exit_value, outcome.signal,
                               outcome.stdout_bytes, static_cast<std::uint8_t>(outcome.timed_out), started.attempt,
                               rank_, started.slot, outcome.peak_rss_kib, outcome.user_s, outcome.sys_s,
                               outcome.read_bytes, outcome.write_bytes},
      started, outcome.stdout_text);
  task.data.append(outcome.stderr_text);
  return task;
}

void CmdJob::reap(std::vector<FinishedTask>& finished, double wait_s) {
  for (FinishedTask& task : not_started_) finished.push_back(std::move(task));
  not_started_.clear();
  ended_.clear();
  processes_->reap(ended_, wait_s);
  for (ProcessOutcome& outcome : ended_) {
    auto it = started_.find(outcome.ticket);
    finished.push_back(finished_task(outcome, it->second));
    slots_.release(it->second.slot);
    started_.erase(it);
  }
}

}  // namespace

TASKFARM_REGISTER_JOB(CmdJob, "cmd", "Run a file of shell commands, one task per line (like GNU parallel)");

}  // namespace taskfarm::cmd
