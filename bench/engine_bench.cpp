// The MPI-free parts on their own: what each task costs the master and the worker
// beyond MPI itself.

#include <string>

#include "bench_support.hpp"
#include "taskfarm/pipeline.hpp"
#include "taskfarm/scheduler.hpp"
#include "taskfarm/wire.hpp"

namespace taskfarm::bench {
namespace {

void Scheduler_SendReplyCycle(benchmark::State& state) {
  if (skipped_off_master(state)) return;
  Scheduler scheduler(8, 1024, BatchPolicy{});
  ReplySummary reply{1, 1, 0, 1e-6, 1e-6};
  for (auto _ : state) {
    auto worker = scheduler.next_ready_worker();
    scheduler.on_sent(*worker, scheduler.next_batch_size(1000000));
    scheduler.on_reply(*worker, reply);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Scheduler_SendReplyCycle);

void TaskBatch_Encode(benchmark::State& state) {
  if (skipped_off_master(state)) return;
  std::string buf;
  const std::string payload(8, 'x');
  for (auto _ : state) {
    TaskBatchWriter batch(buf);
    for (std::uint64_t id = 0; id < 4096; ++id) batch.add(id, payload);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations() * 4096);
}
BENCHMARK(TaskBatch_Encode);

void ResultBatch_EncodeDecode(benchmark::State& state) {
  if (skipped_off_master(state)) return;
  std::string buf;
  ResultBatchWriter writer(buf);
  for (auto _ : state) {
    writer.reset();
    for (std::uint64_t id = 0; id < 4096; ++id) writer.add(id, TaskStatus::ok, 1e-7, "1234 * 1234 = 1522756\n");
    writer.complete_batch();
    ResultBatchReader reader(buf);
    ResultView r{};
    std::size_t bytes = 0;
    while (reader.next(r)) bytes += r.data.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * 4096);
}
BENCHMARK(ResultBatch_EncodeDecode);

}  // namespace
}  // namespace taskfarm::bench
