// cmd: a file of shell commands, one task per line, as the TACC launcher, disBatch and
// GNU parallel run them. Workers run each line as /bin/sh -c LINE in a process group of
// its own; the master prints each task's output in one piece (never interleaved with
// another task's) or, with --output, the workers write it to DIR/tasks/. --joblog writes
// GNU parallel's joblog, and --resume reads it back.

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/clock.hpp"
#include "taskfarm/devices.hpp"
#include "taskfarm/joblog.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/process.hpp"
#include "taskfarm/text.hpp"

namespace taskfarm {
namespace {

/// Calls `fn(id, line)` for every task line of `in`, IDs counting from 0.
template <typename Fn>
void for_each_task(std::istream& in, Fn&& fn) {
  std::string line;
  for (std::uint64_t id = 0; next_task_line(in, line); ++id) fn(id, line);
}

// Payload: the task count (for TASKFARM_NTASKS), then the command.
std::uint64_t task_count_of(std::string_view payload) { return wire::get<std::uint64_t>(payload); }
std::string_view command_of(std::string_view payload) { return payload.substr(sizeof(std::uint64_t)); }

class CommandSource final : public TaskSource {
 public:
  CommandSource(std::unique_ptr<std::istream> in, std::uint64_t count) : in_(std::move(in)), count_(count) {}
  std::optional<std::uint64_t> size() const override { return count_; }
  bool next(std::string& payload) override {
    if (!next_task_line(*in_, line_)) return false;
    payload.clear();
    wire::put(payload, count_);
    payload.append(line_);
    return true;
  }

 private:
  std::unique_ptr<std::istream> in_;
  std::uint64_t count_;
  std::string line_;
};

/// What a worker sends back for each attempt: everything the master's joblog line and
/// pass-through output need.
struct AttemptRecord {
  double start_epoch_s;
  double run_s;
  std::int32_t exit_value;
  std::int32_t signal;
  std::uint64_t stdout_bytes;
  std::uint8_t timed_out;
  // For --trace and the report.
  std::uint32_t attempt;
  std::int32_t rank;
  std::uint32_t slot;
  std::uint64_t peak_rss_kib;
  double user_s;
  double sys_s;
  std::uint64_t read_bytes;
  std::uint64_t write_bytes;
};

void put_text(std::string& out, std::string_view text) {
  wire::put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

std::string_view get_text(std::string_view& in) { return wire::get_bytes(in, wire::get<std::uint32_t>(in)); }

/// An attempt that failed outside its command: no process (a process limit, no memory),
/// or no files for its output (a full disk). Its reason stands where its stderr would.
bool failed_outside_command(const AttemptRecord& r) { return r.exit_value == -1 && r.signal == 0 && !r.timed_out; }

struct DecodedAttempt {
  AttemptRecord record;
  std::string_view host, gpus, cpus, command, out, err;
};

DecodedAttempt decode(std::string_view data) {
  DecodedAttempt d{};
  d.record = wire::get<AttemptRecord>(data);
  d.host = get_text(data);
  d.gpus = get_text(data);
  d.cpus = get_text(data);
  d.command = get_text(data);
  d.out = get_text(data);
  d.err = data;
  return d;
}

class CmdJob final : public JobCommand, public JobSource, public Kernel, public AsyncSlots, public ResultHandler {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    roles.slots = this;
    roles.results = this;
    roles.part_files = false;  // its results go to the master (the joblog, stdout)
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--tasks-file", tasks_file_, "File of commands, one per line ('-': standard input); "
                                                    "blank lines and lines starting with # are skipped")
        ->required();
    command.add_option("--joblog", joblog_path_,
                       "Log every finished attempt in GNU parallel's --joblog format; with --resume, the "
                       "tasks it shows succeeded are skipped");
    command.add_option("--slots-per-worker", slots_option_,
                       "Commands one worker runs at once (default: 1, or as many as --gpus-per-slot and "
                       "--cpus-per-slot allow)")
        ->check(CLI::Range(1, 4096));
    command.add_option("--gpus-per-slot", gpus_per_slot_,
                       "GPUs each slot holds of its own; its tasks see only them (CUDA_VISIBLE_DEVICES, "
                       "ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, TASKFARM_GPUS). Worker ranks on one node split "
                       "its GPUs")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    command.add_option("--gpus", gpus_listed_,
                       "A node's GPUs, comma-separated (default: CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, "
                       "HIP_VISIBLE_DEVICES, SLURM_STEP_GPUS, SLURM_JOB_GPUS, then /dev/nvidia*)");
    command.add_option("--cpus-per-slot", cpus_per_slot_,
                       "Cores each slot holds of its own, from the rank's cpuset; its tasks are pinned to them "
                       "(TASKFARM_CPUS) with OMP_NUM_THREADS set. Worker ranks on one node with the same cpuset "
                       "split it")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    command.add_option("--trace", trace_path_,
                       "Write one tab-separated line per attempt (Nextflow-style trace): where it ran, its GPUs "
                       "and cores, run time, exit, peak RSS, CPU time and storage I/O");
  }

  void check_options(const JobSettings& engine) override {
    if (gpus_listed_ && split_list(*gpus_listed_).empty())
      throw UsageError("--gpus: expected a comma-separated list of GPUs, got '" + *gpus_listed_ + "'");
    if (gpus_listed_ && gpus_per_slot_ == 0) throw UsageError("--gpus is only used with --gpus-per-slot N");
    output_dir_ = engine.output_dir;
    task_timeout_s_ = engine.task_timeout_s;
    resume_ = engine.resume;
  }

  std::unique_ptr<TaskSource> open() override {
    std::unique_ptr<std::istream> in;
    if (tasks_file_ == "-") {
      // Read once and keep: standard input cannot be read twice.
      auto text = std::make_unique<std::stringstream>();
      *text << std::cin.rdbuf();
      in = std::move(text);
    } else {
      auto file = std::make_unique<std::ifstream>(tasks_file_, std::ios::binary);
      if (!*file)
        throw UsageError("--tasks-file: cannot open '" + tasks_file_ + "': " + std::strerror(errno));
      in = std::move(file);
    }
    std::optional<JoblogState> earlier;
    if (joblog_path_ && resume_) {
      try {
        earlier = read_joblog(*joblog_path_);
      } catch (const std::runtime_error& e) {
        throw UsageError(std::string("--joblog: ") + e.what());
      }
    }
    // First pass: count the tasks (for TASKFARM_NTASKS), hash them (a resume must see the
    // same tasks), and check that the joblog describes these tasks.
    tasks_hash_ = fnv1a_basis;
    for_each_task(*in, [&](std::uint64_t id, const std::string& line) {
      tasks_hash_ = fnv1a(line + "\n", tasks_hash_);
      tasks_ = id + 1;
      if (!earlier) return;
      const auto logged = earlier->commands.find(id + 1);
      if (logged != earlier->commands.end() && logged->second != line)
        throw UsageError("--joblog: " + *joblog_path_ + " belongs to another tasks file: its task " +
                         std::to_string(id + 1) + " is '" + logged->second + "', here it is '" + line + "'");
    });
    if (earlier && !earlier->commands.empty() && earlier->commands.rbegin()->first > tasks_)
      throw UsageError("--joblog: " + *joblog_path_ + " belongs to another tasks file: it has task " +
                       std::to_string(earlier->commands.rbegin()->first) + ", " + tasks_file_ + " has only " +
                       std::to_string(tasks_));
    if (tasks_ == 0) log::line("--tasks-file " + tasks_file_ + " holds no tasks (only blank or # lines)");
    in->clear();
    in->seekg(0);
    if (earlier) done_ = std::move(earlier->succeeded);
    if (joblog_path_) open_log(joblog_, *joblog_path_, "--joblog", joblog_header(), earlier.has_value());
    if (trace_path_) open_log(trace_, *trace_path_, "--trace", trace_header(), resume_);
    return std::make_unique<CommandSource>(std::move(in), tasks_);
  }

  std::string describe(std::string_view payload) const override { return std::string(command_of(payload)); }
  void run(const TaskView&, std::string&) override { throw std::logic_error("cmd runs asynchronously"); }

  std::size_t claim(int rank, bool runs_tasks, const ShareOnNode& share) override {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host_ = name;
    // This rank's share of its node's GPUs and cores, and what it found, for messages.
    std::vector<std::string> gpus;
    std::string gpus_found;
    if (gpus_per_slot_ > 0) {
      const GpuList found = find_gpus(gpus_listed_);
      const NodeShare mine = share(join_list(found.ids));
      gpus = share_of(found.ids, mine.index, mine.count);
      gpus_found = found.ids.empty()
                       ? "found none (give --gpus LIST)"
                       : "has " + std::to_string(gpus.size()) +
                             (mine.count > 1 ? " of the node's " + std::to_string(found.ids.size()) + " (split among " +
                                                   std::to_string(mine.count) + " workers)"
                                             : "") +
                             ": " + join_list(gpus) + " (from " + found.source + ")";
    }
    std::vector<int> cpus;
    std::string cpus_found;
    if (cpus_per_slot_ > 0) {
      const std::vector<int> allowed = allowed_cpus();
      const NodeShare mine = share(join_list(allowed));
      cpus = share_of(allowed, mine.index, mine.count);
      cpus_found = "may use " + std::to_string(cpus.size()) + " (cpuset " + join_list(allowed) +
                   (mine.count > 1 ? ", split among " + std::to_string(mine.count) + " workers" : "") +
                   "; a launcher binds ranks to cores: mpirun --bind-to none, or sbatch -c N, gives more)";
    }
    if (!runs_tasks) return 0;
    // Without --slots-per-worker: as many slots as the GPUs and cores allow.
    std::size_t slots = slots_option_.value_or(0);
    if (slots == 0) {
      slots = SIZE_MAX;
      if (gpus_per_slot_ > 0) slots = std::min(slots, gpus.size() / gpus_per_slot_);
      if (cpus_per_slot_ > 0) slots = std::min(slots, cpus.size() / cpus_per_slot_);
      slots = slots == SIZE_MAX ? 1 : std::max<std::size_t>(slots, 1);
    }
    const auto too_few = [&](const char* option, std::size_t per_slot, const char* what, const std::string& found) {
      return UsageError(std::string(option) + " " + std::to_string(per_slot) + " for " + std::to_string(slots) +
                        (slots == 1 ? " slot" : " slots") + " needs " + std::to_string(slots * per_slot) + " " + what +
                        "; rank " + std::to_string(rank) + " on " + host_ + " " + found);
    };
    if (gpus.size() < slots * gpus_per_slot_) throw too_few("--gpus-per-slot", gpus_per_slot_, "GPUs", gpus_found);
    if (cpus.size() < slots * cpus_per_slot_) throw too_few("--cpus-per-slot", cpus_per_slot_, "cores", cpus_found);
    slot_busy_.assign(slots, false);
    slot_gpus_ = slices(gpus, slots, gpus_per_slot_);
    slot_cpus_ = slices(cpus, slots, cpus_per_slot_);
    return slots;
  }

  void start(int rank, int workers) override {
    rank_ = rank;
    workers_ = workers;
    processes_ = std::make_unique<ProcessSlots>(task_timeout_s_);
    if (cpus_per_slot_ == 0) widen_cpu_binding();
  }
  std::size_t slots() const override { return slot_busy_.size(); }
  bool keeps_own_log() const override { return joblog_path_.has_value(); }
  const IdRanges* done_in_own_log() const override { return &done_; }

  void start(std::uint64_t ticket, const TaskView& task) override {
    // A free slot: SlotRunner never starts more tasks than there are slots.
    const auto slot = static_cast<std::size_t>(std::find(slot_busy_.begin(), slot_busy_.end(), false) - slot_busy_.begin());
    if (slot == slot_busy_.size()) throw std::logic_error("cmd: a task was started with every slot busy");
    ProcessSpec spec;
    spec.command = command_of(task.payload);
    spec.env = {{"TASKFARM_TASK_ID", std::to_string(task.id)},
                {"TASKFARM_RANK", std::to_string(rank_)},
                {"TASKFARM_NTASKS", std::to_string(task_count_of(task.payload))},
                {"TASKFARM_WORKERS", std::to_string(workers_)},
                {"TASKFARM_SLOT", std::to_string(slot)}};
    Started started{std::string(spec.command), {}, task.attempt, static_cast<std::uint32_t>(slot)};
    if (gpus_per_slot_ > 0) {
      const std::string gpus = join_list(slot_gpus_[slot]);
      for (const char* name : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "TASKFARM_GPUS"})
        spec.env.emplace_back(name, gpus);
    }
    if (cpus_per_slot_ > 0) {
      spec.cpus = slot_cpus_[slot];
      spec.env.emplace_back("OMP_NUM_THREADS", std::to_string(cpus_per_slot_));
      spec.env.emplace_back("TASKFARM_CPUS", join_list(spec.cpus));
    }
    if (output_dir_) {
      // Written under temporary names, renamed when the attempt ends: a file with the
      // final name is always a finished attempt's whole output.
      const std::string base = task_output_path(task.id);
      spec.stdout_path = base + ".out" + temporary_suffix();
      spec.stderr_path = base + ".err" + temporary_suffix();
    }
    if (narrating()) narrate("run task " + std::to_string(task.id) + ": " + spec.command);
    try {
      if (output_dir_) started.output_base = task_output_base(task.id);
      processes_->start(ticket, spec);
    } catch (const std::exception& e) {  // no process (a process limit, no memory) or no files for it
      if (output_dir_)
        for (const auto& path : {spec.stdout_path, spec.stderr_path})
          if (path) std::remove(path->c_str());
      not_started_.push_back(failed_attempt(ticket, started, std::string("could not start: ") + e.what()));
      return;
    }
    slot_busy_[slot] = true;
    started_.emplace(ticket, std::move(started));
  }

  void reap(std::vector<FinishedTask>& finished, double wait_s) override {
    for (FinishedTask& task : not_started_) finished.push_back(std::move(task));
    not_started_.clear();
    ended_.clear();
    processes_->reap(ended_, wait_s);
    for (ProcessOutcome& outcome : ended_) {
      auto it = started_.find(outcome.ticket);
      const Started& started = it->second;
      if (output_dir_) {
        for (const char* stream : {".out", ".err"}) {
          const std::string final_path = started.output_base + stream;
          if (std::rename((final_path + temporary_suffix()).c_str(), final_path.c_str()) != 0 && outcome.ok()) {
            outcome.stderr_text = "cannot rename to " + final_path + ": " + std::strerror(errno);
            outcome.exit_value = -1;  // the attempt fails; its output is not final
          }
        }
      }
      if (!outcome.spill_error.empty() && outcome.ok()) {  // its output is lost: the attempt fails
        outcome.stderr_text = "could not keep its output: " + outcome.spill_error;
        outcome.exit_value = -1;
      }
      FinishedTask task{outcome.ticket, outcome.ok() ? TaskStatus::ok : TaskStatus::failed, outcome.run_s, {}, {}};
      if (outcome.ok()) task.output = std::move(outcome.stdout_spill);
      put_attempt(task.data, AttemptRecord{outcome.start_epoch_s, outcome.run_s, outcome.exit_value, outcome.signal,
                                           outcome.stdout_bytes, static_cast<std::uint8_t>(outcome.timed_out),
                                           started.attempt, rank_, started.slot, outcome.peak_rss_kib, outcome.user_s,
                                           outcome.sys_s, outcome.read_bytes, outcome.write_bytes},
                  started, outcome.stdout_text);
      task.data.append(outcome.stderr_text);
      finished.push_back(std::move(task));
      slot_busy_[started.slot] = false;
      started_.erase(it);
    }
  }

  void deliver(const ResultView& result, ResultSink& out) override {
    const DecodedAttempt attempt = decode(result.data);
    out.write(attempt.out);
    if (!attempt.err.empty() && !failed_outside_command(attempt.record)) {
      out.flush();  // what the task printed before, first
      log::raw(attempt.err);
    }
    const AttemptRecord& r = attempt.record;
    max_peak_rss_kib_ = std::max(max_peak_rss_kib_, r.peak_rss_kib);
    cpu_s_ += r.user_s + r.sys_s;
    if (joblog_) {
      line_.clear();
      append_joblog_line(line_, JoblogEntry{result.id + 1, std::string(attempt.host), r.start_epoch_s, r.run_s, 0,
                                            r.stdout_bytes, r.exit_value, r.signal, std::string(attempt.command)});
      write_line(joblog_.get(), *joblog_path_);
    }
    if (trace_) {
      line_.clear();
      append_trace_line(line_, TraceEntry{result.id, r.attempt, r.rank, std::string(attempt.host), r.slot,
                                          std::string(attempt.gpus), std::string(attempt.cpus), r.start_epoch_s, r.run_s,
                                          r.exit_value, r.signal, r.peak_rss_kib, r.user_s, r.sys_s, r.read_bytes,
                                          r.write_bytes, std::string(attempt.command)});
      write_line(trace_.get(), *trace_path_);
    }
  }

  nlohmann::json task_usage() const override {
    return {{"max_peak_rss_kib", max_peak_rss_kib_}, {"cpu_s", std::round(cpu_s_ * 1000) / 1000}};
  }

  std::string failure_message(std::string_view data) const override {
    const DecodedAttempt attempt = decode(data);
    const AttemptRecord r = attempt.record;
    if (failed_outside_command(r)) return std::string(attempt.err);
    if (r.timed_out)
      return "timed out after " + seconds_text(task_timeout_s_) + " s (--task-timeout); process group killed by signal " +
             std::to_string(r.signal);
    if (r.signal != 0) return "killed by signal " + std::to_string(r.signal);
    return "exit value " + std::to_string(r.exit_value);
  }

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

  /// A result's data: the record, where it ran, the command and its output. Its stderr
  /// (or the reason it failed outside its command) follows, to the end.
  void put_attempt(std::string& data, const AttemptRecord& record, const Started& started, std::string_view out) const {
    wire::put(data, record);
    put_text(data, host_);
    put_text(data, join_list(slot_gpus_[started.slot]));
    put_text(data, join_list(slot_cpus_[started.slot]));
    put_text(data, started.command);
    put_text(data, out);
  }

  /// DIR/tasks/<id / 1000, 5 digits>/<id>: at most 1000 tasks' files per directory, and
  /// a task's files are found from its ID alone.
  std::string task_output_path(std::uint64_t id) const {
    char bucket[32];
    std::snprintf(bucket, sizeof bucket, "%05" PRIu64, id / 1000);
    return *output_dir_ + "/tasks/" + bucket + "/" + std::to_string(id);
  }
  /// task_output_path, with its directories made. Throws when they cannot be.
  std::string task_output_base(std::uint64_t id) {
    const std::string base = task_output_path(id);
    if (!made_dirs_.count(id / 1000)) {
      const std::string tasks_dir = *output_dir_ + "/tasks";
      for (const std::string& d : {tasks_dir, base.substr(0, base.rfind('/'))})
        if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
          throw std::system_error(errno, std::generic_category(), "cannot create " + d);
      made_dirs_.insert(id / 1000);
    }
    return base;
  }
  /// The result of an attempt that could not start: exit value -1, the reason as its stderr.
  FinishedTask failed_attempt(std::uint64_t ticket, const Started& started, const std::string& reason) const {
    FinishedTask task{ticket, TaskStatus::failed, 0, {}, {}};
    put_attempt(task.data, AttemptRecord{epoch_now(), 0, -1, 0, 0, 0, started.attempt, rank_, started.slot, 0, 0, 0, 0, 0},
                started, "");
    task.data.append(reason);
    return task;
  }
  /// mpirun and srun may bind a rank to one core, and its commands inherit that: N slots
  /// would then share one core. With more slots than bound cores, this rank and its
  /// commands may use every core (the kernel keeps them inside the job's cpuset).
  void widen_cpu_binding() const {
    cpu_set_t bound;
    const auto slots = static_cast<int>(this->slots());
    if (slots <= 1 || sched_getaffinity(0, sizeof bound, &bound) != 0 || CPU_COUNT(&bound) >= slots) return;
    cpu_set_t all;
    CPU_ZERO(&all);
    const long cpus = sysconf(_SC_NPROCESSORS_CONF);
    for (long cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; ++cpu) CPU_SET(static_cast<int>(cpu), &all);
    if (sched_setaffinity(0, sizeof all, &all) == 0 && narrating())
      narrate("bound to " + std::to_string(CPU_COUNT(&bound)) + " cores, fewer than --slots-per-worker " +
              std::to_string(slots) + ": commands may use every core");
  }
  std::string temporary_suffix() const { return ".tmp-rank" + std::to_string(rank_); }

  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using LogFile = std::unique_ptr<std::FILE, FileCloser>;

  /// Opens a log the master writes a line to per attempt (--joblog, --trace): appended
  /// to when `append` (a resumed run), the header first in a new or empty file.
  static void open_log(LogFile& file, const std::string& path, const char* option, const std::string& header, bool append) {
    const bool fresh = !append || ::access(path.c_str(), F_OK) != 0;
    file.reset(std::fopen(path.c_str(), fresh ? "w" : "a"));
    if (!file) throw UsageError(std::string(option) + ": cannot write '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fresh || (::stat(path.c_str(), &st) == 0 && st.st_size == 0)) std::fputs(header.c_str(), file.get());
    std::fflush(file.get());
  }
  void write_line(std::FILE* file, const std::string& path) const {
    if (std::fwrite(line_.data(), 1, line_.size(), file) != line_.size() || std::fflush(file) != 0)
      throw std::system_error(errno, std::generic_category(), "cannot write " + path);
  }

  // Options.
  std::string tasks_file_;
  std::optional<std::string> joblog_path_;
  std::optional<std::string> trace_path_;
  std::optional<std::size_t> slots_option_;
  std::size_t gpus_per_slot_ = 0;
  std::optional<std::string> gpus_listed_;
  std::size_t cpus_per_slot_ = 0;
  std::optional<std::string> output_dir_;
  double task_timeout_s_ = 0;
  bool resume_ = false;
  // Master.
  std::uint64_t tasks_ = 0;
  std::uint64_t tasks_hash_ = fnv1a_basis;
  IdRanges done_;
  LogFile joblog_;
  LogFile trace_;
  std::string line_;
  std::uint64_t max_peak_rss_kib_ = 0;
  double cpu_s_ = 0;
  // Worker.
  int rank_ = 0;
  int workers_ = 1;
  std::string host_;
  std::vector<bool> slot_busy_ = std::vector<bool>(1, false);  // by slot (claim() sizes it)
  std::vector<std::vector<std::string>> slot_gpus_ = std::vector<std::vector<std::string>>(1);
  std::vector<std::vector<int>> slot_cpus_ = std::vector<std::vector<int>>(1);
  std::unique_ptr<ProcessSlots> processes_;
  std::unordered_map<std::uint64_t, Started> started_;
  std::unordered_set<std::uint64_t> made_dirs_;
  std::vector<ProcessOutcome> ended_;
  std::vector<FinishedTask> not_started_;  // attempts that failed in start(), reported by the next reap()
};

}  // namespace

TASKFARM_REGISTER_JOB(CmdJob, "cmd", "Run a file of shell commands, one task per line (like GNU parallel)");

}  // namespace taskfarm
