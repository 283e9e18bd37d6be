// An MPI program that owns MPI and embeds a Farm, linked against libtaskfarm.so as a
// user's program is. Each map that cannot run throws taskfarm::Error on every rank, and
// the same Farm then runs the next map; the program ends with MPI_Finalize and exit 0.
// Usage: farm_errors FULL_DIR   (FULL_DIR: a directory on a 2 MiB tmpfs)

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include <taskfarm/taskfarm.hpp>

namespace {

int failures = 0;
int rank = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "farm_errors: rank %d: FAILED: %s\n", rank, what.c_str());
}

/// Runs `map` and checks that it throws taskfarm::Error with `code` (on this rank).
template <class Map>
void expect_error(const std::string& step, int code, Map map) {
  try {
    map();
    check(false, step + ": no taskfarm::Error");
  } catch (const taskfarm::Error& e) {
    check(e.exit_code() == code, step + ": exit_code() " + std::to_string(e.exit_code()) + ", not " +
                                     std::to_string(code) + " (" + e.what() + ")");
  }
}

std::uint64_t square(std::uint64_t x) { return x * x; }

/// The serial sum of squares of [0, n).
std::uint64_t serial_sum(std::uint64_t n) {
  std::uint64_t sum = 0;
  for (std::uint64_t x = 0; x < n; ++x) sum += square(x);
  return sum;
}

double largest(double a, double b) { return std::max(a, b); }

/// A map without output gives the right answer (checked on rank 0, which has it); the
/// three spellings of a fold with another operation give theirs.
void expect_right_answers(taskfarm::Farm& farm, const std::string& step) {
  farm.options().output.reset();
  const std::uint64_t n = 20000;
  const auto sum = farm.map(taskfarm::range<std::uint64_t>(0, n), square, taskfarm::fold<std::uint64_t>(0));
  const auto half = [](std::uint64_t x) { return static_cast<double>(x) / 2; };
  const double most = farm.map(taskfarm::range<std::uint64_t>(0, n), half,
                               taskfarm::fold<double>(-1.0, [](double a, double b) { return std::max(a, b); }));
  const double total = farm.map(taskfarm::range<std::uint64_t>(0, n), half,
                                taskfarm::fold(0.0, [](double a, double b) { return a + b; }));
  const double product = farm.map(taskfarm::range<std::uint64_t>(1, 11), [](std::uint64_t x) { return double(x); },
                                  taskfarm::fold<double>(1.0, std::multiplies<>{}));
  const double most_again = farm.map(taskfarm::range<std::uint64_t>(0, n), half, taskfarm::fold<double>(-1.0, &largest));
  if (farm.rank() != 0) return;
  check(sum == serial_sum(n), step + ": the sum of squares is " + std::to_string(sum));
  check(most == (n - 1) / 2.0, step + ": fold<double>(-1.0, max lambda) gave " + std::to_string(most));
  check(total == (n - 1) * n / 4.0, step + ": fold(0.0, lambda) gave " + std::to_string(total));
  check(product == 3628800.0, step + ": fold<double>(1.0, std::multiplies<>{}) gave " + std::to_string(product));
  check(most_again == (n - 1) / 2.0, step + ": fold<double>(-1.0, &largest) gave " + std::to_string(most_again));
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc != 2) {
    if (rank == 0) std::fprintf(stderr, "usage: farm_errors FULL_DIR\n");
    MPI_Finalize();
    return 2;
  }
  const std::string full_dir = argv[1];
  {
    taskfarm::Farm farm(MPI_COMM_WORLD);
    // 1. An output directory that cannot be created: exit code 2.
    farm.options().output = "/dev/null/out";
    expect_error("1. /dev/null/out", 2, [&] {
      farm.map(taskfarm::range<std::uint64_t>(0, 1000), square, taskfarm::fold<std::uint64_t>(0));
    });
    // 2. A map without output.
    expect_right_answers(farm, "2. without output");
    // 3. Output that fills the 2 MiB tmpfs: exit code 4.
    farm.options().output = full_dir + "/out";
    expect_error("3. a full disk", 4, [&] {
      farm.map(taskfarm::range<std::uint64_t>(0, 400000), [](std::uint64_t x, taskfarm::Out& out) {
        out << x << ' ' << std::string(60, 'x') << '\n';
      });
    });
    // A bad option: exit code 2, with the command line's words.
    farm.options().window = 0;
    expect_error("a bad Options::window", 2, [&] { farm.map(taskfarm::range<std::uint64_t>(0, 10), square); });
    farm.options().window = 1024;
    // 4. Another map.
    expect_right_answers(farm, "4. after the errors");
  }
  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) std::printf("farm_errors: %d failed checks\n", all_failures);
  // 5. MPI ends normally.
  MPI_Finalize();
  return all_failures == 0 ? 0 : 1;
}
