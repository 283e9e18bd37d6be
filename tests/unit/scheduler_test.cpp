#include <gtest/gtest.h>

#include "master/scheduler.hpp"

namespace taskfarm {
namespace {

ReplySummary reply(std::uint32_t batches, std::uint64_t done, double busy_s) {
  ReplySummary r;
  r.batches = batches;
  r.done = done;
  r.busy_s = busy_s;
  return r;
}

TEST(Scheduler, HandsOutWindowCreditsRoundRobin) {
  Scheduler s(3, 2, BatchPolicy{});
  std::vector<int> order;
  while (auto w = s.next_ready_worker()) {
    order.push_back(*w);
    s.on_sent(*w, 1);
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(s.tasks_in_flight(), 6u);
  EXPECT_FALSE(s.idle());
}

TEST(Scheduler, ReplyReturnsCreditsToThatWorker) {
  Scheduler s(2, 1, BatchPolicy{});
  s.on_sent(0, 10);
  s.on_sent(1, 5);
  EXPECT_FALSE(s.next_ready_worker());
  s.on_reply(1, reply(1, 5, 0.01));
  ASSERT_TRUE(s.next_ready_worker());
  EXPECT_EQ(*s.next_ready_worker(), 1);
  EXPECT_EQ(s.tasks_in_flight(), 10u);
  EXPECT_EQ(s.load(1).tasks_done, 5u);
  EXPECT_EQ(s.load(1).tasks_in_flight, 0u);
  s.on_reply(0, ReplySummary{1, 7, 3, 0.02, 0.01});
  EXPECT_TRUE(s.idle());
  EXPECT_EQ(s.load(0).tasks_failed, 3u);
  EXPECT_DOUBLE_EQ(s.load(0).max_task_s, 0.01);
}

TEST(Scheduler, HoldsAboutFourMillisecondsOfWorkPerWorker) {
  BatchPolicy one_task;
  one_task.fixed = 1;
  Scheduler s(2, 64, one_task);
  EXPECT_EQ(s.batch_limit(0), 2u);  // nothing measured yet
  s.on_sent(0, 1);
  s.on_reply(0, reply(1, 1, 1e-6));  // 1 us batches: the whole window
  EXPECT_EQ(s.batch_limit(0), 64u);
  Scheduler slow(2, 64, one_task);
  slow.on_sent(0, 1);
  slow.on_reply(0, reply(1, 1, 1e-3));  // 1 ms batches: 4 of them
  EXPECT_EQ(slow.batch_limit(0), 4u);
  Scheduler long_tasks(2, 64, one_task);
  long_tasks.on_sent(0, 1);
  long_tasks.on_reply(0, reply(1, 1, 2.0));  // never fewer than two
  EXPECT_EQ(long_tasks.batch_limit(0), 2u);
}

TEST(Scheduler, LimitFollowsTheBatchesAboutToBeSentNotThePastOnes) {
  BatchPolicy p;  // auto: about 1 ms per batch, at most 16384 tasks
  Scheduler s(2, 1024, p);
  s.on_sent(0, 1);
  s.on_reply(0, reply(1, 1, 1e-6));  // first batches hold one 1 us task...
  EXPECT_EQ(s.next_batch_size(std::nullopt), 1000u);  // ...the next ones a thousand
  EXPECT_EQ(s.batch_limit(0), 4u);  // so 4 of them, not 1024
  Scheduler trivial(2, 1024, p);
  trivial.on_sent(0, 1);
  trivial.on_reply(0, reply(1, 1, 1e-8));  // capped batches of 16384 x 10 ns = 0.16 ms
  EXPECT_EQ(trivial.batch_limit(0), 25u);
}

TEST(Scheduler, AWorkerOnASlowPathHoldsThreeTimesItsDelay) {
  BatchPolicy p;
  p.fixed = 1000;
  Scheduler s(2, 1024, p);
  s.on_sent(0, 1000);
  s.on_sent(1, 1000);
  s.on_reply(0, reply(1, 1000, 1e-3));  // 1 ms batches: 4 ms of work is 4 batches
  s.on_reply(1, reply(1, 1000, 1e-3));
  EXPECT_EQ(s.batch_limit(0), 4u);
  // Worker 0's batches come back 10 ms after their send, 4 ms of which on the worker:
  // a 6 ms path, then a quicker one. The largest counts.
  s.on_round_trip(0, 6e-3, 0.5);
  s.on_round_trip(0, 1e-3, 0.6);
  EXPECT_DOUBLE_EQ(s.load(0).round_trip_s.value(), 6e-3);
  EXPECT_EQ(s.batch_limit(0), 18u);  // 3 x 6 ms of 1 ms batches
  EXPECT_EQ(s.batch_limit(1), 4u);   // the other worker's path is fast
  // The master's turnaround, from the reply to the next send, counts as path delay too.
  s.on_sent(0, 1000, 0.601);
  EXPECT_DOUBLE_EQ(s.load(0).turnaround_s.value(), 1e-3);
  EXPECT_EQ(s.batch_limit(0), 21u);
  s.on_sent(0, 1000, 0.9);  // no reply since: not a turnaround
  EXPECT_DOUBLE_EQ(s.load(0).turnaround_s.value(), 1e-3);
  // A spike is forgotten after a window or two of quicker replies.
  s.on_round_trip(0, 2e-3, 1.5);
  EXPECT_DOUBLE_EQ(s.load(0).round_trip_s.value(), 6e-3);
  s.on_round_trip(0, 2e-3, 2.6);
  EXPECT_DOUBLE_EQ(s.load(0).round_trip_s.value(), 2e-3);
  // However slow the path, a worker holds at most max_prefetch_s of work.
  s.on_round_trip(0, 10.0, 2.7);
  EXPECT_DOUBLE_EQ(s.prefetch_s(0), p.max_prefetch_s);
  EXPECT_EQ(s.batch_limit(0), 1000u);
}

TEST(Scheduler, AWorkerAtItsLimitGetsNothingMore) {
  Scheduler s(1, 64, BatchPolicy{});
  s.on_sent(0, 1);
  s.on_sent(0, 1);
  EXPECT_FALSE(s.next_ready_worker());  // two batches held, limit 2
  s.on_reply(0, reply(1, 1, 0.5));
  ASSERT_TRUE(s.next_ready_worker());
  EXPECT_EQ(*s.next_ready_worker(), 0);
}

TEST(Scheduler, AWorkerHoldingATaskAloneGetsNothingUntilItReplies) {
  Scheduler s(2, 64, BatchPolicy{});
  s.on_sent(0, 1);
  s.hold_alone(0);
  ASSERT_TRUE(s.next_ready_worker());
  EXPECT_EQ(*s.next_ready_worker(), 1);  // worker 0 is passed over
  s.on_sent(1, 1);
  EXPECT_EQ(*s.next_ready_worker(), 1);
  s.on_reply(0, reply(1, 1, 0.5));
  s.on_sent(1, 1);  // worker 1 is at its limit; worker 0 is free again
  ASSERT_TRUE(s.next_ready_worker());
  EXPECT_EQ(*s.next_ready_worker(), 0);
}

TEST(Scheduler, FixedBatchIsExact) {
  BatchPolicy p;
  p.fixed = 64;
  Scheduler s(4, 2, p);
  EXPECT_EQ(s.next_batch_size(std::nullopt), 64u);
  EXPECT_EQ(s.next_batch_size(3), 64u);  // the feeder stops at the end of the source
}

TEST(Scheduler, AutoBatchStartsAtOneThenFollowsTaskTime) {
  BatchPolicy p;
  p.target_batch_s = 1e-3;
  p.max_batch = 4096;
  Scheduler s(2, 1, p);
  EXPECT_EQ(s.next_batch_size(std::nullopt), 1u);  // nothing measured yet
  s.on_sent(0, 1);
  s.on_reply(0, reply(1, 1, 1e-5));  // 10 us tasks -> 100 per ms
  EXPECT_EQ(s.next_batch_size(std::nullopt), 100u);
  Scheduler slow(2, 1, p);
  slow.on_sent(0, 1);
  slow.on_reply(0, reply(1, 1, 0.5));  // long tasks go one at a time
  EXPECT_EQ(slow.next_batch_size(std::nullopt), 1u);
  Scheduler trivial(2, 1, p);
  trivial.on_sent(0, 1000);
  trivial.on_reply(0, reply(1, 1000, 1e-6));  // 1 ns tasks: capped
  EXPECT_EQ(trivial.next_batch_size(std::nullopt), 4096u);
}

TEST(Scheduler, AutoBatchShrinksNearTheEnd) {
  BatchPolicy p;
  p.max_batch = 4096;
  Scheduler s(4, 1, p);
  s.on_sent(0, 1000);
  s.on_reply(0, reply(1, 1000, 1e-6));
  EXPECT_EQ(s.next_batch_size(1000000), 4096u);
  EXPECT_EQ(s.next_batch_size(800), 100u);  // remaining / (2 * workers)
  EXPECT_EQ(s.next_batch_size(3), 1u);
  EXPECT_EQ(s.next_batch_size(0), 1u);
}

}  // namespace
}  // namespace taskfarm
