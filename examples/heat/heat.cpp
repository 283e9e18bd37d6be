// A parameter sweep whose every case is a small parallel solver: the 1-D heat equation
// u_t = D u_xx on (0, 1), u = 0 at both ends, from u(x, 0) = sin(pi x) + 0.5 sin(3 pi x),
// stepped explicitly until the largest change in a step falls below --tol (or --steps).
// Task c is the diffusion number r = D dt / dx^2 = 0.1 + 0.4 c / cases. Each task runs on a
// group of --ranks-per-task ranks: each rank owns a block of the grid, trades its edge
// values with its neighbours every step (MPI_Sendrecv), and the group agrees on the
// largest change and the total heat with MPI_Allreduce. The line of each case:
//   case <TAB> r <TAB> steps <TAB> peak <TAB> heat
// mpirun -n 5 ./heat --ranks-per-task 2 --cases 16
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

struct Grid {
  std::uint64_t points = 48;  // interior points
  std::uint64_t steps = 5000;
  double tol = 1e-5;
};

/// This rank's block [first, last) of the interior points, one ghost value at each side.
struct Block {
  std::uint64_t first, last;
  std::vector<double> u;  // u[0] and u[n + 1] are the neighbours' values (or the walls)
};

Block my_block(const Grid& grid, const taskfarm::Group& g) {
  const auto ranks = static_cast<std::uint64_t>(g.size()), me = static_cast<std::uint64_t>(g.rank());
  Block b{grid.points * me / ranks, grid.points * (me + 1) / ranks, {}};
  b.u.assign(b.last - b.first + 2, 0.0);
  const double pi = std::acos(-1.0);
  for (std::uint64_t i = b.first; i < b.last; ++i) {
    const double x = static_cast<double>(i + 1) / static_cast<double>(grid.points + 1);
    b.u[i - b.first + 1] = std::sin(pi * x) + 0.5 * std::sin(3 * pi * x);
  }
  return b;
}

/// The ghost values from the neighbouring ranks (the walls stay 0).
void trade_edges(Block& b, const taskfarm::Group& g) {
  const int left = g.rank() > 0 ? g.rank() - 1 : MPI_PROC_NULL;
  const int right = g.rank() + 1 < g.size() ? g.rank() + 1 : MPI_PROC_NULL;
  const std::size_t n = b.u.size() - 2;
  MPI_Sendrecv(&b.u[n], 1, MPI_DOUBLE, right, 0, &b.u[0], 1, MPI_DOUBLE, left, 0, g.comm(), MPI_STATUS_IGNORE);
  MPI_Sendrecv(&b.u[1], 1, MPI_DOUBLE, left, 1, &b.u[n + 1], 1, MPI_DOUBLE, right, 1, g.comm(), MPI_STATUS_IGNORE);
}

/// One explicit step; returns the largest change on this rank.
double step(Block& b, std::vector<double>& next, double r) {
  double change = 0;
  next = b.u;
  for (std::size_t i = 1; i + 1 < b.u.size(); ++i) {
    next[i] = b.u[i] + r * (b.u[i - 1] - 2 * b.u[i] + b.u[i + 1]);
    change = std::max(change, std::fabs(next[i] - b.u[i]));
  }
  b.u.swap(next);
  return change;
}

void solve(std::uint64_t c, std::uint64_t cases, const Grid& grid, const taskfarm::Group& g, taskfarm::Out& out) {
  const double r = 0.1 + 0.4 * static_cast<double>(c) / static_cast<double>(cases);
  Block b = my_block(grid, g);
  std::vector<double> next;
  std::uint64_t steps = 0;
  double change = grid.tol;
  while (steps < grid.steps && change >= grid.tol) {
    trade_edges(b, g);
    change = step(b, next, r);
    ++steps;
    MPI_Allreduce(MPI_IN_PLACE, &change, 1, MPI_DOUBLE, MPI_MAX, g.comm());
  }
  double peak = 0, heat = 0;
  for (std::size_t i = 1; i + 1 < b.u.size(); ++i) {
    peak = std::max(peak, b.u[i]);
    heat += b.u[i];
  }
  MPI_Allreduce(MPI_IN_PLACE, &peak, 1, MPI_DOUBLE, MPI_MAX, g.comm());
  MPI_Allreduce(MPI_IN_PLACE, &heat, 1, MPI_DOUBLE, MPI_SUM, g.comm());
  char line[160];
  std::snprintf(line, sizeof line, "%llu\t%.3f\t%llu\t%.12e\t%.12e\n", static_cast<unsigned long long>(c), r,
                static_cast<unsigned long long>(steps), peak, heat / static_cast<double>(grid.points + 1));
  out << line;  // only the group's rank 0's lines are kept
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "heat: a sweep of 1-D heat solves, each on a group of ranks (--ranks-per-task)");
  std::uint64_t cases = 16;
  Grid grid;
  app.option("--cases", cases, "number of diffusion numbers (tasks), from 0.1 up to 0.5");
  app.option("--points", grid.points, "interior grid points");
  app.option("--steps", grid.steps, "most time steps");
  app.option("--tol", grid.tol, "stop once no point changes by this much in a step");
  return app.run(taskfarm::range<std::uint64_t>(0, cases),
                 [&](const std::uint64_t& c, taskfarm::Task<std::uint64_t>& task) {
                   solve(c, cases, grid, task.group(), task.out());
                 });
}
