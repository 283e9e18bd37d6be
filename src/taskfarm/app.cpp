#include "taskfarm/app.hpp"

#include <unistd.h>

#include <iostream>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "taskfarm/cli.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"

namespace taskfarm {

namespace {

int code(ExitCode c) { return static_cast<int>(c); }

/// Checks that need the file system or the task source; done on rank 0 only, before any
/// rank starts work, so a bad path is a usage error and not a failure half-way.
std::unique_ptr<TaskSource> prepare_on_master(const CommandLine& cl) {
  return cl.job->open_source();
}

int report_and_exit_code(const RunReport& report, const Config& config) {
  log::line(summary_line(report));
  if (config.report_path) write_report_file(report, *config.report_path);
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
    const int exit_code = report_and_exit_code(*report, cl.config);
    // A rank that never answered cannot be joined in MPI_Finalize: end the job instead.
    if (report->status == "incomplete" && world.size() > 1) channel.abort(exit_code);
    return exit_code;
  } catch (const std::exception& e) {
    log::error(e.what());
    channel.abort(code(ExitCode::runtime_error));
  }
}

}  // namespace taskfarm
