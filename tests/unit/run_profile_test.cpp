// The run's profile (run_profile.hpp): the policies decided once from the options, the
// job and the ranks; and the deadline an attempt derives from its limits.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <taskfarm/taskfarm.hpp>

#include "core/clock.hpp"
#include "job/run_profile.hpp"
#include "test_support.hpp"
#include "worker/attempt.hpp"

namespace taskfarm {
namespace {

RunProfile profile_of(const std::vector<std::string>& args, int ranks) {
  CommandLine cl = testing::parse(args);
  return profile_run(cl.config, cl.job, ranks);
}

TEST(RunProfile, AFarmOfKernelsIsTimedByTheMasterAndHoldsItsWindow) {
  const RunProfile p = profile_of({"--window", "7", "--task-timeout", "3", "square"}, 3);
  EXPECT_EQ(p.executor, ExecutorKind::sequential);
  EXPECT_FALSE(p.one_rank);
  EXPECT_EQ(p.window, 7);
  EXPECT_EQ(p.slots, 1u);
  EXPECT_TRUE(p.master_times_tasks);
  EXPECT_FALSE(p.patient);
  EXPECT_EQ(p.limits.task_timeout_s, 3);
}

TEST(RunProfile, OneRankHoldsOneBatchAtATime) {
  const RunProfile p = profile_of({"square"}, 1);
  EXPECT_TRUE(p.one_rank);
  EXPECT_EQ(p.window, 1);
}

TEST(RunProfile, ProcessSlotsKillTheirOwnTasksAndWaitPatiently) {
  const std::string tasks = ::testing::TempDir() + "profile_tasks.txt";
  std::ofstream(tasks) << "true\ntrue\n";
  CommandLine cl = testing::parse({"cmd", "--tasks-file", tasks, "--slots-per-worker", "4"});
  cl.config.batch.slots = 4;  // what the workers claimed
  const RunProfile many = profile_run(cl.config, cl.job, 3);
  EXPECT_EQ(many.executor, ExecutorKind::slots);
  EXPECT_EQ(many.slots, 4u);
  EXPECT_FALSE(many.master_times_tasks);
  EXPECT_TRUE(many.patient);
  EXPECT_EQ(profile_run(cl.config, cl.job, 1).window, 5);  // one per slot, and one more
}

TEST(RunProfile, GroupsRunEachBatchOnTheGroup) {
  EXPECT_EQ(profile_of({"--ranks-per-task", "2", "square"}, 5).executor, ExecutorKind::group);
}

TEST(RunProfile, TheRunsEndReachesTheAttempts) {
  CommandLine cl = testing::parse({"square"});
  cl.config.end_epoch_s = 1.8e9;
  EXPECT_EQ(profile_run(cl.config, cl.job, 3).limits.end_epoch_s, 1.8e9);
}

/// The deadline a kernel sees in the attempt begun after start_batch(`answered`).
clock::time_point deadline_seen(const AttemptLimits& limits, clock::time_point answered) {
  struct Probe final : Kernel {
    clock::time_point seen;
    void run(TaskContext& task) override { seen = Task<int>(task).deadline(); }
  } probe;
  Attempt attempt(nullptr, RankGroup{}, limits);
  attempt.start_batch(answered);
  std::string out;
  EXPECT_FALSE(attempt.run(probe, TaskView{0, 0, ""}, out));
  return probe.seen;
}

TEST(Attempt, TheDeadlineIsTheEarlierOfTheTimeoutFromTheLastAnswerAndTheRunsEnd) {
  const auto answered = clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(deadline_seen(AttemptLimits{}, answered), clock::time_point::max());
  EXPECT_EQ(deadline_seen(AttemptLimits{5, std::nullopt}, answered), answered + std::chrono::seconds(5));
  const auto soon = deadline_seen(AttemptLimits{5, epoch_now() + 2}, answered);
  EXPECT_GT(soon, clock::now() + std::chrono::milliseconds(1500));
  EXPECT_LT(soon, clock::now() + std::chrono::milliseconds(2100));
  const auto late = deadline_seen(AttemptLimits{0, epoch_now() + 3600}, answered);  // no timeout: the end alone
  EXPECT_GT(late, clock::now() + std::chrono::seconds(3590));
  EXPECT_EQ(deadline_seen(AttemptLimits{1e30, std::nullopt}, answered), clock::time_point::max());  // out of range: none
}

}  // namespace
}  // namespace taskfarm
