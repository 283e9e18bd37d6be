// A program on the group-kernel contract (--ranks-per-task N), built out of tree against
// an installed taskfarm. Each task x runs on a group of N ranks: every rank adds
// x * (its group rank + 1) in one MPI_Allreduce over g.comm(), so the group's sum is
// x * N * (N + 1) / 2, which the test's awk computes alone. Every kernel call also checks
// that g.size() is --expect N and that MPI agrees with g.rank() and g.size().
//   --form value   R kernel(const T&, const Group&): lines "x<TAB>sum"
//   --form lines   void kernel(const T&, const Group&, Out&): lines "x<TAB>sum<TAB>size"
//   --form fold    the sums folded with +: one value
//   --throw-every K  the group's last rank throws after the collective when x % K == 1
//   --permanent    ... and what it throws is a taskfarm::PermanentError (not retried)
//   --slow-us U    every rank spins U microseconds per task (for kill tests)
//   --strand K     on task K's first attempt the group's rank 0 throws before the
//                  collective, stranding the others in it (for --task-timeout)
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace {

struct Settings {
  std::uint32_t expect = 0;
  std::uint64_t throw_every = 0;
  bool permanent = false;
  std::uint64_t slow_us = 0;
  std::int64_t strand = -1;
};

std::uint64_t group_sum(std::uint64_t x, const taskfarm::Group& g, const Settings& s) {
  int rank = -1, size = -1;
  MPI_Comm_rank(g.comm(), &rank);
  MPI_Comm_size(g.comm(), &size);
  if (rank != g.rank() || size != g.size() || (s.expect && g.size() != static_cast<int>(s.expect)))
    throw std::runtime_error("group mismatch: MPI says rank " + std::to_string(rank) + " of " + std::to_string(size) +
                             ", the Group says " + std::to_string(g.rank()) + " of " + std::to_string(g.size()));
  if (s.slow_us) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(s.slow_us);
    while (std::chrono::steady_clock::now() < end) {}
  }
  if (static_cast<std::int64_t>(x) == s.strand && g.rank() == 0 && taskfarm::this_task().attempt == 0)
    throw std::runtime_error("task " + std::to_string(x) + " thrown before the collective");
  std::uint64_t mine = x * static_cast<std::uint64_t>(g.rank() + 1), sum = 0;
  MPI_Allreduce(&mine, &sum, 1, MPI_UINT64_T, MPI_SUM, g.comm());
  if (s.throw_every && x % s.throw_every == 1 && g.rank() == g.size() - 1) {
    const std::string what = "task " + std::to_string(x) + " thrown on group rank " + std::to_string(g.rank());
    if (s.permanent) throw taskfarm::PermanentError(what);
    throw std::runtime_error(what);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "group_check: tasks on groups of ranks, checked against a serial formula");
  std::uint64_t tasks = 1000;
  std::string form = "value";
  Settings s;
  app.option("--tasks", tasks, "tasks 0..N-1");
  app.option("--form", form, "value, lines or fold");
  app.option("--expect", s.expect, "the group size every kernel must see (0: no check)");
  app.option("--throw-every", s.throw_every, "the last group rank throws for x % K == 1 (0: never)");
  app.option("--permanent", s.permanent, "throw taskfarm::PermanentError for --throw-every");
  app.option("--slow-us", s.slow_us, "busy microseconds per task on every rank");
  app.option("--strand", s.strand, "the task whose first attempt strands its group (-1: none)");
  const auto source = taskfarm::range<std::uint64_t>(0, tasks);
  if (form == "lines")
    return app.run(source, [&](const std::uint64_t& x, const taskfarm::Group& g, taskfarm::Out& out) {
      out << x << '\t' << group_sum(x, g, s) << '\t' << g.size() << '\n';
    });
  if (form == "fold")
    return app.run(source, [&](const std::uint64_t& x, const taskfarm::Group& g) { return group_sum(x, g, s); },
                   taskfarm::fold<std::uint64_t>(0, std::plus<>{}));
  return app.run(source, [&](const std::uint64_t& x, const taskfarm::Group& g) { return group_sum(x, g, s); });
}
