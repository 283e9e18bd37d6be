// Result batches as the master reads them, by run and by task: any bytes give results or
// a WireError. Both ways of reading agree: both accept the bytes, with the same results,
// or both reject them. (A run without data is a header for any number of tasks: the
// first 4096 results are compared.)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result_wire.hpp"
#include "core/wire.hpp"

constexpr std::size_t max_results = 4096;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> by_run, by_task;
  bool by_run_ok = true, by_task_ok = true;
  try {
    taskfarm::ResultBatchReader reader(bytes);
    taskfarm::ResultRun run;
    while (by_run.size() < max_results && reader.next_run(run)) {
      taskfarm::ResultRunTasks tasks(run);
      taskfarm::ResultView result{};
      while (by_run.size() < max_results && tasks.next(result))
        by_run.push_back(std::to_string(result.id) + ":" + std::string(result.data));
    }
  } catch (const taskfarm::WireError&) {
    by_run_ok = false;
  }
  try {
    taskfarm::ResultBatchReader reader(bytes);
    taskfarm::ResultView result{};
    while (by_task.size() < max_results && reader.next(result))
      by_task.push_back(std::to_string(result.id) + ":" + std::string(result.data));
  } catch (const taskfarm::WireError&) {
    by_task_ok = false;
  }
  if (by_run_ok != by_task_ok) __builtin_trap();  // one reader accepts what the other rejects
  if (by_run_ok && by_run != by_task) __builtin_trap();
  return 0;
}
