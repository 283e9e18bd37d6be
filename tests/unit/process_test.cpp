// ProcessSlots (real /bin/sh processes) and the joblog format.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "jobkit/joblog.hpp"
#include "jobkit/process.hpp"

namespace taskfarm {
namespace {

std::vector<ProcessOutcome> run_all(ProcessSlots& slots) {
  std::vector<ProcessOutcome> ended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (slots.running() > 0 && std::chrono::steady_clock::now() < deadline) slots.reap(ended, 0.5);
  return ended;
}

TEST(ProcessSlots, CapturesOutputExitValueAndEnvironment) {
  ProcessSlots slots;
  slots.start(7, ProcessSpec{"echo \"$GREETING\" | tr a-z A-Z; echo oops >&2; exit 3", {{"GREETING", "hi there"}}, {}, {}, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].ticket, 7u);
  EXPECT_EQ(ended[0].stdout_text, "HI THERE\n");
  EXPECT_EQ(ended[0].stderr_text, "oops\n");
  EXPECT_EQ(ended[0].stdout_bytes, 9u);
  EXPECT_EQ(ended[0].exit_value, 3);
  EXPECT_EQ(ended[0].signal, 0);
  EXPECT_FALSE(ended[0].ok());
}

TEST(ProcessSlots, SpillsALargeOutputToAFileAndKeepsItWhole) {
  ProcessSlots slots;
  const std::size_t lines = ProcessSlots::spill_above_bytes / 2 + 1000;  // "y\n" each
  slots.start(1, ProcessSpec{"yes | head -n " + std::to_string(lines), {}, {}, {}, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].stdout_text.empty());
  ASSERT_TRUE(ended[0].stdout_spill.open());
  EXPECT_EQ(ended[0].stdout_spill.bytes(), 2 * lines);
  EXPECT_EQ(ended[0].stdout_bytes, 2 * lines);
  std::string text;
  ended[0].stdout_spill.read(0, 2 * lines + 10, text);
  std::string expected;
  for (std::size_t i = 0; i < lines; ++i) expected += "y\n";
  EXPECT_TRUE(text == expected);  // (not EXPECT_EQ: no 16 MB diff on failure)
}

TEST(ProcessSlots, KeepsTheStartOfALargeStderrAndNotesTheRest) {
  ProcessSlots slots;
  slots.start(1, ProcessSpec{"head -c 1048586 /dev/zero | tr '\\0' e >&2", {}, {}, {}, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].stderr_text, std::string(ProcessSlots::max_stderr_bytes, 'e') +
                                      "\ntaskfarm: 10 more bytes of stderr dropped (1048576 kept)\n");
}

TEST(ProcessSlots, ReportsTheSignalThatEndedIt) {
  ProcessSlots slots;
  slots.start(1, ProcessSpec{"kill -KILL $$", {}, {}, {}, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].signal, 9);
  EXPECT_EQ(ended[0].exit_value, 0);
}

TEST(ProcessSlots, RunsSeveralAtOnce) {
  ProcessSlots slots;
  // Each waits for the other two to have started: only concurrent runs all succeed.
  const std::string dir = ::testing::TempDir();
  for (int i = 0; i < 3; ++i)
    slots.start(static_cast<std::uint64_t>(i),
                ProcessSpec{"cd " + dir + " && touch slot." + std::to_string(getpid()) + "." + std::to_string(i) +
                                " && for t in $(seq 100); do [ $(ls slot." + std::to_string(getpid()) +
                                ".* | wc -l) -eq 3 ] && exit 0; sleep 0.05; done; exit 1",
                            {}, {}, {}, {}});
  EXPECT_EQ(slots.running(), 3u);
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 3u);
  std::set<std::uint64_t> tickets;
  for (const auto& e : ended) {
    EXPECT_TRUE(e.ok()) << e.ticket;
    tickets.insert(e.ticket);
  }
  EXPECT_EQ(tickets, (std::set<std::uint64_t>{0, 1, 2}));
}

TEST(ProcessSlots, TimeoutKillsTheWholeProcessGroup) {
  ProcessSlots slots(0.3, 0.5);
  const std::string marker = ::testing::TempDir() + "/survivor." + std::to_string(getpid());
  std::remove(marker.c_str());
  // The background child would create the marker after 2 s if it survived.
  slots.start(1, ProcessSpec{"(sleep 2; touch " + marker + ") & sleep 30", {}, {}, {}, {}});
  const auto start = std::chrono::steady_clock::now();
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].timed_out);
  EXPECT_EQ(ended[0].exit_value, -1);
  EXPECT_EQ(ended[0].signal, 15);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // a hang guard, not a timing
  ::sleep(3);
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "a child of the timed-out task survived";
}

TEST(ProcessSlots, WritesToFilesWhenAsked) {
  const std::string out = ::testing::TempDir() + "/out." + std::to_string(getpid());
  const std::string err = out + ".err";
  ProcessSlots slots;
  slots.start(1, ProcessSpec{"printf abc; printf e >&2", {}, out, err, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].stdout_bytes, 3u);
  EXPECT_TRUE(ended[0].stdout_text.empty());
  std::ifstream o(out), e(err);
  std::string o_text, e_text;
  std::getline(o, o_text);
  std::getline(e, e_text);
  EXPECT_EQ(o_text, "abc");
  EXPECT_EQ(e_text, "e");
}

TEST(Joblog, FormatsLinesAsGnuParallel) {
  std::string line;
  append_joblog_line(line, JoblogEntry{5, ":", 1795717031.0674, 1.9271, 0, 3, -1, 15, "sleep 5"});
  EXPECT_EQ(line, "5\t:\t1795717031.067\t     1.927\t0\t3\t-1\t15\tsleep 5\n");
  EXPECT_EQ(joblog_header(), "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
}

TEST(Joblog, ReadsBackWhatSucceededAndIgnoresATornLastLine) {
  const std::string path = ::testing::TempDir() + "/joblog." + std::to_string(getpid());
  std::string text = joblog_header();
  append_joblog_line(text, JoblogEntry{1, "a", 1, 1, 0, 0, 0, 0, "echo\tone"});
  append_joblog_line(text, JoblogEntry{2, "a", 1, 1, 0, 0, 1, 0, "false"});
  append_joblog_line(text, JoblogEntry{3, "a", 1, 1, 0, 0, 0, 9, "kill"});
  append_joblog_line(text, JoblogEntry{2, "a", 1, 1, 0, 0, 0, 0, "false"});
  text += "4\ta\t1.000";  // torn by a kill
  std::ofstream(path) << text;
  const auto state = read_joblog(path);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->commands.at(1), "echo\tone");
  EXPECT_TRUE(state->succeeded.contains(0));
  EXPECT_TRUE(state->succeeded.contains(1));  // its second attempt succeeded
  EXPECT_FALSE(state->succeeded.contains(2));
  EXPECT_EQ(state->commands.count(4), 0u);
  EXPECT_FALSE(read_joblog(path + ".missing"));
}

TEST(Joblog, RefusesWhatIsNotAJoblog) {
  const std::string path = ::testing::TempDir() + "/notjoblog." + std::to_string(getpid());
  std::ofstream(path) << "hello\n";
  EXPECT_THROW(read_joblog(path), std::runtime_error);
  std::ofstream(path) << joblog_header() << "x\t:\t1\t1\t0\t0\t0\t0\tcmd\n";
  EXPECT_THROW(read_joblog(path), std::runtime_error);
}

}  // namespace
}  // namespace taskfarm

namespace taskfarm {

TEST(ProcessSlots, ReportsTheTasksResourceUsage) {
  ProcessSlots slots;
  // In the working directory (the build tree): tmpfs, which /tmp may be, counts no I/O.
  const std::string file = "usage." + std::to_string(getpid());
  // 64 MiB touched by a child of the shell, then at least 0.3 s of its CPU time (not of
  // the wall clock, which a busy machine stretches), then 8 MiB written to disk.
  slots.start(1, ProcessSpec{"python3 -c 'import time\nb = b\"x\" * (64 << 20)\n"
                             "end = time.process_time() + 0.3\nwhile time.process_time() < end: pass'; "
                             "head -c 8388608 /dev/zero > " + file + "; rm -f " + file,
                             {}, {}, {}, {}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].ok());
  EXPECT_GE(ended[0].peak_rss_kib, 64u * 1024);
  EXPECT_GE(ended[0].user_s + ended[0].sys_s, 0.3);  // the spin alone
  EXPECT_GE(ended[0].write_bytes, 8u << 20);
}

TEST(ProcessSlots, PinsATaskToItsCores) {
  cpu_set_t own;
  ASSERT_EQ(sched_getaffinity(0, sizeof own, &own), 0);
  int first = 0;
  while (!CPU_ISSET(first, &own)) ++first;
  ProcessSlots slots;
  slots.start(1, ProcessSpec{"grep Cpus_allowed_list /proc/self/status", {}, {}, {}, {first}});
  const auto ended = run_all(slots);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].stdout_text, "Cpus_allowed_list:\t" + std::to_string(first) + "\n");
  cpu_set_t after;  // the spawning thread's own affinity is back
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&own, &after));
}

}  // namespace taskfarm
