// The MPI-free parts on their own: what each task costs the master and the worker
// beyond MPI itself.

#include <memory>
#include <optional>
#include <string>

#include "bench_support.hpp"
#include "core/result_wire.hpp"
#include "core/wire.hpp"
#include "master/pipeline.hpp"
#include "master/scheduler.hpp"

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

/// Tasks 0, 1, 2, ... as 8-byte payloads, replayable (as square's and range's are).
class CountingSource final : public TaskSource {
 public:
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  bool next(std::string& payload) override { return replay(next_++, payload); }
  bool replayable() const override { return true; }
  bool replay(std::uint64_t id, std::string& payload) override {
    set_value_payload(payload, static_cast<std::int64_t>(id % 10001));
    return true;
  }

 private:
  std::uint64_t next_ = 0;
};

class CountingJob final : public JobSource {
 public:
  std::unique_ptr<TaskSource> open() override { return std::make_unique<CountingSource>(); }
  std::string describe(std::string_view) const override { return "a task"; }
  nlohmann::json parameters() const override { return nlohmann::json::object(); }
};

class DiscardSink final : public ResultSink {
 public:
  void write(std::string_view data) override { bytes += data.size(); }
  std::size_t bytes = 0;
};

/// The master's CPU cost for one reply of N tasks, all it does for them on rank 0 beyond
/// MPI: fill and record a batch of N tasks, then take the worker's reply to it (one run
/// of N results, with 22-byte lines as data or, under --output, none). Divided by N it
/// gives the cost per task; at N = 1, the cost per message.
void Master_PerReply(benchmark::State& state) {
  if (skipped_off_master(state)) return;
  const auto tasks = static_cast<std::uint32_t>(state.range(0));
  const bool with_data = state.range(1) != 0;
  CountingJob job;
  TaskFeeder feeder(job.open(), job, false);
  Scheduler scheduler(1, 1024, BatchPolicy{});
  DiscardSink sink;
  ResultCollector results(sink, scheduler, nullptr);
  HeldBatches held(feeder, 1);
  std::string reply_buf;
  ResultBatchWriter reply(reply_buf);
  reply.open_run(0, TaskStatus::ok, with_data);
  for (std::uint32_t i = 0; i < tasks; ++i) {
    reply.begin_task();
    if (with_data) reply.out() += "1234 * 1234 = 1522756\n";
    reply.end_task();
  }
  reply.close_run(tasks * 1e-7, 1e-7);
  reply.complete_batch();
  std::string batch_buf;
  std::vector<FailedAttempt> failures;
  std::vector<IdRun> done;
  for (auto _ : state) {
    TaskBatchWriter batch(batch_buf);
    feeder.fill(batch, tasks);
    held.add(batch_buf, batch.spans());
    scheduler.on_sent(0, batch.count());
    results.consume(0, reply_buf, 1, failures, done);
    held.pop_front(1);
    done.clear();
  }
  state.SetItemsProcessed(state.iterations() * tasks);
  state.counters["ns_per_reply"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1e-9, benchmark::Counter::kIsRate |
                                                                            benchmark::Counter::kInvert);
  state.SetLabel(with_data ? "stdout" : "--output");
}
BENCHMARK(Master_PerReply)->ArgsProduct({{1, 64, 4096}, {0, 1}});

}  // namespace
}  // namespace taskfarm::bench
