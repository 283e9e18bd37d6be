// Tasks on groups of ranks without MPI: how the groups form, and a group's batch run
// through a scripted link (the other ranks' failures, the leader's messages).

#include <gtest/gtest.h>

#include <deque>

#include "core/groups.hpp"
#include "core/messages.hpp"
#include "worker/group_runner.hpp"

namespace taskfarm {
namespace {

// The leader's messages to its group: their first byte is a Tag.
const std::string group_batch(1, static_cast<char>(Tag::group_batch));
const std::string group_end(1, static_cast<char>(Tag::group_end));

using Groups = std::vector<std::vector<int>>;

TEST(PlanGroups, OneNodeMakesConsecutiveGroupsAndIdlesTheRest) {
  const GroupLayout five = plan_groups({0, 0, 0, 0, 0}, 2);
  EXPECT_EQ(five.groups, (Groups{{1, 2}, {3, 4}}));
  EXPECT_TRUE(five.idle.empty());
  const GroupLayout four = plan_groups({0, 0, 0, 0}, 2);
  EXPECT_EQ(four.groups, (Groups{{1, 2}}));
  EXPECT_EQ(four.idle, (std::vector<int>{3}));
  EXPECT_EQ(plan_groups({0, 0, 0, 0, 0, 0, 0, 0, 0}, 4).groups, (Groups{{1, 2, 3, 4}, {5, 6, 7, 8}}));
  EXPECT_EQ(four.group_of(2), 0);
  EXPECT_EQ(four.group_of(0), -1);
  EXPECT_EQ(four.group_of(3), -1);
  EXPECT_TRUE(four.leads(1));
  EXPECT_FALSE(four.leads(2));
}

TEST(PlanGroups, GroupsStayWithinANodeAndOnlyLeftoversCrossNodes) {
  // Ranks 0-3 on one node (workers 1, 2, 3), ranks 4-6 on another.
  const GroupLayout layout = plan_groups({0, 0, 0, 0, 4, 4, 4}, 2);
  EXPECT_EQ(layout.groups, (Groups{{1, 2}, {3, 6}, {4, 5}}));
  EXPECT_TRUE(layout.idle.empty());
  // Nodes interleaved by rank (a round-robin placement): still grouped by node.
  EXPECT_EQ(plan_groups({0, 1, 0, 1, 0, 1, 0}, 3).groups, (Groups{{1, 3, 5}, {2, 4, 6}}));
  // Too few on each node for a whole group: one group across them, in node order.
  const GroupLayout spread = plan_groups({0, 0, 2, 3, 4}, 3);
  EXPECT_EQ(spread.groups, (Groups{{1, 2, 3}}));
  EXPECT_EQ(spread.idle, (std::vector<int>{4}));
  EXPECT_EQ(spread.describe(), "1,2,3");
}

/// Writes "id\n" for each task; throws for the IDs in `throws`.
class IdKernel final : public Kernel {
 public:
  std::vector<std::uint64_t> throws;
  void run(TaskContext& task) override {
    std::string& out = *task.out;
    if (std::find(throws.begin(), throws.end(), task.id) != throws.end()) throw std::runtime_error("own failure");
    out += std::to_string(task.id) + "\n";
  }
};

/// The leader's view of a group whose other ranks fail the tasks in `others`.
class ScriptedLink final : public GroupLink {
 public:
  std::vector<GroupFailure> others;
  std::vector<std::string> shared;
  std::deque<std::string> to_receive;
  std::vector<std::vector<GroupFailure>> agreed;  // what this rank brought to each agreement
  const RankGroup& rank_group() const override { return place_; }
  RankGroup place_;
  void share(std::string_view message) override { shared.emplace_back(message); }
  void receive(std::string& message) override {
    message = to_receive.front();
    to_receive.pop_front();
  }
  std::vector<GroupFailure> agree(const std::vector<GroupFailure>& mine) override {
    agreed.push_back(mine);
    std::vector<GroupFailure> all = mine;
    all.insert(all.end(), others.begin(), others.end());
    return all;
  }
};

std::string batch_of(std::uint64_t first, std::uint64_t count) {
  std::string tasks;
  TaskBatchWriter batch(tasks);
  for (std::uint64_t id = first; id < first + count; ++id) batch.add(id, "");
  return tasks;
}

std::vector<ResultView> results_of(const std::string& reply) {
  std::vector<ResultView> results;
  ResultBatchReader reader(reply);
  for (ResultView r{}; reader.next(r);) results.push_back(r);
  return results;
}

TEST(GroupBatchRunner, ATaskThatFailedOnAnyRankFailsWithThatRanksMessageAndItsOutputIsDropped) {
  IdKernel kernel;
  kernel.throws = {11};
  ScriptedLink link;
  link.others = {GroupFailure{3, "thrown on group rank 1"}};
  std::string part;  // the leader's part file buffer
  GroupBatchRunner runner(kernel, link, &part);
  const std::string tasks = batch_of(10, 5);
  std::string buf;
  ResultBatchWriter reply(buf);
  runner.run(tasks, reply, std::chrono::steady_clock::now());
  EXPECT_EQ(part, "10\n12\n14\n");
  ASSERT_EQ(link.shared.size(), 1u);
  EXPECT_EQ(link.shared[0], group_batch + tasks);  // the batch, once, before it runs
  ASSERT_EQ(link.agreed.size(), 1u);       // one agreement for the batch
  ASSERT_EQ(link.agreed[0].size(), 1u);
  EXPECT_EQ(link.agreed[0][0].index, 1u);
  const auto results = results_of(buf);
  ASSERT_EQ(results.size(), 5u);
  std::vector<std::string> failures;
  for (const ResultView& r : results)
    if (r.status == TaskStatus::failed) failures.push_back(std::to_string(r.id) + ": " + std::string(r.data));
  EXPECT_EQ(failures, (std::vector<std::string>{"11: own failure", "13: thrown on group rank 1"}));
  EXPECT_EQ(ResultBatchReader(buf).header().batches_completed, 1u);
  stop_group(link);
  EXPECT_EQ(link.shared.back(), group_end);
}

TEST(GroupFailures, TwoRanksBytesOneAfterTheOtherGiveEveryFailureWithItsStatus) {
  std::string all;
  put_group_failures(all, {GroupFailure{3, "thrown", TaskStatus::failed}});
  put_group_failures(all, {});  // a rank that failed nothing
  put_group_failures(all, {GroupFailure{0, "", TaskStatus::failed_for_good}, GroupFailure{7, "gone"}});
  const std::vector<GroupFailure> every = get_group_failures(all);
  ASSERT_EQ(every.size(), 3u);
  EXPECT_EQ(every[0].index, 3u);
  EXPECT_EQ(every[0].message, "thrown");
  EXPECT_EQ(every[0].status, TaskStatus::failed);
  EXPECT_EQ(every[1].index, 0u);
  EXPECT_EQ(every[1].message, "");
  EXPECT_EQ(every[1].status, TaskStatus::failed_for_good);
  EXPECT_EQ(every[2].index, 7u);
  EXPECT_EQ(every[2].message, "gone");
  EXPECT_THROW(get_group_failures(std::string_view(all).substr(0, all.size() - 1)), WireError);
}

TEST(GroupBatchRunner, WithoutAPartFileTheOutputTravelsInTheReply) {
  IdKernel kernel;
  ScriptedLink link;
  link.others = {GroupFailure{0, "no"}};
  GroupBatchRunner runner(kernel, link, nullptr);
  std::string buf;
  ResultBatchWriter reply(buf);
  runner.run(batch_of(0, 3), reply, std::chrono::steady_clock::now());
  std::string data;
  for (const ResultView& r : results_of(buf))
    if (r.status == TaskStatus::ok) data += r.data;
  EXPECT_EQ(data, "1\n2\n");
}

TEST(FollowGroup, RunsEachBatchItIsGivenAndAgreesOnItsOwnFailuresUntilTheStop) {
  IdKernel kernel;
  kernel.throws = {4};
  ScriptedLink link;
  link.to_receive = {group_batch + batch_of(0, 3), group_batch + batch_of(3, 3), group_end};
  follow_group(kernel, link);
  ASSERT_EQ(link.agreed.size(), 2u);
  EXPECT_TRUE(link.agreed[0].empty());
  ASSERT_EQ(link.agreed[1].size(), 1u);
  EXPECT_EQ(link.agreed[1][0].index, 1u);  // task 4, second of its batch
  EXPECT_EQ(link.agreed[1][0].message, "own failure");
  EXPECT_TRUE(link.to_receive.empty());
}

}  // namespace
}  // namespace taskfarm
