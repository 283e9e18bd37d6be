// Failed attempts: retried up to --retries, on another worker where possible, then
// recorded; --halt-on-error stops the handing out of tasks.

#include <gtest/gtest.h>

#include "taskfarm/pipeline.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

std::vector<std::pair<std::uint64_t, std::uint32_t>> ids_and_attempts(const std::string& batch) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  TaskBatchReader reader(batch);
  TaskView t{};
  while (reader.next(t)) out.emplace_back(t.id, t.attempt);
  return out;
}

struct Fixture {
  CommandLine cl = testing::parse({"square", "--tasks", "4", "--seed", "1"});
  TaskFeeder feeder{cl.job.source->open(), *cl.job.source, false};
  std::string first;
  std::string next(int worker, int workers, std::uint32_t n = 10) {
    std::string buf;
    TaskBatchWriter batch(buf);
    feeder.fill(batch, n, worker, workers);
    return buf;
  }
};

TEST(Retry, AFailedTaskGoesToAnotherWorkerWithItsAttemptNumber) {
  Fixture f;
  const std::string batch = f.next(0, 2, 2);  // tasks 0 and 1 to worker 0
  FailureHandler handler(f.feeder, *f.cl.job.source, 2, false);
  handler.on_failure({1, "boom"}, {batch}, 0);
  EXPECT_TRUE(ids_and_attempts(f.next(0, 2, 10)) ==
              (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{2, 0}, {3, 0}}));  // not task 1 again
  EXPECT_EQ(ids_and_attempts(f.next(0, 2, 10)).size(), 0u);  // only worker 1 may take it
  EXPECT_FALSE(f.feeder.exhausted());
  const std::string retry = f.next(1, 2, 10);
  EXPECT_TRUE(ids_and_attempts(retry) == (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{1, 1}}));
  EXPECT_TRUE(f.feeder.exhausted());
  EXPECT_TRUE(handler.failed().empty());
}

TEST(Retry, OneWorkerRetriesItself) {
  Fixture f;
  const std::string batch = f.next(0, 1, 1);
  FailureHandler handler(f.feeder, *f.cl.job.source, 1, false);
  handler.on_failure({0, "boom"}, {batch}, 0);
  EXPECT_TRUE(ids_and_attempts(f.next(0, 1, 1)) == (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{0, 1}}));
}

TEST(Retry, AfterTheLastRetryTheTaskIsRecordedAsFailed) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 1, false);
  std::string batch = f.next(0, 2, 1);
  handler.on_failure({0, "first"}, {batch}, 0);
  batch = f.next(1, 2, 1);  // the retry, attempt 1 of 1
  handler.on_failure({0, "second"}, {batch}, 1);
  ASSERT_EQ(handler.failed().size(), 1u);
  EXPECT_EQ(handler.failed()[0].id, 0u);
  EXPECT_EQ(handler.failed()[0].attempts, 2u);
  EXPECT_EQ(handler.failed()[0].error, "second");
  EXPECT_EQ(handler.failed()[0].task, f.cl.job.source->describe(std::string_view(batch).substr(4 + 16)));
}

TEST(Retry, HaltOnErrorStopsNewTasksAndRetries) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 0, true);
  const std::string batch = f.next(0, 2, 1);
  handler.on_failure({0, "boom"}, {batch}, 0);
  EXPECT_EQ(handler.failed().size(), 1u);
  EXPECT_TRUE(f.feeder.exhausted());
  EXPECT_EQ(ids_and_attempts(f.next(1, 2)).size(), 0u);
}

TEST(Retry, AFailureOutsideTheBatchesIsAnError) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 2, false);
  const std::string batch = f.next(0, 1, 1);
  EXPECT_THROW(handler.on_failure({3, "boom"}, {batch}, 0), std::logic_error);
}

}  // namespace
}  // namespace taskfarm
