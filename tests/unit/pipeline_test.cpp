// The three pipeline stages without MPI, and the one-rank mode that chains them in-process.

#include <gtest/gtest.h>

#include "taskfarm/farm.hpp"
#include "taskfarm/pipeline.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

/// The one-rank mode: the master loop with its worker in-process.
RunReport run_alone(const CommandLine& cl, ResultSink& sink) {
  LocalTransport alone(cl.job, cl.config, 0);
  return run_master(alone, cl.job, cl.job.source->open(), cl.config, RunPlan{}, sink);
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

TEST(Pipeline, SameSeedSameTasksDifferentSeedDifferentTasks) {
  StringSink a, b, c;
  for (auto [sink, seed] : {std::pair{&a, "1"}, {&b, "1"}, {&c, "2"}}) {
    CommandLine cl = testing::parse({"square", "--tasks", "50", "--seed", seed});
    run_alone(cl, *sink);
  }
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.text, c.text);
}

}  // namespace
}  // namespace taskfarm
