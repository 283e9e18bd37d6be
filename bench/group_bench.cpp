// The farm's side of scripts/bench-group: group_farm's work on the library. Each task x
// runs on a group of --ranks-per-task ranks; its kernel is one MPI_Allreduce (the sum of
// x * group rank), and the group's rank 0 writes "x<TAB>sum". Linked against
// libtaskfarm.so, as a user's program is.
// With --children N there is one task, 0, and it submits tasks 1..N: the memory a group
// kernel needs to submit many children (scripts/bench-group measures each rank's peak).
#include <taskfarm/taskfarm.hpp>

#include <cstdint>

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "group_bench: trivial tasks on groups of ranks");
  std::uint64_t tasks = 400000;
  std::uint64_t children = 0;
  app.option("--tasks", tasks, "tasks 0..N-1");
  app.option("--children", children, "instead: one task that submits tasks 1..N");
  const long first_tasks = children > 0 ? 1 : static_cast<long>(tasks);
  return app.run(taskfarm::range<long>(0, first_tasks), [&](const long& x, taskfarm::Task<long>& task) {
    if (x == 0)
      for (std::uint64_t child = 1; child <= children; ++child) task.submit(static_cast<long>(child));
    long mine = x * task.group().rank(), sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, task.group().comm());
    return sum;
  });
}
