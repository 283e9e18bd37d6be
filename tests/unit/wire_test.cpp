#include <gtest/gtest.h>

#include "core/result_wire.hpp"
#include "core/wire.hpp"

namespace taskfarm {
namespace {

TEST(TaskBatch, RoundTripsIdsAndPayloads) {
  std::string buf;
  TaskBatchWriter writer(buf);
  writer.add(7, "seven");
  writer.add(8, "");
  writer.add(1ULL << 40, std::string(100000, 'x'));
  EXPECT_EQ(writer.count(), 3u);

  TaskBatchReader reader(buf);
  EXPECT_EQ(reader.size(), 3u);
  TaskView t{};
  ASSERT_TRUE(reader.next(t));
  EXPECT_EQ(t.id, 7u);
  EXPECT_EQ(t.payload, "seven");
  ASSERT_TRUE(reader.next(t));
  EXPECT_EQ(t.id, 8u);
  EXPECT_EQ(t.payload, "");
  ASSERT_TRUE(reader.next(t));
  EXPECT_EQ(t.id, 1ULL << 40);
  EXPECT_EQ(t.payload.size(), 100000u);
  EXPECT_FALSE(reader.next(t));
}

TEST(TaskBatch, WriterReusesTheBufferFromEmpty) {
  std::string buf = "old contents";
  TaskBatchWriter writer(buf);
  TaskBatchReader reader(buf);
  EXPECT_EQ(reader.size(), 0u);
}

TEST(TaskBatch, TruncatedMessageThrows) {
  std::string buf;
  TaskBatchWriter writer(buf);
  writer.add(1, "payload");
  buf.resize(buf.size() - 2);
  TaskBatchReader reader(buf);
  TaskView t{};
  EXPECT_THROW(reader.next(t), WireError);
  EXPECT_THROW(TaskBatchReader(std::string_view("ab")), WireError);
}

TEST(TaskBatch, ConsecutiveIdsShareOneGroup) {
  std::string buf;
  TaskBatchWriter writer(buf);
  for (std::uint64_t id = 10; id < 14; ++id) writer.add(id, "p");
  writer.add(20, "retry", 2);
  writer.add(21, "q");
  ASSERT_EQ(writer.spans().size(), 3u);
  EXPECT_EQ(writer.spans()[0].first_id, 10u);
  EXPECT_EQ(writer.spans()[0].count, 4u);
  EXPECT_EQ(writer.spans()[1].attempt, 2u);
  EXPECT_EQ(writer.spans()[2].first_id, 21u);  // same ID order, another attempt: a new span
  // Payloads of one size carry no lengths: only the payloads and one header per span.
  EXPECT_EQ(buf.size(), 4 + 3 * sizeof(TaskSpan) + 4 + 5 + 1);

  TaskBatchReader reader(buf);
  TaskView t{};
  std::vector<std::uint64_t> ids;
  std::vector<std::uint32_t> attempts;
  while (reader.next(t)) {
    ids.push_back(t.id);
    attempts.push_back(t.attempt);
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{10, 11, 12, 13, 20, 21}));
  EXPECT_EQ(attempts, (std::vector<std::uint32_t>{0, 0, 0, 0, 2, 0}));
}

TEST(TaskBatch, APayloadOfAnotherSizeGivesTheGroupLengths) {
  std::string buf;
  TaskBatchWriter writer(buf);
  writer.add(0, "aa");
  writer.add(1, "bb");
  writer.add(2, "ccc");  // the span's earlier tasks get their lengths too
  writer.add(3, "");
  ASSERT_EQ(writer.spans().size(), 1u);
  EXPECT_EQ(writer.spans()[0].payload_bytes, TaskSpan::variable);
  EXPECT_EQ(buf.size(), 4 + sizeof(TaskSpan) + 4 * 4 + 2 + 2 + 3);
  TaskBatchReader reader(buf);
  TaskView t{};
  std::vector<std::string> payloads;
  while (reader.next(t)) payloads.emplace_back(t.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"aa", "bb", "ccc", ""}));
}

TEST(TaskBatch, OneMessageCarriesSeveralFramedBatches) {
  std::string message;
  TaskBatchWriter writer;
  writer.start_framed(message);
  writer.add(0, "a");
  writer.add(1, "b");
  EXPECT_EQ(writer.batch().size(), writer.bytes());
  const std::string first(writer.batch());
  writer.start_framed(message);  // nothing added: discarded, as the master does
  writer.discard();
  writer.start_framed(message);
  writer.add(9, "ccc", 1);
  const std::string second(writer.batch());

  std::string_view rest = message;
  std::vector<std::string> batches;
  while (const auto batch = next_framed_batch(rest)) batches.emplace_back(*batch);
  ASSERT_EQ(batches, (std::vector<std::string>{first, second}));
  TaskBatchReader reader(batches[1]);
  TaskView t{};
  ASSERT_TRUE(reader.next(t));
  EXPECT_EQ(t.id, 9u);
  EXPECT_EQ(t.attempt, 1u);
  EXPECT_EQ(t.payload, "ccc");
  EXPECT_FALSE(reader.next(t));
  // A batch longer than what is left of the message is malformed.
  std::string_view cut = std::string_view(message).substr(0, message.size() - 1);
  next_framed_batch(cut);
  EXPECT_THROW(next_framed_batch(cut), WireError);
}

TEST(TaskBatch, GroupOfNoTasksIsMalformed) {
  std::string buf;
  wire::put<std::uint32_t>(buf, 1);
  wire::put(buf, TaskSpan{5, 0, 0, 8, 0});  // would never end
  TaskBatchReader reader(buf);
  TaskView t{};
  EXPECT_THROW(reader.next(t), WireError);
}

TEST(ResultBatch, RoundTripsRunsAndHeader) {
  std::string buf;
  ResultBatchWriter writer(buf);
  EXPECT_TRUE(writer.empty());
  writer.open_run(3, TaskStatus::ok, true);
  writer.begin_task();
  writer.out() += "3 * 3 = 9\n";
  writer.end_task();
  EXPECT_EQ(writer.run_next_id(), 4u);
  writer.close_run(0.5, 0.5);
  writer.add(4, TaskStatus::failed, 0.25, "boom");
  writer.complete_batch();
  writer.add(9, TaskStatus::ok, 1.0, "nine\n");
  writer.complete_batch();
  EXPECT_FALSE(writer.empty());
  EXPECT_EQ(writer.results(), 3u);

  ResultBatchReader reader(buf);
  EXPECT_EQ(reader.header().batches_completed, 2u);
  EXPECT_EQ(reader.header().results, 3u);
  EXPECT_DOUBLE_EQ(reader.header().busy_s, 1.75);
  ResultView r{};
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.id, 3u);
  EXPECT_EQ(r.status, TaskStatus::ok);
  EXPECT_EQ(r.data, "3 * 3 = 9\n");
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.id, 4u);
  EXPECT_EQ(r.status, TaskStatus::failed);
  EXPECT_EQ(r.data, "boom");
  EXPECT_DOUBLE_EQ(r.run_s, 0.25);
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.data, "nine\n");
  EXPECT_FALSE(reader.next(r));

  writer.reset();
  EXPECT_TRUE(writer.empty());
}

TEST(ResultBatch, RunWithoutDataCostsOneHeader) {
  std::string buf;
  ResultBatchWriter writer(buf);
  writer.open_run(100, TaskStatus::ok, false);
  for (int i = 0; i < 1000; ++i) {
    writer.begin_task();
    writer.end_task();
  }
  writer.close_run(2.0, 0.01);
  writer.open_run(1000, TaskStatus::ok, false);
  writer.close_run(1.0, 1.0);  // empty: leaves nothing
  EXPECT_EQ(buf.size(), sizeof(ResultBatchHeader) + sizeof(ResultRunHeader));

  ResultBatchReader reader(buf);
  ResultRun run{};
  ASSERT_TRUE(reader.next_run(run));
  EXPECT_EQ(run.header.first_id, 100u);
  EXPECT_EQ(run.header.count, 1000u);
  EXPECT_DOUBLE_EQ(run.task_s(), 0.002);
  EXPECT_DOUBLE_EQ(run.header.max_s, 0.01);
  EXPECT_FALSE(reader.next_run(run));

  ResultBatchReader tasks(buf);
  ResultView r{};
  std::uint64_t n = 0;
  while (tasks.next(r)) EXPECT_EQ(r.id, 100 + n++);
  EXPECT_EQ(n, 1000u);
}

TEST(ResultBatch, RunClaimingMoreResultsThanTheHeaderIsMalformed) {
  std::string buf;
  ResultBatchWriter writer(buf);
  writer.add(1, TaskStatus::ok, 0, "x");
  ResultBatchHeader header{};
  std::memcpy(&header, buf.data(), sizeof header);
  header.results = 5;  // runs that promise 5 results but hold 1
  std::memcpy(buf.data(), &header, sizeof header);
  ResultBatchReader reader(buf);
  ResultRun run{};
  EXPECT_TRUE(reader.next_run(run));
  EXPECT_THROW(reader.next_run(run), WireError);
}

/// The tasks of every batch of a Tag::tasks message, as "id/attempt/payload" lines.
std::vector<std::string> tasks_of(std::string_view message) {
  std::vector<std::string> tasks;
  while (const auto batch = next_framed_batch(message)) {
    TaskBatchReader reader(*batch);
    TaskView task{};
    while (reader.next(task))
      tasks.push_back(std::to_string(task.id) + "/" + std::to_string(task.attempt) + "/" + std::string(task.payload));
  }
  return tasks;
}

TEST(TaskBatch, ARunOfFixedPayloadsIsWhatAddingThemOneByOneMakes) {
  auto payload = [](std::uint64_t id) { return std::string(reinterpret_cast<const char*>(&id), sizeof id); };
  std::string one_by_one, in_runs, run;
  TaskBatchWriter a, b;
  a.start_framed(one_by_one);
  b.start_framed(in_runs);
  for (std::uint64_t id = 4; id < 40; ++id) {
    a.add(id, payload(id));
    run += payload(id);
  }
  b.add_run(4, 36, 8, run.data());
  run.clear();
  for (std::uint64_t id = 40; id < 50; ++id) {  // continues the same span
    a.add(id, payload(id));
    run += payload(id);
  }
  b.add_run(40, 10, 8, run.data());
  a.add(60, payload(60));  // a gap: a new span
  b.add_run(60, 1, 8, payload(60).data());
  EXPECT_EQ(one_by_one, in_runs);  // byte for byte
  EXPECT_EQ(b.count(), 47u);
  EXPECT_EQ(b.spans().size(), 2u);
  // After a task of another size (one by one: a span of lengths; in runs: a span of its
  // own), the same tasks.
  a.add(61, "xy");
  b.add(61, "xy");
  a.add(62, payload(62));
  b.add_run(62, 1, 8, payload(62).data());
  EXPECT_EQ(tasks_of(one_by_one), tasks_of(in_runs));
  EXPECT_EQ(tasks_of(in_runs).size(), 49u);
}

}  // namespace
}  // namespace taskfarm
