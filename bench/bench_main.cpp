// Benchmark main for MPI: MPI starts before Google Benchmark, every rank runs the same
// benchmarks (MPI_* ones in lockstep, with fixed iteration counts), only rank 0 reports.

#include <mpi.h>

#include <string>
#include <thread>

#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/operations.hpp>

#include "bench_support.hpp"

namespace taskfarm::bench {

void gentle_barrier(const boost::mpi::communicator& comm) {
  MPI_Request request;
  MPI_Ibarrier(static_cast<MPI_Comm>(comm), &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

bool skipped_off_master(benchmark::State& state) {
  if (boost::mpi::communicator().rank() == 0) return false;
  state.SkipWithError("runs on rank 0 only");
  return true;
}

void set_iteration_time(benchmark::State& state, const boost::mpi::communicator& comm, double seconds) {
  state.SetIterationTime(boost::mpi::all_reduce(comm, seconds, boost::mpi::maximum<double>()));
}

namespace {
class NullReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

std::string mpi_library() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(version, &len);
  std::string v(version, static_cast<std::size_t>(len));
  return v.substr(0, v.find_first_of(",\n"));
}
}  // namespace

}  // namespace taskfarm::bench

int main(int argc, char** argv) {
  boost::mpi::environment env(argc, argv);
  boost::mpi::communicator world;
  if (world.rank() != 0) {
    // Only rank 0 may write --benchmark_out; another rank would truncate its file.
    int kept = 1;
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]).rfind("--benchmark_out", 0) != 0) argv[kept++] = argv[i];
    argc = kept;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("git_hash", TASKFARM_GIT_HASH);
  benchmark::AddCustomContext("build_type", TASKFARM_BUILD_TYPE);
  benchmark::AddCustomContext("mpi_library", taskfarm::bench::mpi_library());
  benchmark::AddCustomContext("ranks", std::to_string(world.size()));
  if (world.rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    taskfarm::bench::NullReporter quiet;
    benchmark::RunSpecifiedBenchmarks(&quiet);
  }
  benchmark::Shutdown();
  return 0;
}
