#include "api/run_directory.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/log.hpp"

namespace taskfarm {

namespace fs = std::filesystem;

namespace {

/// "; they differ in NAME" for the first parameter two identities ("job {json}") give
/// different values, when both parse.
std::string differing_parameter(const std::string& earlier, const std::string& now) {
  auto parameters = [](const std::string& identity) {
    const auto space = identity.find(' ');
    return nlohmann::json::parse(space == std::string::npos ? "" : identity.substr(space + 1), nullptr, false);
  };
  const auto a = parameters(earlier);
  const auto b = parameters(now);
  if (!a.is_object() || !b.is_object()) return {};
  auto option = [](std::string name) {  // a parameter's key as its option is spelled
    std::replace(name.begin(), name.end(), '_', '-');
    return "; they differ in --" + name;
  };
  for (const auto& [name, value] : b.items())
    if (!a.contains(name) || a[name] != value) return option(name);
  for (const auto& [name, value] : a.items())
    if (!b.contains(name)) return option(name);
  return {};
}

}  // namespace

bool RunDirectory::prepare(RunPlan& plan) const {
  if (config_.resume) return plan_resume(plan);
  prepare_output_dir(dir_, config_.overwrite);
  return false;
}

/// --resume: reads the journal and checks it is this job's.
bool RunDirectory::plan_resume(RunPlan& plan) const {
  std::optional<JournalState> state;
  try {
    state = read_journal(journal_path(dir_));
  } catch (const JournalError& e) {
    throw UsageError(std::string("--resume: ") + e.what() + "; use --overwrite to start again");
  }
  if (!state) {  // killed before the journal existed: start from scratch
    prepare_output_dir(dir_, true);
    return false;
  }
  if (state->identity != plan.identity)
    throw UsageError("--resume: " + dir_ + " holds a run of other arguments (" + state->identity + "); this run is " +
                     plan.identity + differing_parameter(state->identity, plan.identity));
  if (fs::exists(fs::path(dir_) / "_SUCCESS")) return true;
  cut_parts_to_journal(*state);
  plan.crashes = crash_history(*state, config_.retries, [&](std::uint32_t run, std::int32_t rank) {
    return stopped_in_time(dir_, rank, run);
  });
  if (!plan.crashes.suspects.ranges().empty())
    log::line("--resume: " + std::to_string(plan.crashes.suspects.count()) +
              " tasks were in flight on a rank that died; each runs alone on its worker" +
              (plan.crashes.poisoned.empty() ? std::string()
                                             : "; " + std::to_string(plan.crashes.poisoned.size()) +
                                                   " of them died with their rank too often and are not run again"));
  plan.run = state->runs;
  plan.resumed = std::move(state);
  return false;
}

/// Every part file cut back to what the journal vouches for (a killed run may have
/// written more). Files it does not know are from a run killed before its first journal
/// flush: removed. The stop markers stay: they tell the dead ranks from the stopped.
void RunDirectory::cut_parts_to_journal(const JournalState& state) const {
  fs::create_directories(fs::path(dir_) / "_temporary");
  std::set<std::string> known;
  for (const auto& [key, bytes] : state.part_bytes) {
    const std::string path = temporary_part_path(dir_, key.rank, key.run);
    if (bytes == 0 && !fs::exists(path)) continue;  // jobs without part files (cmd)
    if (!fs::exists(path)) throw UsageError("--resume: " + path + " is missing; use --overwrite to start again");
    truncate_part(path, bytes);
    known.insert(path);
  }
  known.insert(submitted_log_path(dir_));  // cut by the master's frontier, which reads it
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "_temporary"))
    if (!known.count(entry.path().string()) && !is_stop_marker(entry.path().filename().string()))
      fs::remove(entry.path());
}

std::vector<PartSlice> RunDirectory::fold_parts(const RunReport& report, const RunPlan& plan) const {
  std::vector<PartSlice> parts = earlier_parts(dir_, plan);
  for (const auto& w : report.per_worker)
    if (w.part_bytes > 0) parts.push_back({temporary_part_path(dir_, w.rank, plan.run), w.part_bytes});
  return parts;
}

void RunDirectory::write_result(const std::string& value) const { write_file_whole(dir_ + "/result", value + "\n"); }

/// What a complete run publishes. Most jobs: the part files of every run, earlier ones
/// (resumed) first, empty ones left out; a retired worker's part is copied up to what its
/// last accepted reply vouched for. Reduce jobs: this run's reduce files (their part files
/// are map output). Jobs without part files (cmd) and folds (DIR/result): nothing.
std::vector<PartToPublish> RunDirectory::files_to_publish(const RunReport& report, const RunPlan& plan,
                                                          const JobRoles& job) const {
  std::vector<PartToPublish> parts;
  if (job.fold) return parts;
  if (job.reduce) {
    for (const auto& w : report.per_worker) parts.push_back({temporary_reduce_path(dir_, w.rank, plan.run), std::nullopt});
    return parts;
  }
  if (!job.part_files) return parts;
  for (const PartSlice& earlier : earlier_parts(dir_, plan)) parts.push_back({earlier.path, std::nullopt});
  for (const auto& w : report.per_worker) {
    PartToPublish part{temporary_part_path(dir_, w.rank, plan.run), std::nullopt};
    if (w.retired) part.copy_bytes = w.part_bytes;
    parts.push_back(part);
  }
  return parts;
}

void RunDirectory::commit(const RunReport& report, const RunPlan& plan, const JobRoles& job) const {
  const bool complete = report.status == RunStatus::complete;
  if (complete) publish_parts(dir_, files_to_publish(report, plan, job));
  if (!report.failed_tasks.empty()) write_failed_file(report, dir_ + "/_failed");
  write_report_file(report, dir_ + "/_report.json");
  if (complete) mark_success(dir_);
}

}  // namespace taskfarm
