#pragma once

#include <optional>

#include <boost/mpi/communicator.hpp>

#include "core/sink.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "master/report.hpp"

namespace taskfarm {

struct RunOutcome {
  int exit_code;
  std::optional<RunReport> report;  // rank 0 of a run that ran
};

/// A parsed job on `comm` (collective): prepares on rank 0 (a usage error is one line and
/// exit code 2 on every rank), runs, commits, reports. Rank 0's results go to `out`.
RunOutcome run_job(boost::mpi::communicator& comm, Config& config, const JobRoles& job, ResultSink& out);

/// The whole program: MPI start-up, command line, run, report, exit code.
int run_program(int argc, char** argv);

}  // namespace taskfarm
