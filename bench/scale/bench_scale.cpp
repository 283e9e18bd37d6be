// scripts/bench-scale's program. Two modes:
//   bench_scale --measure-mpi   (under mpirun -n 2): what one message costs the master:
//                               an MPI_Isend (and the test that completes it) and a
//                               matched receive (improbe + mrecv), timed on rank 0 alone,
//                               without the waits for the peer. Prints mpi_us_per_message=U.
//   bench_scale --workers W --task-us T --seconds S [--mpi-us U] [--path-delay-us D]
//                               the real master (run_master) against W simulated workers
//                               (src/sim/simulated_transport.hpp) with W * S / T tasks of T
//                               microseconds each; prints one JSON object.
#include <mpi.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/farm.hpp"
#include "master/master.hpp"
#include "sim/simulated_transport.hpp"
#include "taskfarm/taskfarm.hpp"

namespace taskfarm {
namespace {

using clock = std::chrono::steady_clock;

double cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int measure_mpi(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int rounds = 200000;
  std::int64_t message = 0;
  double charged_s = 0;  // rank 0's time inside the calls, apart from waiting for the peer
  for (int i = 0; i < rounds; ++i) {
    if (rank == 0) {
      auto t = clock::now();
      MPI_Request request;
      MPI_Isend(&message, 1, MPI_INT64_T, 1, 0, MPI_COMM_WORLD, &request);
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      charged_s += std::chrono::duration<double>(clock::now() - t).count();
      if (!done) MPI_Wait(&request, MPI_STATUS_IGNORE);
      MPI_Message matched;
      for (int found = 0; !found;) {
        t = clock::now();
        MPI_Improbe(1, 0, MPI_COMM_WORLD, &found, &matched, MPI_STATUS_IGNORE);
        if (found) {
          MPI_Mrecv(&message, 1, MPI_INT64_T, &matched, MPI_STATUS_IGNORE);
          charged_s += std::chrono::duration<double>(clock::now() - t).count();
        }
      }
    } else if (rank == 1) {
      MPI_Recv(&message, 1, MPI_INT64_T, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&message, 1, MPI_INT64_T, 0, 0, MPI_COMM_WORLD);
    }
  }
  if (rank == 0) std::printf("mpi_us_per_message=%.4f\n", 1e6 * charged_s / (2.0 * rounds));
  MPI_Finalize();
  return 0;
}

/// The numbers 0..n-1 as tasks; nothing runs them (the workers are simulated).
class Numbers final : public JobSource, public Kernel {
 public:
  explicit Numbers(std::uint64_t n) : n_(n) {}
  std::unique_ptr<TaskSource> open() override { return detail::make_stream(taskfarm::range<std::uint64_t>(0, n_)); }
  std::string describe(std::string_view) const override { return "a number"; }
  nlohmann::json parameters() const override { return {{"tasks", n_}}; }
  void run(TaskContext&) override {}

 private:
  std::uint64_t n_;
};

class Discard final : public ResultSink {
 public:
  void write(std::string_view) override {}
};

int simulate(int argc, char** argv) {
  CLI::App cli{"bench_scale: the real master against simulated workers"};
  sim::Settings settings;
  double task_us = 1000, seconds = 10, mpi_us = 0, path_delay_us = 0;
  cli.add_option("--workers", settings.workers)->required()->check(CLI::Range(1, 10000000));
  cli.add_option("--task-us", task_us)->required()->check(CLI::PositiveNumber);
  cli.add_option("--seconds", seconds)->required()->check(CLI::PositiveNumber);
  cli.add_option("--mpi-us", mpi_us)->check(CLI::NonNegativeNumber);
  cli.add_option("--path-delay-us", path_delay_us)->check(CLI::NonNegativeNumber);
  CLI11_PARSE(cli, argc, argv);
  settings.task_s = task_us * 1e-6;
  settings.mpi_s = mpi_us * 1e-6;
  settings.path_delay_s = path_delay_us * 1e-6;
  const auto tasks = static_cast<std::uint64_t>(settings.workers * seconds / settings.task_s);
  Numbers job(tasks);
  JobRoles roles;
  roles.source = &job;
  roles.kernel = &job;
  Config config;
  config.job = "bench-scale";
  config.progress = "none";
  Discard sink;
  sim::SimulatedTransport transport(settings);
  const double cpu_before = cpu_s();
  const RunReport report = run_master(transport, roles, job.open(), config, RunPlan{}, sink);
  const double master_cpu_s = cpu_s() - cpu_before;
  const double wall_s = report.elapsed_s;
  const double batches = static_cast<double>(std::max<std::uint64_t>(transport.batches_received(), 1));
  const double messages = static_cast<double>(std::max<std::uint64_t>(transport.messages(), 1));
  nlohmann::json out = {
      {"workers", settings.workers},
      {"task_us", task_us},
      {"seconds", wall_s},
      {"tasks", report.tasks_done},
      {"tasks_per_s", static_cast<double>(report.tasks_done) / wall_s},
      {"utilization", static_cast<double>(transport.tasks_reported()) * settings.task_s / (settings.workers * wall_s)},
      {"batches", transport.batches_received()},
      {"tasks_per_batch", static_cast<double>(report.tasks_done) / batches},
      {"messages", transport.messages()},
      {"master_cpu_s", master_cpu_s},
      {"master_busy_s", report.master_busy_s},
      {"master_cpu_per_batch_us", 1e6 * report.master_busy_s / batches},
      {"mpi_us_per_message", mpi_us},
      {"path_delay_us", path_delay_us},
      {"sim_us_per_message", 1e6 * transport.bookkeeping_s() / messages},
      {"transport_share", transport.bookkeeping_s() / master_cpu_s},
      {"master_peak_rss_bytes", report.master_peak_rss_bytes},
      {"status", to_string(report.status)}};
  std::cout << out.dump() << std::endl;
  return report.status == RunStatus::complete ? 0 : 1;
}

}  // namespace
}  // namespace taskfarm

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--measure-mpi") == 0) return taskfarm::measure_mpi(argc, argv);
  return taskfarm::simulate(argc, argv);
}
