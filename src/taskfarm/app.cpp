#include "taskfarm/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "taskfarm/cli.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/monitor.hpp"
#include "taskfarm/output_dir.hpp"

namespace taskfarm {

namespace {

int code(ExitCode c) { return static_cast<int>(c); }

// Broadcast from rank 0 after preparing: a run number, or one of these.
constexpr int prepare_failed = -1;
constexpr int already_complete = -2;
constexpr int prepare_broke = -3;  // not the user's input: a runtime error (exit 4)

struct Prepared {
  std::unique_ptr<TaskSource> source;
  RunPlan plan;
  bool already_complete = false;
};

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

/// --resume: reads the journal, checks it is this job's, and cuts every part file back to
/// what the journal vouches for (a killed run may have written more). Files it does not
/// know are from a run killed before its first journal flush: removed.
void plan_resume(const Config& config, RunPlan& plan, bool& complete) {
  namespace fs = std::filesystem;
  const std::string& dir = *config.output_dir;
  std::optional<JournalState> state;
  try {
    state = read_journal(journal_path(dir));
  } catch (const JournalError& e) {
    throw UsageError(std::string("--resume: ") + e.what() + "; use --overwrite to start again");
  }
  if (!state) {  // killed before the journal existed: start from scratch
    prepare_output_dir(dir, true);
    return;
  }
  if (state->identity != plan.identity)
    throw UsageError("--resume: " + dir + " holds a run of other arguments (" + state->identity +
                     "); this run is " + plan.identity + differing_parameter(state->identity, plan.identity));
  if (fs::exists(fs::path(dir) / "_SUCCESS")) {
    complete = true;
    return;
  }
  fs::create_directories(fs::path(dir) / "_temporary");
  std::set<std::string> known;
  for (const auto& [key, bytes] : state->part_bytes) {
    const std::string path = temporary_part_path(dir, key.rank, key.run);
    if (bytes == 0 && !fs::exists(path)) continue;  // jobs without part files (cmd)
    if (!fs::exists(path))
      throw UsageError("--resume: " + path + " is missing; use --overwrite to start again");
    truncate_part(path, bytes);
    known.insert(path);
  }
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "_temporary"))
    if (!known.count(entry.path().string()) && entry.path().filename().string().rfind("stopped-", 0) != 0)
      fs::remove(entry.path());
  plan.crashes = crash_history(*state, config.retries, [&](std::uint32_t run, std::int32_t rank) {
    return fs::exists(stop_marker_path(dir, rank, run));
  });
  if (!plan.crashes.suspects.ranges().empty())
    log::line("--resume: " + std::to_string(plan.crashes.suspects.count()) +
              " tasks were in flight on a rank that died; each runs alone on its worker" +
              (plan.crashes.poisoned.empty() ? std::string()
                                             : "; " + std::to_string(plan.crashes.poisoned.size()) +
                                                   " of them died with their rank too often and are not run again"));
  plan.run = state->runs;
  plan.resumed = std::move(state);
}

/// Checks that need the file system or the task source; done on rank 0 only, before any
/// rank starts work, so a bad path is a usage error and not a failure half-way.
Prepared prepare_on_master(const Config& config, const JobRoles& job) {
  Prepared p;
  if (config.report_path) check_can_write(*config.report_path, "--report");
  p.source = job.source->open();
  p.plan.identity = config.job + " " + job.source->parameters().dump();
  if (config.output_dir && config.resume) plan_resume(config, p.plan, p.already_complete);
  else if (config.output_dir) prepare_output_dir(*config.output_dir, config.overwrite);
  else if (config.resume && job.keeps_own_log()) {  // cmd --joblog without --output
    p.plan.resumed.emplace();
    p.plan.resumed->done = *job.results->done_in_own_log();
  }
  return p;
}

/// What a complete run publishes. Most jobs: the part files of every run, earlier ones
/// (resumed) first, empty ones left out; a retired worker's part is copied up to what its
/// last accepted reply vouched for. Reduce jobs: this run's reduce files (their part files
/// are map output). Jobs without part files (cmd): nothing.
std::vector<PartToPublish> files_to_publish(const RunReport& report, const Config& config, const RunPlan& plan,
                                            const JobRoles& job) {
  std::vector<PartToPublish> parts;
  const std::string& dir = *config.output_dir;
  if (job.fold) return parts;  // part files hold partial values; DIR/result is the result
  if (job.reduce) {
    for (const auto& w : report.per_worker) parts.push_back({temporary_reduce_path(dir, w.rank, plan.run), std::nullopt});
    return parts;
  }
  if (!job.part_files) return parts;
  for (const PartSlice& earlier : earlier_parts(dir, plan)) parts.push_back({earlier.path, std::nullopt});
  for (const auto& w : report.per_worker) {
    PartToPublish part{temporary_part_path(dir, w.rank, plan.run), std::nullopt};
    if (w.retired) part.copy_bytes = w.part_bytes;
    parts.push_back(part);
  }
  return parts;
}

/// Publishes the part files of a run in which every task succeeded; writes the reports;
/// marks success last, so _SUCCESS never stands beside missing results.
int finish_run(const RunReport& report, const Config& config, const RunPlan& plan, const JobRoles& job) {
  log::line(summary_line(report));
  if (config.output_dir && report.status == "incomplete")
    log::line("the same command with --resume continues the run from " + *config.output_dir);
  const bool commit = config.output_dir && report.status == "complete";
  if (commit) publish_parts(*config.output_dir, files_to_publish(report, config, plan, job));
  if (config.output_dir && !report.failed_tasks.empty()) write_failed_file(report, *config.output_dir + "/_failed");
  if (config.output_dir) write_report_file(report, *config.output_dir + "/_report.json");
  if (config.report_path) write_report_file(report, *config.report_path);
  if (commit) mark_success(*config.output_dir);
  return code(exit_code_for(report));
}

/// Jobs that fold their results (the library's fold): the final value, from the partial
/// values in the part files that the journal vouches for (every run's), or from what
/// the master gathered without --output. Printed as the last line on stdout and written
/// to DIR/result; the report carries it.
void publish_fold(RunReport& report, const Config& config, const RunPlan& plan, Folding& fold, ResultSink& out) {
  std::vector<PartSlice> parts;
  if (config.output_dir) {
    parts = earlier_parts(*config.output_dir, plan);
    for (const auto& w : report.per_worker)
      if (w.part_bytes > 0) parts.push_back({temporary_part_path(*config.output_dir, w.rank, plan.run), w.part_bytes});
  }
  report.result = fold.fold_value(parts);
  out.write(*report.result + "\n");
  out.flush();
  if (config.output_dir) write_file_whole(*config.output_dir + "/result", *report.result + "\n");
}

/// Process slots take their share of each node's GPUs and cores, on every rank (the
/// split is collective). Returns, on the master, the first rank's complaint (empty when
/// every rank could), and sets config.batch.slots to the most slots of any worker.
std::string claim_slots(Channel& channel, Config& config, const JobRoles& job) {
  if (!job.slots) return {};
  const bool runs_tasks = channel.rank() != master_rank || channel.size() == 1;
  std::string answer;  // the slot count, or "!" and the complaint
  try {
    answer = std::to_string(job.slots->claim(
        channel.rank(), runs_tasks, [&](const std::string& key) { return channel.node_share(key, runs_tasks); }));
  } catch (const UsageError& e) {
    answer = std::string("!") + e.what();
  }
  if (!runs_tasks) answer = "0";
  std::uint32_t most = 1;
  for (const std::string& a : channel.gather_on_master(answer)) {
    if (!a.empty() && a[0] == '!') return a.substr(1);
    most = std::max(most, static_cast<std::uint32_t>(std::stoul(a)));
  }
  config.batch.slots = most;
  return {};
}

}  // namespace

RunOutcome run_job(boost::mpi::communicator& comm, Config& config, const JobRoles& job, ResultSink& out) {
  const int rank = comm.rank();
  Channel channel(comm);
  Prepared prepared;
  int run = 0;
  const std::string slot_problem = claim_slots(channel, config, job);
  if (rank == master_rank) {
    try {
      if (!slot_problem.empty()) throw UsageError(slot_problem);
      prepared = prepare_on_master(config, job);
      run = prepared.already_complete ? already_complete : static_cast<int>(prepared.plan.run);
    } catch (const UsageError& e) {
      log::error(e.what());
      run = prepare_failed;
    } catch (const std::exception& e) {
      log::error(e.what());
      run = prepare_broke;
    }
  }
  run = channel.broadcast_from_master(run);
  if (run == prepare_failed) return {code(ExitCode::usage), std::nullopt};
  if (run == prepare_broke) return {code(ExitCode::runtime_error), std::nullopt};
  if (run == already_complete) {
    if (rank == master_rank) log::line("the job in " + *config.output_dir + " is already complete; nothing to do");
    return {code(ExitCode::success), std::nullopt};
  }
  prepared.plan.run = static_cast<std::uint32_t>(run);

  try {
    auto report = run_this_rank(channel, job, std::move(prepared.source), config, prepared.plan, out);
    if (!report) return {code(ExitCode::success), std::nullopt};  // a worker
    if (job.fold && report->status == "complete") publish_fold(*report, config, prepared.plan, *job.fold, out);
    const int exit_code = finish_run(*report, config, prepared.plan, job);
    // A rank that never answered cannot be joined in MPI_Finalize: end the job instead,
    // now that everything is committed.
    if (!report->stuck_ranks().empty()) channel.abort(exit_code);
    return {exit_code, std::move(report)};
  } catch (const std::exception& e) {
    log::error(e.what());
    mark_stop_now();  // this rank ends the job on purpose: a resume must not count it as dead
    channel.abort(code(ExitCode::runtime_error));
  }
}

namespace {

int run_ranks(boost::mpi::communicator& world, int argc, char** argv) {
  CommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const InfoRequested& info) {
    if (world.rank() == master_rank) std::cout << info.text << std::flush;
    return code(ExitCode::success);
  } catch (const UsageError& e) {
    if (world.rank() == master_rank) log::error(e.what());
    return code(ExitCode::usage);
  }
  FdSink out(STDOUT_FILENO);
  return run_job(world, cl.config, cl.job, out).exit_code;
}

}  // namespace

int run_program(int argc, char** argv) {
  prefer_fast_startup();
  boost::mpi::environment env(argc, argv);
  install_stop_signals();  // every rank: a worker keeps working until the master stops it
  boost::mpi::communicator world;
  log::set_rank(world.rank());
  // Nothing escapes to std::terminate: one line, and the job ends with exit code 4 (an
  // exception leaving this function would make Boost.MPI abort with -1 instead).
  try {
    return run_ranks(world, argc, argv);
  } catch (const std::exception& e) {
    log::error(e.what());
  } catch (...) {
    log::error("an exception that is not a std::exception");
  }
  world.abort(code(ExitCode::runtime_error));
  return code(ExitCode::runtime_error);
}

}  // namespace taskfarm
