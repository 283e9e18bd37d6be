#include "master/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace taskfarm {

double RunReport::tasks_per_s() const {
  return elapsed_s > 0 ? static_cast<double>(tasks_done + tasks_failed) / elapsed_s : 0.0;
}

double RunReport::total_task_s() const {
  return std::accumulate(per_worker.begin(), per_worker.end(), 0.0,
                         [](double s, const WorkerReport& w) { return s + w.busy_s; });
}

double RunReport::max_task_s() const {
  double m = 0;
  for (const auto& w : per_worker) m = std::max(m, w.max_task_s);
  return m;
}

double RunReport::imbalance() const {
  if (per_worker.empty()) return 1.0;
  double max_busy = 0;
  for (const auto& w : per_worker) max_busy = std::max(max_busy, w.busy_s);
  const double mean = total_task_s() / static_cast<double>(per_worker.size());
  return mean > 0 ? max_busy / mean : 1.0;
}

std::vector<int> RunReport::stuck_ranks() const {
  std::vector<int> stuck;
  for (const auto& w : per_worker)
    if (!w.answered) stuck.push_back(w.rank);
  return stuck;
}

nlohmann::json slurm_environment() {
  const char* job_id = std::getenv("SLURM_JOB_ID");
  if (!job_id) return nullptr;
  nlohmann::json slurm = nlohmann::json::object();
  for (const char* name : {"SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_JOB_NODELIST", "SLURM_NTASKS",
                           "SLURM_JOB_NUM_NODES", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT",
                           "SLURM_CLUSTER_NAME", "SLURM_JOB_PARTITION", "SLURM_SUBMIT_DIR"}) {
    if (const char* value = std::getenv(name)) {
      std::string key = name + 6;  // without SLURM_
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      slurm[key] = value;
    }
  }
  return slurm;
}

namespace {
/// Sampled tasks as [id, rank, start_s, end_s, ok] rows and the completions as [t, done].
nlohmann::json timeline_json(const RunReport& r) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const TaskSample& t : r.timeline) tasks.push_back({t.id, t.rank, t.start_s, t.end_s, t.ok});
  nlohmann::json completed = nlohmann::json::array();
  for (const auto& [t, done] : r.completions) completed.push_back({t, done});
  return {{"task_columns", {"id", "rank", "start_s", "end_s", "ok"}}, {"tasks", tasks}, {"completed", completed}};
}
}  // namespace

nlohmann::json to_json(const RunReport& r) {
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& w : r.per_worker) {
    workers.push_back({{"rank", w.rank},
                       {"tasks", w.tasks},
                       {"failed", w.failed},
                       {"busy_s", w.busy_s},
                       {"idle_s", w.idle_s},
                       {"messages", w.messages},
                       {"max_task_s", w.max_task_s},
                       {"round_trip_s", w.round_trip_s},
                       {"turnaround_s", w.turnaround_s},
                       {"bytes_written", w.bytes_written},
                       {"bytes_read", w.bytes_read},
                       {"peak_rss_bytes", w.peak_rss_bytes},
                       {"retired", w.retired},
                       {"answered", w.answered}});
  }
  // The report stays small with millions of failures; _failed has them all.
  constexpr std::size_t listed_failures = 1000;
  nlohmann::json failed = nlohmann::json::array();
  for (std::size_t i = 0; i < std::min(r.failed_tasks.size(), listed_failures); ++i) {
    const FailedTask& f = r.failed_tasks[i];
    failed.push_back({{"id", f.id}, {"attempts", f.attempts}, {"task", f.task}, {"error", f.error}});
  }
  nlohmann::json result = nullptr;  // a fold's value: a JSON number when it is one
  if (r.result) {
    result = nlohmann::json::parse(*r.result, nullptr, false);
    if (!result.is_number()) result = *r.result;
  }
  return {{"job", r.job},
          {"parameters", r.parameters},
          {"result", result},
          {"status", to_string(r.status)},
          {"ranks", r.ranks},
          {"workers", r.workers},
          {"ranks_per_task", r.ranks_per_task},
          {"groups", r.groups},
          {"idle_ranks", r.idle_ranks},
          {"tasks_total", r.tasks_total},
          {"tasks_done", r.tasks_done},
          {"tasks_failed", r.tasks_failed},
          {"tasks_resumed", r.tasks_resumed},
          {"tasks_submitted", r.tasks_submitted},
          {"counts", r.counts},
          {"elapsed_s", r.elapsed_s},
          {"tasks_per_s", r.tasks_per_s()},
          {"total_task_s", r.total_task_s()},
          {"max_task_s", r.max_task_s()},
          {"imbalance", r.imbalance()},
          {"master_bytes_sent", r.master_bytes_sent},
          {"master_messages", r.master_messages},
          {"master_peak_rss_bytes", r.master_peak_rss_bytes},
          {"master_busy_s", r.master_busy_s},
          {"master_idle_s", r.master_idle_s},
          {"per_worker", workers},
          {"failed_tasks", failed},
          {"stop_reason", r.stop_reason},
          {"stuck_ranks", r.stuck_ranks()},
          {"slurm", r.slurm},
          {"task_usage", r.task_usage},
          {"timeline", timeline_json(r)}};
}

namespace {
std::string format(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::string tasks_per_worker(const RunReport& r) {
  if (r.workers == 0) return "the master ran every task itself";
  if (r.per_worker.size() <= 8) {
    std::string s;
    for (const auto& w : r.per_worker)
      s += (s.empty() ? "" : " ") + std::to_string(w.rank) + ":" + std::to_string(w.tasks);
    return s;
  }
  std::uint64_t lo = r.per_worker.front().tasks, hi = lo, sum = 0;
  for (const auto& w : r.per_worker) {
    lo = std::min(lo, w.tasks);
    hi = std::max(hi, w.tasks);
    sum += w.tasks;
  }
  return "min " + std::to_string(lo) + " mean " +
         format("%.1f", static_cast<double>(sum) / static_cast<double>(r.per_worker.size())) +
         " max " + std::to_string(hi);
}

/// "; files 600000, directories 6001, bytes 12345": the job's counts, if any.
std::string counts_text(const RunReport& r) {
  std::string text;
  for (const auto& [name, value] : r.counts) text += (text.empty() ? "; " : ", ") + name + " " + std::to_string(value);
  return text;
}
}  // namespace

std::string summary_line(const RunReport& r) {
  const std::string resumed = r.tasks_resumed ? " (+" + std::to_string(r.tasks_resumed) + " done by earlier runs)" : "";
  const std::string submitted = r.tasks_submitted ? " (" + std::to_string(r.tasks_submitted) + " submitted by tasks)" : "";
  const std::string groups = r.groups.empty() ? "" : " in groups of " + std::to_string(r.ranks_per_task);
  return r.job + " " + to_string(r.status) + ": " + std::to_string(r.tasks_done) + " done" + resumed + ", " +
         std::to_string(r.tasks_failed) + " failed of " + std::to_string(r.tasks_total) + submitted +
         " in " + format("%.3f", r.elapsed_s) + " s (" + format("%.0f", r.tasks_per_s()) +
         " tasks/s), " + std::to_string(r.workers) + " workers" + groups + "; " +
         (r.workers > 0 ? (r.groups.empty() ? "tasks per worker: " : "tasks per group (by leader): ") : "") +
         tasks_per_worker(r) + counts_text(r);
}

void write_file_whole(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

void write_report_file(const RunReport& report, const std::string& path) {
  write_file_whole(path, to_json(report).dump(2) + "\n");
}

void write_failed_file(const RunReport& report, const std::string& path) {
  std::string lines;
  for (const auto& f : report.failed_tasks) lines += f.task + "\n";
  write_file_whole(path, lines);
}

ExitCode exit_code_for(const RunReport& report) {
  if (report.stop_cause == StopCause::error) return ExitCode::runtime_error;
  if (report.status == RunStatus::incomplete) return ExitCode::incomplete;
  if (report.tasks_failed > 0) return ExitCode::tasks_failed;
  if (!report.stuck_ranks().empty()) return ExitCode::rank_stuck;
  return ExitCode::success;
}

}  // namespace taskfarm
