// The worker's executors without MPI: the one WorkerCore holds is the one the run's
// profile names, and each keeps batches in order, runs them, and hands back the
// unstarted ones on Tag::hold.

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "master/pipeline.hpp"
#include "test_support.hpp"
#include "worker/executor.hpp"

namespace taskfarm {
namespace {

/// `n` batches of `tasks` tasks each, from the job's source.
std::vector<std::string> batches(const CommandLine& cl, int n, std::uint32_t tasks) {
  TaskFeeder feeder(cl.job.source->open(), *cl.job.source, false);
  std::vector<std::string> out;
  for (int b = 0; b < n; ++b) {
    TaskBatchWriter batch;
    batch.start(out.emplace_back());
    EXPECT_EQ(feeder.fill(batch, tasks), tasks);
  }
  return out;
}

/// Every result in `reply`, as (ID, status) pairs.
std::vector<std::pair<std::uint64_t, TaskStatus>> results_of(const std::string& reply) {
  std::vector<std::pair<std::uint64_t, TaskStatus>> out;
  ResultBatchReader reader(reply);
  ResultView result{};
  while (reader.next(result)) out.emplace_back(result.id, result.status);
  return out;
}

TEST(Executor, SequentialRunsOneBatchAStepInOrderAndHoldsBackTheRest) {
  CommandLine cl = testing::parse_one_rank({"square", "--tasks", "30", "--seed", "5"});
  auto executor = make_executor(cl.config.profile, cl.job, nullptr, nullptr, nullptr);
  for (const std::string& batch : batches(cl, 3, 10)) executor->add(batch);
  EXPECT_EQ(executor->held(), 3u);
  std::string buf;
  ResultBatchWriter reply(buf);
  const auto now = std::chrono::steady_clock::now();
  const ExecutorStep step = executor->step(reply, now, now, 0);
  EXPECT_EQ(step.finished, 1u);
  EXPECT_GE(step.at, now);
  EXPECT_EQ(executor->held(), 2u);
  EXPECT_EQ(executor->hold(reply), 2u);  // the two not started go back
  EXPECT_EQ(executor->held(), 0u);
  const auto results = results_of(buf);
  ASSERT_EQ(results.size(), 30u);
  for (std::uint64_t id = 0; id < 30; ++id) {
    EXPECT_EQ(results[id].first, id);
    EXPECT_EQ(results[id].second, id < 10 ? TaskStatus::ok : TaskStatus::not_started) << id;
  }
}

TEST(Executor, TheProfileChoosesItAndAGroupNeedsItsLink) {
  CommandLine cl = testing::parse_one_rank({"square", "--tasks", "4"});
  cl.config.profile.executor = ExecutorKind::group;
  EXPECT_THROW(make_executor(cl.config.profile, cl.job, nullptr, nullptr, nullptr), std::logic_error);
}

}  // namespace
}  // namespace taskfarm
