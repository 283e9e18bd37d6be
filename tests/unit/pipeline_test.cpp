// The three pipeline stages without MPI, and the one-rank mode that chains them in-process.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/local_transport.hpp"
#include "master/master.hpp"
#include "master/pipeline.hpp"
#include "worker/batch_runner.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

/// The one-rank mode: the master loop with its worker in-process.
RunReport run_alone(const CommandLine& cl, ResultSink& sink) {
  Config config = cl.config;
  config.profile = profile_run(config, cl.job, 1);
  LocalTransport alone(cl.job, config, 0);
  return run_master(alone, cl.job, cl.job.source->open(), config, RunPlan{}, sink);
}

TEST(Pipeline, SquareAloneMatchesSerialComputation) {
  CommandLine cl = testing::parse({"square", "--tasks", "12345", "--seed", "42"});
  StringSink sink;
  const RunReport report = run_alone(cl, sink);
  EXPECT_EQ(testing::sorted_lines(sink.text), testing::expected_square_lines(12345, 42));
  EXPECT_EQ(report.tasks_done, 12345u);
  EXPECT_EQ(report.workers, 0);
  ASSERT_EQ(report.per_worker.size(), 1u);
  EXPECT_EQ(report.per_worker[0].rank, 0);
  EXPECT_EQ(exit_code_for(report), ExitCode::success);
}

TEST(Pipeline, AReplySaysHowLongTheWorkerHeldItsNewestBatch) {
  // The master subtracts this from the batch's round trip to learn the path's own delay.
  CommandLine cl = testing::parse({"sleep", "--tasks", "3", "--mean-us", "20000", "--dist", "fixed"});
  TaskFeeder feeder(cl.job.source->open(), *cl.job.source, false);
  WorkerCore core(cl.job, cl.config, 0, 1, 1);
  const auto start = std::chrono::steady_clock::now();
  for (int b = 0; b < 3; ++b) {
    std::string message;
    TaskBatchWriter batch;
    batch.start_framed(message);
    ASSERT_EQ(feeder.fill(batch, 1), 1u);
    core.receive(Tag::tasks, message);
  }
  EXPECT_FALSE(core.work(0));  // one finished, two held: the reply waits
  EXPECT_TRUE(core.work(0));   // two finished, one held: the reply goes
  const std::string reply = core.take_reply({});
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ResultBatchHeader header = ResultBatchReader(reply).header();
  EXPECT_EQ(header.batches_completed, 2u);
  EXPECT_GE(header.held_s, 0.04);  // the newest batch waited behind the first, then ran
  EXPECT_LE(header.held_s, wall_s);
}

TEST(Pipeline, AWorkerRunsEveryBatchOfOneMessageAndAcknowledgesEach) {
  CommandLine cl = testing::parse({"square", "--tasks", "10", "--seed", "3"});
  TaskFeeder feeder(cl.job.source->open(), *cl.job.source, false);
  WorkerCore core(cl.job, cl.config, 0, 1, 1);
  std::string message;
  TaskBatchWriter batch;
  for (std::uint32_t tasks : {1, 4, 5}) {
    batch.start_framed(message);
    ASSERT_EQ(feeder.fill(batch, tasks), tasks);
  }
  core.receive(Tag::tasks, message);
  EXPECT_EQ(core.batches_held(), 3u);
  EXPECT_FALSE(core.work(0));  // one of three done: the reply waits
  EXPECT_TRUE(core.work(0));
  EXPECT_TRUE(core.work(0));
  const std::string reply = core.take_reply({});
  EXPECT_EQ(ResultBatchReader(reply).header().batches_completed, 3u);
  std::string lines;
  ResultBatchReader results(reply);
  ResultView result{};
  while (results.next(result)) lines += result.data;
  EXPECT_EQ(testing::sorted_lines(lines), testing::expected_square_lines(10, 3));
}

TEST(Pipeline, SourceIsStreamedInTaskOrder) {
  CommandLine cl = testing::parse({"square", "--tasks", "3", "--seed", "9"});
  TaskFeeder feeder(cl.job.source->open(), *cl.job.source, false);
  EXPECT_EQ(feeder.undispatched(), 3u);
  std::string buf;
  TaskBatchWriter batch(buf);
  EXPECT_EQ(feeder.fill(batch, 2), 2u);
  EXPECT_EQ(feeder.undispatched(), 1u);
  EXPECT_FALSE(feeder.exhausted());
  EXPECT_EQ(feeder.fill(batch, 2), 1u);
  EXPECT_TRUE(feeder.exhausted());
  TaskBatchReader reader(buf);
  TaskView t{};
  for (std::uint64_t id = 0; id < 3; ++id) {
    ASSERT_TRUE(reader.next(t));
    EXPECT_EQ(t.id, id);
  }
}

TEST(Pipeline, SuspectTasksGoAloneToAnIdleWorkerAndPoisonOnesNotAtAll) {
  CommandLine cl = testing::parse({"square", "--tasks", "10", "--seed", "9"});
  TaskFeeder feeder(cl.job.source->open(), *cl.job.source, false);
  CrashHistory crashes;
  crashes.suspects.add(3, 5);  // tasks 3 and 4
  crashes.poisoned[4] = 3;
  std::vector<std::uint64_t> given_up;
  feeder.isolate(&crashes, [&](std::uint64_t id, std::uint32_t deaths, const std::string&) {
    EXPECT_EQ(deaths, 3u);
    given_up.push_back(id);
  });
  auto fill = [&](std::uint32_t max_tasks, bool idle) {
    std::string buf;
    TaskBatchWriter batch(buf);
    feeder.fill(batch, max_tasks, 0, 2, SIZE_MAX, idle);
    std::vector<std::uint64_t> ids;
    TaskBatchReader reader(buf);
    for (TaskView t{}; reader.next(t);) ids.push_back(t.id);
    return ids;
  };
  EXPECT_EQ(fill(100, true), (std::vector<std::uint64_t>{0, 1, 2}));  // stops before the suspect
  EXPECT_FALSE(feeder.filled_alone());
  EXPECT_TRUE(fill(100, false).empty());  // not to a worker that holds tasks
  EXPECT_EQ(fill(100, true), (std::vector<std::uint64_t>{3}));  // alone
  EXPECT_TRUE(feeder.filled_alone());
  EXPECT_EQ(fill(100, false), (std::vector<std::uint64_t>{5, 6, 7, 8, 9}));  // 4 is poison
  EXPECT_EQ(given_up, (std::vector<std::uint64_t>{4}));
  EXPECT_TRUE(feeder.exhausted());
}

TEST(Pipeline, SameSeedSameTasksDifferentSeedDifferentTasks) {
  StringSink a, b, c;
  for (auto [sink, seed] : {std::pair{&a, "1"}, {&b, "1"}, {&c, "2"}}) {
    CommandLine cl = testing::parse({"square", "--tasks", "50", "--seed", seed});
    run_alone(cl, *sink);
  }
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.text, c.text);
}

TEST(RunTiming, QuickTasksAreTimedInGrowingGroups) {
  RunTiming timing;
  EXPECT_EQ(timing.run_size(), 1u);
  for (int i = 0; i < 40; ++i) timing.end_run(timing.run_size(), timing.run_size() * 1e-8);
  // Groups stop growing once they take the target time: 10 ns tasks, 2048 a group.
  EXPECT_GE(timing.run_size() * 1e-8, RunTiming::target_run_s);
  EXPECT_LE(timing.run_size() * 1e-8, 2 * RunTiming::target_run_s);
}

TEST(RunTiming, LongTasksAreTimedOneByOne) {
  RunTiming timing;
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(timing.end_run(timing.run_size(), 1e-3), 1e-3);
  EXPECT_EQ(timing.run_size(), 1u);
}

TEST(RunTiming, OneSlowTaskInAGroupIsEstimatedAndTimingTightens) {
  RunTiming timing;
  for (int i = 0; i < 40; ++i) timing.end_run(timing.run_size(), timing.run_size() * 1e-8);
  const std::uint32_t n = timing.run_size();
  ASSERT_GT(n, 100u);
  // n - 1 tasks of 10 ns and one of 5 ms.
  const double max_s = timing.end_run(n, (n - 1) * 1e-8 + 5e-3);
  EXPECT_NEAR(max_s, 5e-3, 1e-4);
  EXPECT_EQ(timing.run_size(), 1u);
}

/// Quick tasks, except task `slow_id`, which sleeps.
class OneSlowTask final : public Kernel {
 public:
  explicit OneSlowTask(std::uint64_t slow_id) : slow_id_(slow_id) {}
  void run(TaskContext& task) override {
    std::string& out = *task.out;
    if (task.id == slow_id_) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    out += 'x';
  }

 private:
  std::uint64_t slow_id_;
};

/// Task 1 throws a PermanentError, task 2 another exception; the rest succeed.
class FailingTasks final : public Kernel {
 public:
  void run(TaskContext& task) override {
    std::string& out = *task.out;
    if (task.id == 1) throw PermanentError("gone for good");
    if (task.id == 2) throw std::runtime_error("try again");
    out += 'x';
  }
};

/// The reply of a BatchRunner of `kernel` to one batch of tasks 0..count-1.
std::string reply_to_batch(Kernel& kernel, std::uint64_t count) {
  BatchRunner runner(kernel);
  std::string tasks;
  TaskBatchWriter batch(tasks);
  for (std::uint64_t id = 0; id < count; ++id) batch.add(id, "");
  std::string buf;
  ResultBatchWriter reply(buf);
  runner.run(tasks, reply, std::chrono::steady_clock::now());
  return buf;
}

TEST(BatchRunner, APermanentErrorIsReportedAsNotToBeRetried) {
  FailingTasks kernel;
  const std::string buf = reply_to_batch(kernel, 4);
  ResultBatchReader results(buf);
  ResultRun run{};
  std::vector<std::pair<TaskStatus, std::string>> failures;
  std::uint64_t succeeded = 0;
  while (results.next_run(run)) {
    if (run.header.status == TaskStatus::ok) succeeded += run.header.count;
    else failures.emplace_back(run.header.status, std::string(run.data));
  }
  EXPECT_EQ(succeeded, 2u);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].first, TaskStatus::failed_for_good);
  EXPECT_NE(failures[0].second.find("gone for good"), std::string::npos);
  EXPECT_EQ(failures[1].first, TaskStatus::failed);
  EXPECT_NE(failures[1].second.find("try again"), std::string::npos);
}

TEST(BatchRunner, ASingleSlowTaskAmongQuickOnesSetsTheMaximum) {
  OneSlowTask kernel(15000);
  const std::string buf = reply_to_batch(kernel, 20000);
  ResultBatchReader results(buf);
  ResultRun run{};
  double max_s = 0;
  std::uint64_t count = 0, runs = 0;
  std::string data;
  while (results.next_run(run)) {
    max_s = std::max(max_s, run.header.max_s);
    count += run.header.count;
    ++runs;
    data += run.data;
  }
  EXPECT_EQ(count, 20000u);
  EXPECT_EQ(data, std::string(20000, 'x'));
  EXPECT_LT(runs, 2000u);  // grouped: far fewer clock reads than tasks
  EXPECT_GE(max_s, 0.025);
  EXPECT_LT(max_s, 0.5);
}

}  // namespace
}  // namespace taskfarm
