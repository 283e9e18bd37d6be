#include <gtest/gtest.h>

#include "taskfarm/wire.hpp"

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

TEST(ResultBatch, RoundTripsRecordsAndHeader) {
  std::string buf;
  ResultBatchWriter writer(buf);
  EXPECT_TRUE(writer.empty());
  writer.begin(3);
  writer.out() += "3 * 3 = 9\n";
  writer.end(TaskStatus::ok, 0.5);
  writer.begin(4);
  writer.out() += "half-written";
  writer.discard_data();
  writer.out() += "boom";
  writer.end(TaskStatus::failed, 0.25);
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

}  // namespace
}  // namespace taskfarm
