// Task<T>::deadline(), seen by a kernel. For each of --tasks tasks, one line:
//   "ID<TAB>none" without --task-timeout or --end-time;
//   "ID<TAB>MS" where MS is how many milliseconds the deadline was ahead at the start;
//   with --work-until-deadline: the kernel works in 10 ms steps until 300 ms before its
//   deadline, then returns "ID<TAB>attempt A" (A: the attempt, 0 unless retried).
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "deadline_check: what Task<T>::deadline() says");
  std::uint64_t tasks = 4;
  bool work = false;
  app.option("--tasks", tasks, "tasks");
  app.option("--work-until-deadline", work, "work until 300 ms before the deadline");
  using clock = std::chrono::steady_clock;
  return app.run(taskfarm::range<std::uint64_t>(0, tasks), [&](std::uint64_t id, taskfarm::Task<std::uint64_t>& task) {
    const auto deadline = task.deadline();
    if (deadline == clock::time_point::max()) {
      task.out() << id << "\tnone\n";
      return;
    }
    if (!work) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      task.out() << id << '\t' << left.count() << '\n';
      return;
    }
    while (clock::now() < deadline - std::chrono::milliseconds(300))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    task.out() << id << "\tattempt " << task.attempt() << '\n';
  });
}
