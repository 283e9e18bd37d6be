// Benchmarks across ranks: the raw MPI limit and the farm measured in the same run.

#include <mpi.h>

#include <algorithm>
#include <chrono>

#include "api/cli.hpp"
#include "api/farm.hpp"
#include "bench_support.hpp"

namespace taskfarm::bench {
namespace {

using clock = std::chrono::steady_clock;

/// Output is counted, not kept.
class CountingSink final : public ResultSink {
 public:
  void write(std::string_view data) override { bytes += data.size(); }
  std::size_t bytes = 0;
};

/// Ping-pong of 8 bytes between ranks 0 and 1: the most round trips/s MPI can do here.
void MPI_RawRoundTrip(benchmark::State& state) {
  boost::mpi::communicator comm;
  const int round_trips = static_cast<int>(state.range(0));
  long long value = 0;
  for (auto _ : state) {
    gentle_barrier(comm);
    const auto start = clock::now();
    for (int i = 0; i < round_trips && comm.size() > 1; ++i) {
      if (comm.rank() == 0) {
        MPI_Send(&value, 1, MPI_LONG_LONG, 1, 0, comm);
        MPI_Recv(&value, 1, MPI_LONG_LONG, 1, 0, comm, MPI_STATUS_IGNORE);
      } else if (comm.rank() == 1) {
        MPI_Recv(&value, 1, MPI_LONG_LONG, 0, 0, comm, MPI_STATUS_IGNORE);
        MPI_Send(&value, 1, MPI_LONG_LONG, 0, 0, comm);
      }
    }
    set_iteration_time(state, comm, std::chrono::duration<double>(clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * round_trips);
  state.counters["round_trips_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()) * round_trips,
                                                           benchmark::Counter::kIsRate);
}
BENCHMARK(MPI_RawRoundTrip)->Arg(500000)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

/// The whole farm on trivial tasks (square); arg 0 is the batch size, 0 meaning auto.
void MPI_FarmSquare(benchmark::State& state) {
  boost::mpi::communicator world;
  const std::string batch = state.range(0) == 0 ? "auto" : std::to_string(state.range(0));
  const std::string tasks = std::to_string(state.range(1));
  for (auto _ : state) {
    boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
    CommandLine cl = parse_arguments({"--batch", batch, "square", "--tasks", tasks, "--seed", "1"});
    Channel channel(comm);
    CountingSink sink;
    cl.config.profile = profile_run(cl.config, cl.job, comm.size(), ranks_outnumber_cores());
    gentle_barrier(comm);
    const auto start = clock::now();
    run_this_rank(channel, cl.job, cl.job.source->open(), cl.config, RunPlan{}, sink);
    set_iteration_time(state, comm, std::chrono::duration<double>(clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetLabel("batch " + batch);
}
BENCHMARK(MPI_FarmSquare)
    ->ArgNames({"batch", "tasks"})
    ->Args({1, 2000000})
    ->Args({64, 10000000})
    ->Args({0, 20000000})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

/// Variable-cost tasks: how close the makespan gets to max(total work / workers, longest
/// task). Reported as `efficiency` (1 is perfect).
void MPI_FarmSleepBalance(benchmark::State& state) {
  boost::mpi::communicator world;
  double efficiency = 0;
  for (auto _ : state) {
    boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
    CommandLine cl = parse_arguments({"sleep", "--tasks", std::to_string(state.range(0)), "--mean-us", "1000", "--dist",
                            "pareto", "--seed", "3"});
    Channel channel(comm);
    CountingSink sink;
    cl.config.profile = profile_run(cl.config, cl.job, comm.size(), ranks_outnumber_cores());
    gentle_barrier(comm);
    const auto start = clock::now();
    const auto report = run_this_rank(channel, cl.job, cl.job.source->open(), cl.config, RunPlan{}, sink);
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    set_iteration_time(state, comm, elapsed);
    if (report) {
      const double bound = std::max(report->total_task_s() / std::max(report->workers, 1), report->max_task_s());
      efficiency = bound / report->elapsed_s;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["efficiency"] = efficiency;
}
BENCHMARK(MPI_FarmSleepBalance)->Arg(2000)->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace taskfarm::bench
