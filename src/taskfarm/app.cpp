#include "taskfarm/app.hpp"

#include <unistd.h>

#include <iostream>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "taskfarm/cli.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/output_dir.hpp"

namespace taskfarm {

namespace {

int code(ExitCode c) { return static_cast<int>(c); }

/// Checks that need the file system or the task source; done on rank 0 only, before any
/// rank starts work, so a bad path is a usage error and not a failure half-way.
std::unique_ptr<TaskSource> prepare_on_master(const CommandLine& cl) {
  auto source = cl.job->open_source();
  if (cl.config.output_dir) prepare_output_dir(*cl.config.output_dir, cl.config.overwrite);
  return source;
}

/// Publishes the part files of a run in which every task succeeded; writes the reports;
/// marks success last, so _SUCCESS never stands beside missing results.
int finish_run(const RunReport& report, const Config& config) {
  log::line(summary_line(report));
  const bool commit = config.output_dir && report.status == "complete";
  if (commit) {
    std::vector<int> ranks;
    for (const auto& w : report.per_worker) ranks.push_back(w.rank);
    publish_parts(*config.output_dir, ranks);
  }
  if (config.output_dir && !report.failed_tasks.empty()) write_failed_file(report, *config.output_dir + "/_failed");
  if (config.output_dir) write_report_file(report, *config.output_dir + "/_report.json");
  if (config.report_path) write_report_file(report, *config.report_path);
  if (commit) mark_success(*config.output_dir);
  return code(exit_code_for(report));
}

}  // namespace

int run_program(int argc, char** argv) {
  boost::mpi::environment env(argc, argv);
  boost::mpi::communicator world;
  const int rank = world.rank();
  log::set_rank(rank);

  CommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const InfoRequested& info) {
    if (rank == master_rank) std::cout << info.text << std::flush;
    return code(ExitCode::success);
  } catch (const UsageError& e) {
    if (rank == master_rank) log::error(e.what());
    return code(ExitCode::usage);
  }

  Channel channel(world);
  std::unique_ptr<TaskSource> source;
  int prepared = 1;
  if (rank == master_rank) {
    try {
      source = prepare_on_master(cl);
    } catch (const UsageError& e) {
      log::error(e.what());
      prepared = 0;
    }
  }
  if (channel.broadcast_from_master(prepared) == 0) return code(ExitCode::usage);

  try {
    FdSink out(STDOUT_FILENO);
    const auto report = run_this_rank(channel, *cl.job, std::move(source), cl.config, out);
    if (!report) return code(ExitCode::success);  // a worker
    const int exit_code = finish_run(*report, cl.config);
    // A rank that never answered cannot be joined in MPI_Finalize: end the job instead.
    if (report->status == "incomplete" && world.size() > 1) channel.abort(exit_code);
    return exit_code;
  } catch (const std::exception& e) {
    log::error(e.what());
    channel.abort(code(ExitCode::runtime_error));
  }
}

}  // namespace taskfarm
