#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/result_wire.hpp"
#include "master/pipeline.hpp"
#include "resume/frontier.hpp"
#include "resume/journal.hpp"

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

/// `tasks` as a reply's submissions: each after its u32 length.
std::string encoded(const std::vector<std::string>& tasks) {
  std::string bytes;
  for (const auto& t : tasks) {
    wire::put(bytes, static_cast<std::uint32_t>(t.size()));
    bytes += t;
  }
  return bytes;
}

/// Every pending task, as handed out: (ID, payload).
std::vector<std::pair<std::uint64_t, std::string>> drain(Frontier& frontier) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  std::uint64_t id = 0;
  std::string_view payload;
  while (frontier.next(id, payload)) out.emplace_back(id, std::string(payload));
  return out;
}

TEST(Frontier, HandsOutTheNewestRepliesFirstWithIdsInSubmissionOrder) {
  Frontier frontier(std::nullopt);
  frontier.add(2, encoded({"a", "bb"}));
  frontier.add(1, encoded({"ccc"}));
  EXPECT_EQ(frontier.pending(), 3u);
  EXPECT_EQ(frontier.submitted(), 3u);
  std::uint64_t id = 0;
  std::string_view payload;
  ASSERT_TRUE(frontier.next(id, payload));
  EXPECT_EQ(id, Frontier::first_id + 2);
  EXPECT_EQ(payload, "ccc");
  frontier.add(1, encoded({"d"}));  // submitted by "ccc": goes out before "a" and "bb"
  const auto rest = drain(frontier);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0], std::make_pair(Frontier::first_id + 3, std::string("d")));
  EXPECT_EQ(rest[1], std::make_pair(Frontier::first_id, std::string("a")));
  EXPECT_EQ(rest[2], std::make_pair(Frontier::first_id + 1, std::string("bb")));
  EXPECT_TRUE(frontier.empty());
}

TEST(Frontier, RejectsSubmissionsThatDoNotHoldTheirCount) {
  Frontier frontier(std::nullopt);
  EXPECT_THROW(frontier.add(3, encoded({"a", "b"})), WireError);
  std::string cut = encoded({"abc"});
  cut.pop_back();
  EXPECT_THROW(frontier.add(1, cut), WireError);
}

TEST(Frontier, SpillsWhatMemoryCannotHoldAndReadsItBackExactly) {
  Frontier frontier(std::nullopt, 4096);  // a few segments' worth
  std::vector<std::pair<std::uint64_t, std::string>> expected;
  for (int reply = 0; reply < 200; ++reply) {
    std::vector<std::string> tasks;
    for (int i = 0; i < 20; ++i) tasks.push_back("task-" + std::to_string(reply) + "-" + std::to_string(i));
    frontier.add(tasks.size(), encoded(tasks));
  }
  EXPECT_LE(frontier.cached_bytes(), 4096u + 1024u);
  const auto out = drain(frontier);
  ASSERT_EQ(out.size(), 4000u);
  // Newest reply first, each reply's tasks in order.
  for (int reply = 199, k = 0; reply >= 0; --reply)
    for (int i = 0; i < 20; ++i, ++k) {
      EXPECT_EQ(out[k].first, Frontier::first_id + static_cast<std::uint64_t>(reply) * 20 + i);
      EXPECT_EQ(out[k].second, "task-" + std::to_string(reply) + "-" + std::to_string(i));
    }
}

TEST(Frontier, StagedSubmissionsCountOnlyUpToTheReplysHead) {
  Frontier frontier(std::nullopt);
  const std::string first = encoded({"x1", "x2"});
  frontier.stage(4, SubmittedHead{0, 0}, first);
  // A failed attempt took "x2" back; "y" came after it.
  frontier.stage(4, SubmittedHead{1, 6}, encoded({"y"}));
  frontier.commit_staged(4, SubmittedHead{2, 6 + 5});
  frontier.add(1, encoded({"z"}));
  const auto out = drain(frontier);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].second, "z");
  EXPECT_EQ(out[1], std::make_pair(Frontier::first_id, std::string("x1")));
  EXPECT_EQ(out[2], std::make_pair(Frontier::first_id + 1, std::string("y")));
  // A dropped reply's staged tasks never count; a head beyond what was staged is an error.
  frontier.stage(5, SubmittedHead{0, 0}, encoded({"lost"}));
  frontier.drop_staged(5);
  frontier.commit_staged(5, SubmittedHead{});
  EXPECT_TRUE(frontier.empty());
  EXPECT_THROW(frontier.commit_staged(6, SubmittedHead{1, 5}), WireError);
}

TEST(Frontier, ResumeRebuildsThePendingTasksFromTheLog) {
  const std::string log = ::testing::TempDir() + "taskfarm_frontier_" + std::to_string(::getpid());
  SubmittedHead committed;
  {
    Frontier frontier(log);
    frontier.add(3, encoded({"a", "b", "c"}));
    frontier.add(2, encoded({"d", "e"}));
    frontier.flush();
    committed = SubmittedHead{frontier.submitted(), frontier.log_bytes()};
    frontier.add(1, encoded({"uncommitted"}));  // the kill came before its journal record
    frontier.flush();
  }
  IdRanges done;
  done.add(Frontier::first_id + 1, Frontier::first_id + 2);  // "b"
  done.add(Frontier::first_id + 3, Frontier::first_id + 4);  // "d"
  Frontier resumed(log);
  resumed.restore(committed.count, committed.bytes, done);
  EXPECT_EQ(resumed.pending(), 3u);
  EXPECT_EQ(resumed.done_before(), 2u);
  EXPECT_EQ(fs::file_size(log), committed.bytes);  // the uncommitted tail is cut off
  resumed.add(1, encoded({"f"}));  // takes the next ID
  const auto out = drain(resumed);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], std::make_pair(Frontier::first_id + 5, std::string("f")));
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < out.size(); ++i) rest.push_back(out[i].second);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, (std::vector<std::string>{"a", "c", "e"}));
  Frontier short_log(log);
  resumed.flush();  // "f" is in the log now, but nothing beyond it
  EXPECT_THROW(short_log.restore(committed.count + 2, committed.bytes + 100, IdRanges{}), std::runtime_error);
  fs::remove(log);
}

TEST(ResultBatch, CarriesSubmissionsAfterItsRuns) {
  std::string buf;
  ResultBatchWriter writer(buf);
  writer.add(7, TaskStatus::ok, 0.5, "out");
  writer.complete_batch();
  writer.add_submissions(SubmittedHead{2, 10}, 1, encoded({"q"}));
  ResultBatchReader reader(buf);
  const Submitted submitted = reader.submissions();
  EXPECT_EQ(submitted.head.count, 2u);
  EXPECT_EQ(submitted.head.bytes, 10u);
  EXPECT_EQ(submitted.count, 1u);
  EXPECT_EQ(submitted.encoded, encoded({"q"}));
  std::string none;
  ResultBatchWriter plain(none);
  plain.add(1, TaskStatus::ok, 0, "");
  EXPECT_EQ(ResultBatchReader(none).submissions().count, 0u);
}

}  // namespace
}  // namespace taskfarm
