// The master's parts, each driven through the in-process transport: dispatch, collection,
// the stop policy and shutdown.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "api/local_transport.hpp"
#include "master/master.hpp"
#include "master/collect.hpp"
#include "master/dispatch.hpp"
#include "master/shutdown.hpp"
#include "master/stop_policy.hpp"
#include "resume/output_dir.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

/// The parts of one master as run_master wires them, on a one-rank transport.
struct Parts {
  explicit Parts(std::vector<std::string> args)
      : cl(testing::parse_one_rank(args)),
        transport(cl.job, cl.config, 0),
        watch(cl.config, clock::now()),
        scheduler(1, 2, cl.config.batch),
        feeder(cl.job.source->open(), *cl.job.source, false),
        results(sink, scheduler, cl.job.results),
        failures(feeder, *cl.job.source, cl.config.retries, false),
        silence(1, cl.config.task_timeout_s),
        walltime(cl.config.end_epoch_s, cl.config.min_time_left_s),
        dispatcher(transport, scheduler, feeder, silence, watch),
        collector(transport, scheduler, dispatcher, results, failures, nullptr, sink, watch, silence),
        policy(cl.config, transport, scheduler, feeder, dispatcher, results, collector, nullptr, walltime, silence) {}

  /// Passes of the loop until the policy stops it (at most `passes`).
  std::optional<Stop> run(int passes = 100000) {
    for (int i = 0; i < passes; ++i) {
      dispatcher.dispatch();
      collector.collect();
      if (auto stop = policy.check(true)) return stop;
    }
    return std::nullopt;
  }

  CommandLine cl;
  StringSink sink;
  LocalTransport transport;
  Watch watch;
  Scheduler scheduler;
  TaskFeeder feeder;
  ResultCollector results;
  FailureHandler failures;
  Silence silence;
  WalltimeGuard walltime;
  Dispatcher dispatcher;
  Collector collector;
  StopPolicy policy;
};

TEST(Dispatcher, GivesTheWorkerBatchesUpToItsWindowAndKeepsThem) {
  Parts parts({"--batch", "10", "square", "--tasks", "100"});
  EXPECT_TRUE(parts.dispatcher.dispatch());
  EXPECT_EQ(parts.dispatcher.held(0).size(), 2u);  // the window
  EXPECT_EQ(parts.scheduler.tasks_in_flight(), 20u);
  EXPECT_FALSE(parts.dispatcher.dispatch());  // no room until a reply
  EXPECT_EQ(parts.dispatcher.in_flight().size(), 1u);  // one run of IDs, 0..19
}

TEST(Dispatcher, AHandedBackWorkerHoldsNothingAndItsTasksGoOutAgain) {
  Parts parts({"--batch", "10", "square", "--tasks", "20"});
  parts.dispatcher.dispatch();
  EXPECT_EQ(parts.feeder.undispatched(), 0u);
  parts.scheduler.retire(0);
  parts.dispatcher.hand_back(0);
  EXPECT_TRUE(parts.dispatcher.held(0).empty());
  EXPECT_FALSE(parts.feeder.exhausted());  // the 20 tasks wait for another worker
  EXPECT_EQ(parts.feeder.dropped_retries(), 0u);
}

TEST(Collector, BooksEveryReplyAndFreesWhatTheWorkerHeld) {
  Parts parts({"--batch", "10", "square", "--tasks", "20", "--seed", "3"});
  parts.dispatcher.dispatch();
  while (!parts.dispatcher.held(0).empty()) ASSERT_TRUE(parts.collector.collect());
  EXPECT_EQ(parts.results.done(), 20u);
  EXPECT_TRUE(parts.scheduler.idle());
  EXPECT_EQ(testing::sorted_lines(parts.sink.text), testing::expected_square_lines(20, 3));
  EXPECT_FALSE(parts.collector.error());
}

/// An output directory whose part file for rank 0, run 0 is /dev/full: every write to it
/// fails with ENOSPC, as on a full disk.
std::string directory_on_a_full_disk() {
  const fs::path dir = fs::temp_directory_path() / ("taskfarm-full-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "_temporary");
  fs::create_symlink("/dev/full", temporary_part_path(dir.string(), 0, 0));
  return dir.string();
}

TEST(Collector, AWorkersErrorIsKeptAndEndsTheRunAsAnError) {
  const std::string dir = directory_on_a_full_disk();
  Parts parts({"--output", dir, "--batch", "100000", "square", "--tasks", "200000"});
  const auto stop = parts.run();
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->cause, StopCause::error);
  ASSERT_TRUE(parts.collector.error());
  EXPECT_NE(parts.collector.error()->find("No space left on device"), std::string::npos) << *parts.collector.error();
  fs::remove_all(dir);
}

TEST(StopPolicy, ARunEndsWhenTheSourceIsDoneAndNothingIsInFlight) {
  Parts parts({"square", "--tasks", "1000"});
  const auto stop = parts.run();
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->cause, StopCause::none);
  EXPECT_EQ(parts.results.done(), 1000u);
}

TEST(StopPolicy, ThePassedWalltimeStopsTheRunWithWorkLeft) {
  Parts parts({"--end-time", "+1", "--min-time-left", "3600", "--batch", "1", "sleep", "--tasks", "100", "--mean-us",
               "100"});
  const auto stop = parts.run();
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->cause, StopCause::walltime);
  EXPECT_EQ(describe(*stop), "walltime");
  EXPECT_LT(parts.results.done(), 100u);
}

TEST(StopPolicy, NoResultForTheResultTimeoutStopsTheRun) {
  Parts parts({"--result-timeout", "0.05", "sleep", "--tasks", "1", "--mean-us", "400000", "--dist", "fixed"});
  // The in-process worker runs its batch inside collect(): give it nothing to run.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  parts.feeder.halt();
  parts.scheduler.on_sent(0, 1);  // a task out that never replies
  const auto stop = parts.policy.check(true);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->cause, StopCause::result_timeout);
  EXPECT_EQ(describe(*stop), "no result for 0.05 s (--result-timeout)");
}

TEST(Shutdown, EveryWorkerSaysGoodbyeIntoTheReport) {
  Parts parts({"square", "--tasks", "100"});
  Stop stop = *parts.run();
  Backoff backoff;
  RunReport report;
  Shutdown(parts.transport, parts.scheduler, parts.cl.config, parts.cl.job, RunPlan{}, backoff)
      .run(parts.collector.accepted_part_bytes(), report, stop);
  ASSERT_EQ(report.per_worker.size(), 1u);
  EXPECT_TRUE(report.per_worker[0].answered);
  EXPECT_EQ(report.per_worker[0].tasks, 100u);
  EXPECT_EQ(stop.cause, StopCause::none);
}

TEST(Shutdown, AWorkerThatCannotCloseItsFilesMakesTheRunAnError) {
  const std::string dir = directory_on_a_full_disk();
  Parts parts({"--output", dir, "square", "--tasks", "10"});
  ASSERT_EQ(parts.run()->cause, StopCause::error);  // the lines stay in the part file's buffer
  Stop stop;  // as if the loop had ended well: the worker's close fails again
  Backoff backoff;
  RunReport report;
  Shutdown(parts.transport, parts.scheduler, parts.cl.config, parts.cl.job, RunPlan{}, backoff)
      .run(parts.collector.accepted_part_bytes(), report, stop);
  EXPECT_EQ(stop.cause, StopCause::error);
  EXPECT_NE(stop.detail.find("No space left on device"), std::string::npos) << stop.detail;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace taskfarm
