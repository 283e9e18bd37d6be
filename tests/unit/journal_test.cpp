#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "resume/journal.hpp"

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

TEST(IdRanges, MergesOverlappingAndAdjacentRanges) {
  IdRanges r;
  r.add(10, 20);
  r.add(30, 40);
  r.add(20, 25);  // adjacent to the first
  r.add(5, 12);   // overlaps it
  r.add(24, 31);  // bridges the gap
  EXPECT_EQ(r.ranges().size(), 1u);
  EXPECT_EQ(r.count(), 35u);  // [5, 40)
  EXPECT_TRUE(r.contains(5));
  EXPECT_TRUE(r.contains(39));
  EXPECT_FALSE(r.contains(40));
  EXPECT_FALSE(r.contains(4));
  r.add(50, 50);  // empty
  EXPECT_EQ(r.count(), 35u);
}

class JournalFile : public ::testing::Test {
 protected:
  void SetUp() override { path_ = ::testing::TempDir() + "taskfarm_journal_" + std::to_string(::getpid()); }
  void TearDown() override { fs::remove(path_); }
  std::string bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_bytes(const std::string& b) const { std::ofstream(path_, std::ios::binary | std::ios::trunc) << b; }
  std::string path_;
};

TEST_F(JournalFile, RoundTripsRunsTasksAndPartLengths) {
  {
    JournalWriter w(path_, "square {\"seed\":1}", 0, true);
    w.record(1, 100, {{0, 3}, {7, 1}});
    w.record(2, 40, {{3, 1}});
    w.record(1, 180, {{8, 2}});
  }
  {
    JournalWriter w(path_, "ignored: the identity is written once", 1, false);
    w.record(1, 25, {{4, 3}});
  }
  const auto state = read_journal(path_);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->identity, "square {\"seed\":1}");
  EXPECT_EQ(state->runs, 2u);
  EXPECT_EQ(state->done.count(), 10u);
  EXPECT_EQ(state->done.ranges().size(), 1u);
  EXPECT_EQ((state->part_bytes.at(PartKey{0, 1})), 180u);
  EXPECT_EQ((state->part_bytes.at(PartKey{0, 2})), 40u);
  EXPECT_EQ((state->part_bytes.at(PartKey{1, 1})), 25u);
}

TEST_F(JournalFile, MissingIsNoJournal) { EXPECT_FALSE(read_journal(path_)); }

TEST_F(JournalFile, ATornLastRecordIsDropped) {
  {
    JournalWriter w(path_, "job", 0, true);
    w.record(1, 10, {{0, 1}});
    w.record(1, 20, {{1, 1}});
  }
  const std::string whole = bytes();
  for (std::size_t cut = 1; cut < 30; ++cut) {
    write_bytes(whole.substr(0, whole.size() - cut));
    const auto state = read_journal(path_);
    ASSERT_TRUE(state) << cut;
    EXPECT_EQ(state->done.count(), 1u) << cut;  // the first record survives, the torn one is dropped
    EXPECT_EQ((state->part_bytes.at(PartKey{0, 1})), 10u);
  }
}

TEST_F(JournalFile, DamageBeforeTheLastRecordIsAnError) {
  {
    JournalWriter w(path_, "job", 0, true);
    w.record(1, 10, {{0, 1}});
    w.record(1, 20, {{1, 1}});
  }
  std::string b = bytes();
  b[b.size() / 2] ^= 0x5a;
  write_bytes(b);
  EXPECT_THROW(read_journal(path_), JournalError);
  write_bytes("this is not a journal at all, but it is long enough to look like one");
  EXPECT_THROW(read_journal(path_), JournalError);
}

TEST_F(JournalFile, EndingInsideTheFirstRecordMeansNothingWasJournaled) {
  { JournalWriter w(path_, "job", 0, true); }
  const std::string whole = bytes();
  // A kill between the file's creation and its first write, or during that write.
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{13}, std::size_t{15}}) {
    write_bytes(whole.substr(0, cut));
    EXPECT_FALSE(read_journal(path_).has_value()) << cut << " bytes";
  }
  // Not the start of a journal at all: still an error.
  write_bytes(std::string(13, 'x') + "rest");
  EXPECT_THROW(read_journal(path_), JournalError);
}

TEST_F(JournalFile, RecordsWhatEachRankHeldWhenTheRunStopped) {
  {
    JournalWriter w(path_, "sleep {}", 0, true);
    w.record(1, 0, {{0, 4}});
    w.record_in_flight({{1, {4, 3}}, {2, {7, 1}}, {1, {9, 1}}});
  }
  {
    JournalWriter w(path_, "sleep {}", 1, false);
    w.record_in_flight({{2, {8, 1}}});
  }
  const auto state = read_journal(path_);
  ASSERT_TRUE(state);
  ASSERT_EQ(state->in_flight.size(), 2u);
  EXPECT_EQ(state->in_flight.at(0).at(1).count(), 4u);  // 4, 5, 6 and 9
  EXPECT_TRUE(state->in_flight.at(0).at(1).contains(9));
  EXPECT_EQ(state->in_flight.at(0).at(2).count(), 1u);
  EXPECT_TRUE(state->in_flight.at(1).at(2).contains(8));
  EXPECT_EQ(state->done.count(), 4u);  // in flight is not done
}

/// A journal state in which each run's ranks held the given tasks when it stopped.
JournalState crashed_runs(const std::vector<std::map<std::int32_t, std::vector<std::uint64_t>>>& runs) {
  JournalState state;
  for (std::uint32_t run = 0; run < runs.size(); ++run)
    for (const auto& [rank, ids] : runs[run])
      for (const std::uint64_t id : ids) state.in_flight[run][rank].add(id, id + 1);
  return state;
}

TEST(CrashHistory, OnlyTheRanksThatGotNoStopSignalDied) {
  // Run 0: rank 1 died holding 10 and 11; rank 2 got mpirun's SIGTERM holding 20.
  const JournalState state = crashed_runs({{{1, {10, 11}}, {2, {20}}}});
  const auto history = crash_history(state, 2, [](std::uint32_t, std::int32_t rank) { return rank == 2; });
  EXPECT_EQ(history.suspects.count(), 2u);
  EXPECT_TRUE(history.suspects.contains(10));
  EXPECT_FALSE(history.suspects.contains(20));
  EXPECT_TRUE(history.poisoned.empty());
  // A stop by the user (every rank signalled) suspects nothing.
  EXPECT_EQ(crash_history(state, 2, [](std::uint32_t, std::int32_t) { return true; }).suspects.count(), 0u);
}

TEST(CrashHistory, ATaskAloneOnADeadRankInMoreRunsThanRetriesIsPoison) {
  auto stopped = [](std::uint32_t, std::int32_t rank) { return rank != 1; };  // rank 1 died
  // Run 0: task 5 died among others; run 1: alone on its rank (run in isolation), while
  // task 6 ran alone on rank 2, which survived.
  JournalState state = crashed_runs({{{1, {4, 5, 6}}}, {{1, {5}}, {2, {6}}}});
  auto history = crash_history(state, 2, stopped);
  EXPECT_TRUE(history.poisoned.empty());  // 2 deaths, --retries 2
  history = crash_history(state, 1, stopped);
  ASSERT_EQ(history.poisoned.size(), 1u);
  EXPECT_EQ(history.poisoned.at(5), 2u);
  // Never alone on a dead rank: not poison, however often (its batch-mates may be).
  state = crashed_runs({{{1, {4, 5}}}, {{1, {4, 5}}}, {{1, {4, 5}}}});
  EXPECT_TRUE(crash_history(state, 0, stopped).poisoned.empty());
  // Done since: not poison.
  state = crashed_runs({{{1, {5}}}, {{1, {5}}}});
  state.done.add(5, 6);
  EXPECT_TRUE(crash_history(state, 0, stopped).poisoned.empty());
}

}  // namespace
}  // namespace taskfarm
