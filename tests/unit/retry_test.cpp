// Failed attempts: retried up to --retries, on another worker where possible, then
// recorded; --halt-on-error stops the handing out of tasks.

#include <gtest/gtest.h>

#include "master/pipeline.hpp"
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
  HeldBatches held{feeder, 1};
  std::string next(int worker, int workers, std::uint32_t n = 10) {
    std::string buf;
    TaskBatchWriter batch(buf);
    feeder.fill(batch, n, worker, workers);
    held.add(buf, batch.spans());
    return buf;
  }
  /// A reply acknowledges every batch held, with one failed task.
  void fail(FailureHandler& handler, const FailedAttempt& failure, int worker) {
    handler.on_failure(failure, held, held.size(), worker);
    held.pop_front(held.size());
  }
};

TEST(Retry, AFailedTaskGoesToAnotherWorkerWithItsAttemptNumber) {
  Fixture f;
  const std::string batch = f.next(0, 2, 2);  // tasks 0 and 1 to worker 0
  FailureHandler handler(f.feeder, *f.cl.job.source, 2, false);
  f.fail(handler, {1, "boom"}, 0);
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
  f.fail(handler, {0, "boom"}, 0);
  EXPECT_TRUE(ids_and_attempts(f.next(0, 1, 1)) == (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{0, 1}}));
}

TEST(Retry, AfterTheLastRetryTheTaskIsRecordedAsFailed) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 1, false);
  std::string batch = f.next(0, 2, 1);
  f.fail(handler, {0, "first"}, 0);
  batch = f.next(1, 2, 1);  // the retry, attempt 1 of 1
  f.fail(handler, {0, "second"}, 1);
  ASSERT_EQ(handler.failed().size(), 1u);
  EXPECT_EQ(handler.failed()[0].id, 0u);
  EXPECT_EQ(handler.failed()[0].attempts, 2u);
  EXPECT_EQ(handler.failed()[0].error, "second");
  EXPECT_EQ(handler.failed()[0].task, f.cl.job.source->describe(std::string_view(batch).substr(4 + sizeof(TaskSpan))));
}

TEST(Retry, APermanentFailureIsRecordedAtOnceWhateverTheRetries) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 2, false);
  const std::string batch = f.next(0, 2, 2);  // tasks 0 and 1
  f.fail(handler, {1, "'dir': Permission denied", false}, 0);
  ASSERT_EQ(handler.failed().size(), 1u);
  EXPECT_EQ(handler.failed()[0].id, 1u);
  EXPECT_EQ(handler.failed()[0].attempts, 1u);
  EXPECT_EQ(handler.failed()[0].error, "'dir': Permission denied");
  EXPECT_TRUE(ids_and_attempts(f.next(1, 2, 10)) ==
              (std::vector<std::pair<std::uint64_t, std::uint32_t>>{{2, 0}, {3, 0}}));  // no retry of task 1
  EXPECT_TRUE(f.feeder.exhausted());
}

TEST(Retry, HaltOnErrorStopsNewTasksAndRetries) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 0, true);
  const std::string batch = f.next(0, 2, 1);
  f.fail(handler, {0, "boom"}, 0);
  EXPECT_EQ(handler.failed().size(), 1u);
  EXPECT_TRUE(f.feeder.exhausted());
  EXPECT_EQ(ids_and_attempts(f.next(1, 2)).size(), 0u);
}

TEST(Retry, AFailureOutsideTheBatchesIsAnError) {
  Fixture f;
  FailureHandler handler(f.feeder, *f.cl.job.source, 2, false);
  const std::string batch = f.next(0, 1, 1);
  EXPECT_THROW(f.fail(handler, {3, "boom"}, 0), std::logic_error);
}

/// The same tasks as the square fixture's, from a source that cannot replay them.
class Unreplayable final : public TaskSource {
 public:
  explicit Unreplayable(std::unique_ptr<TaskSource> inner) : inner_(std::move(inner)) {}
  std::optional<std::uint64_t> size() const override { return inner_->size(); }
  bool next(std::string& payload) override { return inner_->next(payload); }

 private:
  std::unique_ptr<TaskSource> inner_;
};

std::vector<std::pair<std::uint64_t, std::string>> held_tasks(HeldBatches& held) {
  std::vector<std::pair<std::uint64_t, std::string>> tasks;
  held.visit(held.size(), [&](const TaskView& t) {
    tasks.emplace_back(t.id, std::string(t.payload));
    return false;
  });
  return tasks;
}

TEST(HeldBatches, ReplayKeepsNoCopyAndGivesTheSameTasksAsACopy) {
  Fixture replaying;
  ASSERT_TRUE(replaying.feeder.replayable());
  CommandLine cl = testing::parse({"square", "--tasks", "4", "--seed", "1"});  // the same tasks
  TaskFeeder copying_feeder(std::make_unique<Unreplayable>(cl.job.source->open()), *cl.job.source, false);
  ASSERT_FALSE(copying_feeder.replayable());
  HeldBatches copying(copying_feeder, 1);
  for (int b = 0; b < 2; ++b) {
    replaying.next(0, 1, 2);
    std::string buf;
    TaskBatchWriter batch(buf);
    copying_feeder.fill(batch, 2);
    copying.add(buf, batch.spans());
  }
  EXPECT_EQ(replaying.held.budget(), HeldBatches::replay_budget);
  EXPECT_EQ(copying.budget(), HeldBatches::copy_budget);
  EXPECT_EQ(replaying.held.bytes(), 2 * sizeof(TaskSpan));  // one span a batch
  EXPECT_GT(copying.bytes(), 2 * (sizeof(TaskSpan) + 2 * sizeof(std::int64_t)));
  const auto replayed = held_tasks(replaying.held);
  ASSERT_EQ(replayed.size(), 4u);
  EXPECT_EQ(replayed, held_tasks(copying));
  copying.pop_front(2);
  EXPECT_EQ(copying.bytes(), 0u);
}

TEST(HeldBatches, TheBudgetShrinksWithManyWorkersSoThatAllOfThemStayBounded) {
  Fixture f;
  EXPECT_EQ(HeldBatches(f.feeder, 64).budget(), HeldBatches::replay_budget);
  EXPECT_EQ(HeldBatches(f.feeder, 16384).budget(), HeldBatches::all_workers_budget / 16384);
  EXPECT_EQ(HeldBatches(f.feeder, 100000).budget(), HeldBatches::least_budget);
  EXPECT_LE(100000 * HeldBatches(f.feeder, 100000).budget(), std::size_t{1} << 30);
}

TEST(HeldBatches, RoomIsWhatTheBudgetLeavesBesideWhatIsKeptAndUnsent) {
  Fixture f;  // replayable: a batch held keeps its span; its send buffer counts until sent
  constexpr std::size_t budget = HeldBatches::replay_budget;
  EXPECT_EQ(f.held.room(0), budget / 2);
  f.next(0, 1, 2);
  EXPECT_EQ(f.held.room(0), budget / 2);  // sent: the span alone is kept
  EXPECT_EQ(f.held.room(budget / 2), budget / 2 - sizeof(TaskSpan));
  EXPECT_EQ(f.held.room(budget * 3 / 4 - sizeof(TaskSpan)), budget / 4);
  EXPECT_EQ(f.held.room(budget * 3 / 4 - sizeof(TaskSpan) + 1), 0u);  // wait until MPI releases buffers
  f.held.pop_front(1);
  EXPECT_EQ(f.held.room(budget), 0u);  // nothing kept, but MPI holds a whole budget
  EXPECT_EQ(f.held.room(0), budget / 2);
}

TEST(HeldBatches, CopiesStopAtTheByteBudget) {
  CommandLine cl = testing::parse({"square", "--tasks", "4", "--seed", "1"});
  TaskFeeder feeder(std::make_unique<Unreplayable>(cl.job.source->open()), *cl.job.source, false);
  std::string buf;
  TaskBatchWriter batch(buf);
  // Each task is 8 bytes: the batch stops with the task that reaches 20 bytes past the header.
  EXPECT_EQ(feeder.fill(batch, 100, 0, 1, 4 + sizeof(TaskSpan) + 20), 3u);
}

}  // namespace
}  // namespace taskfarm
