#include <gtest/gtest.h>

#include "test_support.hpp"

namespace taskfarm {
namespace {

using testing::usage_error;

TEST(Cli, DefaultsFollowTheExample) {
  const CommandLine cl = testing::parse({"square"});
  EXPECT_EQ(cl.config.job, "square");
  EXPECT_EQ(cl.config.window, 1024);
  EXPECT_EQ(cl.config.batch.fixed, 0u);
  EXPECT_FALSE(cl.config.verbose);
  EXPECT_EQ(cl.job.source->open()->size(), 10u);
}

TEST(Cli, EngineOptionsGoBeforeOrAfterTheJob) {
  const CommandLine before = testing::parse({"--batch", "8", "--window", "2", "square", "--tasks", "5"});
  const CommandLine after = testing::parse({"square", "--tasks", "5", "--batch", "8", "-v", "--window", "2"});
  EXPECT_EQ(before.config.batch.fixed, 8u);
  EXPECT_EQ(after.config.batch.fixed, 8u);
  EXPECT_EQ(after.config.window, 2);
  EXPECT_TRUE(after.config.verbose);
  EXPECT_EQ(after.job.source->open()->size(), 5u);
}

TEST(Cli, BadInputNamesTheProblem) {
  EXPECT_EQ(usage_error({"square", "--tasks", "-3"}), "--tasks: expected a non-negative integer, got '-3'");
  EXPECT_EQ(usage_error({"square", "--bogus"}),
            "unknown option '--bogus' for job square (see taskfarm square --help)");
  EXPECT_EQ(usage_error({"nosuchjob"}), "unknown job 'nosuchjob' (jobs: cmd, grep, sleep, square, walk, wordcount)");
  EXPECT_EQ(usage_error({}), "no job given (jobs: cmd, grep, sleep, square, walk, wordcount; see taskfarm --help)");
  EXPECT_EQ(usage_error({"--batch", "0", "square"}), "--batch: expected 'auto' or a positive integer, got '0'");
  EXPECT_EQ(usage_error({"--window", "0", "square"}), "--window: Value 0 not in range 1 to 65536");
  EXPECT_EQ(usage_error({"--result-timeout", "soon", "square"}),
            "--result-timeout: expected a non-negative number, got 'soon'");
  EXPECT_EQ(usage_error({"sleep", "--dist", "zipf"}), "--dist: zipf not in {fixed,uniform,lognormal,pareto}");
  EXPECT_EQ(usage_error({"wordcount", "--input", "x"}),
            "job wordcount writes its results to part files: give --output DIR");
  EXPECT_EQ(usage_error({"grep", "--pattern", "a(", "--input", "x"}),
            "--pattern: invalid regular expression 'a(': Unmatched ( or \\(");
  EXPECT_EQ(usage_error({"grep", "--pattern", "a", "--input", "x", "--block-size", "7Q"}),
            "--block-size: expected a positive size like 4096, 64K, 64M or 1G, got '7Q'");
  EXPECT_EQ(usage_error({"grep", "--pattern", "a"}), "--input is required");
}

TEST(Cli, HelpAndVersionAreInformation) {
  EXPECT_THROW(testing::parse({"--help"}), InfoRequested);
  EXPECT_THROW(testing::parse({"square", "--help"}), InfoRequested);
  EXPECT_THROW(testing::parse({"--version"}), InfoRequested);
}

}  // namespace
}  // namespace taskfarm
