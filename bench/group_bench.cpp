// The farm's side of scripts/bench-group: group_farm's work on the library. Each task x
// runs on a group of --ranks-per-task ranks; its kernel is one MPI_Allreduce (the sum of
// x * group rank), and the group's rank 0 writes "x<TAB>sum". Linked against
// libtaskfarm.so, as a user's program is.
#include <taskfarm/taskfarm.hpp>

#include <cstdint>

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "group_bench: trivial tasks on groups of ranks");
  std::uint64_t tasks = 400000;
  app.option("--tasks", tasks, "tasks 0..N-1");
  return app.run(taskfarm::range<long>(0, static_cast<long>(tasks)), [](const long& x, const taskfarm::Group& g) {
    long mine = x * g.rank(), sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, g.comm());
    return sum;
  });
}
