// taskfarm inside an MPI program that owns MPI: MPI_COMM_WORLD is split in two halves and
// each half runs a different farm at the same time. Each answer is checked against a
// serial loop; then a second map runs on the first half. Exit code 0 when all agree.
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <vector>

#include <taskfarm/taskfarm.hpp>

namespace {

std::uint64_t collatz_steps(std::uint64_t x) {
  std::uint64_t steps = 0;
  for (; x != 1; ++steps) x = x % 2 ? 3 * x + 1 : x / 2;
  return steps;
}

std::uint64_t square(std::uint64_t x) { return x * x; }

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Two halves (with one rank, both farms run on it, one after the other).
  const int half = size >= 2 && rank >= size / 2 ? 1 : 0;
  MPI_Comm comm;
  MPI_Comm_split(MPI_COMM_WORLD, half, rank, &comm);
  bool ok = true;
  const std::uint64_t n = 20000;
  {
    taskfarm::Farm farm(comm);
    auto sum_of_squares = [&] {
      const std::uint64_t farmed = farm.map(taskfarm::range<std::uint64_t>(1, n + 1), square,
                                            taskfarm::fold<std::uint64_t>(0, std::plus<>{}));
      if (farm.rank() != 0) return;
      std::uint64_t serial = 0;
      for (std::uint64_t x = 1; x <= n; ++x) serial += square(x);
      std::printf("sum of squares 1..%llu: farm %llu, serial %llu\n", static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(farmed), static_cast<unsigned long long>(serial));
      ok = ok && farmed == serial && farm.last_report().exit_code == 0;
    };
    auto collatz = [&] {
      std::map<std::uint64_t, std::uint64_t> steps;
      const taskfarm::Report report =
          farm.map(taskfarm::range<std::uint64_t>(1, n + 1), collatz_steps,
                   [&](const std::uint64_t& x, const std::uint64_t& s) { steps[x] = s; });
      if (farm.rank() != 0) return;
      bool same = steps.size() == n && report.exit_code == 0;
      for (std::uint64_t x = 1; x <= n && same; ++x) same = steps[x] == collatz_steps(x);
      std::printf("collatz steps of 1..%llu: %zu results, %s the serial loop\n", static_cast<unsigned long long>(n),
                  steps.size(), same ? "the same as" : "DIFFERENT FROM");
      ok = ok && same;
    };
    if (size < 2) {
      sum_of_squares();
      collatz();
    } else if (half == 0) {
      sum_of_squares();
      sum_of_squares();  // a second map on the same Farm
    } else {
      collatz();
    }
  }
  MPI_Comm_free(&comm);
  int all_ok = 0;
  int mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%s\n", all_ok ? "embedded: OK" : "embedded: FAILED");
  MPI_Finalize();
  return all_ok ? 0 : 1;
}
