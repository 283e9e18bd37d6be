#include "api/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "api/cli.hpp"
#include "api/farm.hpp"
#include "api/run_directory.hpp"
#include "core/log.hpp"
#include "core/monitor.hpp"
#include "core/walltime.hpp"
#include "resume/output_dir.hpp"

namespace taskfarm {

namespace {

int code(ExitCode c) { return static_cast<int>(c); }

struct Prepared {
  std::unique_ptr<TaskSource> source;
  RunPlan plan;
  bool already_complete = false;
};

/// Checks that need the file system or the task source; done on rank 0 only, before any
/// rank starts work, so a bad path is a usage error and not a failure half-way.
Prepared prepare_on_master(const Config& config, const JobRoles& job) {
  Prepared p;
  if (config.report_path) check_can_write(*config.report_path, "--report");
  p.source = job.source->open();
  p.plan.identity = config.job + " " + job.source->parameters().dump();
  if (config.output_dir) {
    p.already_complete = RunDirectory(config).prepare(p.plan);
  } else if (config.resume && job.keeps_own_log()) {  // cmd --joblog without --output
    p.plan.resumed.emplace();
    p.plan.resumed->done = *job.results->done_in_own_log();
  }
  return p;
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

/// Rank 0's verdict on every rank: its exit code, and for an error its message. Every
/// rank throws the same taskfarm::Error, so that an embedded farm ends its map alike
/// everywhere. A collective.
int agree(Channel& channel, int exit_code, const std::string& error) {
  std::string verdict = std::to_string(exit_code) + " " + error;
  verdict = channel.broadcast_from_master(verdict);
  const auto space = verdict.find(' ');
  exit_code = std::stoi(verdict.substr(0, space));
  if (space + 1 < verdict.size()) throw Error(exit_code, verdict.substr(space + 1));
  return exit_code;
}

/// The run's end (--end-time, else the Slurm job's end), resolved on rank 0 and given to
/// every rank: the walltime guard's, and each attempt's deadline. A collective.
void share_run_end(Channel& channel, Config& config) {
  std::string end;  // "EPOCH SOURCE", or empty: no end
  if (channel.rank() == master_rank) {
    if (!config.end_epoch_s) config.end_epoch_s = slurm_job_end_time(config.end_source);
    if (config.end_epoch_s) end = std::to_string(*config.end_epoch_s) + " " + config.end_source;
  }
  end = channel.broadcast_from_master(end);
  if (end.empty()) return;
  const auto space = end.find(' ');
  config.end_epoch_s = std::stod(end.substr(0, space));
  config.end_source = end.substr(space + 1);
}

/// Prepares on rank 0 (slots claimed on every rank first), agreed by every rank.
Prepared prepare(Channel& channel, Config& config, const JobRoles& job) {
  Prepared prepared;
  int exit_code = code(ExitCode::success);
  std::string error;
  const std::string slot_problem = claim_slots(channel, config, job);
  if (channel.rank() == master_rank) {
    try {
      if (!slot_problem.empty()) throw UsageError(slot_problem);
      prepared = prepare_on_master(config, job);
    } catch (const Error& e) {
      exit_code = e.exit_code();
      error = e.what();
    } catch (const std::exception& e) {  // not the user's input: a runtime error
      exit_code = code(ExitCode::runtime_error);
      error = e.what();
    }
  }
  agree(channel, exit_code, error);
  share_run_end(channel, config);
  std::int64_t run = prepared.already_complete ? -1 : static_cast<std::int64_t>(prepared.plan.run);
  run = channel.broadcast_from_master(run);
  prepared.already_complete = run < 0;
  if (run >= 0) prepared.plan.run = static_cast<std::uint32_t>(run);
  return prepared;
}

/// Jobs that fold their results (the library's fold): the final value, from the partial
/// values in the part files that the journal vouches for (every run's), or from what
/// the master gathered without --output. Printed as the last line on stdout and written
/// to DIR/result; the report carries it.
void publish_fold(RunReport& report, const Config& config, const RunPlan& plan, Folding& fold, ResultSink& out) {
  std::vector<PartSlice> parts;
  if (config.output_dir) parts = RunDirectory(config).fold_parts(report, plan);
  report.result = fold.fold_value(parts);
  out.write(*report.result + "\n");
  out.flush();
  if (config.output_dir) RunDirectory(config).write_result(*report.result);
}

/// Rank 0, after the run: the fold's value, the output directory committed, the reports.
/// Returns the exit code; an error that ended the run is thrown.
int finish_run(RunReport& report, const Config& config, const RunPlan& plan, const JobRoles& job, ResultSink& out) {
  if (job.fold && report.status == RunStatus::complete) publish_fold(report, config, plan, *job.fold, out);
  if (report.stop_cause != StopCause::error) log::line(summary_line(report));
  if (config.output_dir && report.status == RunStatus::incomplete)
    log::line("the same command with --resume continues the run from " + *config.output_dir);
  try {
    if (config.output_dir) RunDirectory(config).commit(report, plan, job);
    if (config.report_path) write_report_file(report, *config.report_path);
  } catch (const std::exception&) {
    if (report.stop_cause != StopCause::error) throw;  // the run's own error says more
  }
  if (report.stop_cause == StopCause::error) throw Error(code(ExitCode::runtime_error), report.stop_reason);
  return code(exit_code_for(report));
}

/// --ranks-per-task N needs N worker ranks at least: known alike on every rank.
void check_group_size(const Config& config, int ranks) {
  const int n = static_cast<int>(config.ranks_per_task);
  if (n <= 1 || ranks - 1 >= n) return;
  throw UsageError("--ranks-per-task " + std::to_string(n) + ": the job has " + std::to_string(ranks - 1) +
                   " worker rank" + (ranks - 1 == 1 ? "" : "s") + ", and a group needs " + std::to_string(n) +
                   " (start " + std::to_string(n + 1) + " ranks or more: rank 0 is the master)");
}

}  // namespace

RunOutcome run_job(boost::mpi::communicator& comm, Config& config, const JobRoles& job, ResultSink& out) {
  check_group_size(config, comm.size());
  Channel channel(comm);
  Prepared prepared = prepare(channel, config, job);
  config.profile = profile_run(config, job, comm.size(), ranks_outnumber_cores());
  if (prepared.already_complete) {
    if (channel.rank() == master_rank) log::line("the job in " + *config.output_dir + " is already complete; nothing to do");
    return {code(ExitCode::success), std::nullopt};
  }
  std::optional<RunReport> report;
  int exit_code = code(ExitCode::success);
  std::string error;
  try {
    report = run_this_rank(channel, job, std::move(prepared.source), config, prepared.plan, out);
    if (report) exit_code = finish_run(*report, config, prepared.plan, job, out);
  } catch (const Error& e) {
    exit_code = e.exit_code();
    error = e.what();
  } catch (const std::exception& e) {
    if (!report) {  // a worker whose error the master cannot hear: only ending the job frees the others
      log::error(e.what());
      mark_stop_now();  // this rank ends the job on purpose: a resume must not count it as dead
      channel.abort(code(ExitCode::runtime_error));
    }
    exit_code = code(ExitCode::runtime_error);
    error = e.what();
  }
  // A rank that never answered cannot be joined in MPI_Finalize: end the job instead,
  // now that everything is committed.
  if (report && !report->stuck_ranks().empty()) {
    if (!error.empty()) log::error(error);
    channel.abort(exit_code);
  }
  exit_code = agree(channel, exit_code, error);
  return {exit_code, std::move(report)};
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
  try {
    return run_job(world, cl.config, cl.job, out).exit_code;
  } catch (const Error& e) {  // every rank has it: rank 0 says it
    if (world.rank() == master_rank) log::error(e.what());
    return e.exit_code();
  }
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
