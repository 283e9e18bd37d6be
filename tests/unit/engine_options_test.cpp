// The table of engine options: the command line and an embedded Farm's Options agree on
// every option, its range and its words.

#include <gtest/gtest.h>

#include <set>

#include "api/engine_options.hpp"
#include "test_support.hpp"

namespace taskfarm {
namespace {

/// Options with every field away from its default.
Options unusual_options() {
  Options o;
  o.name = "sweep";
  o.output = "/tmp/out";
  o.overwrite = true;
  o.report = "/tmp/r.json";
  o.retries = 7;
  o.halt_on_error = true;
  o.task_timeout_s = 1.25;
  o.result_timeout_s = 2.5;
  o.grace_s = 0.1;
  o.batch = 9;
  o.window = 33;
  o.progress = "log";
  o.progress_interval_s = 0.3;
  o.end_time = "+3600";
  o.min_time_left_s = 12.5;
  o.verbose = true;
  return o;
}

const JobRoles no_job{};

std::string farm_error(const Options& options) {
  return testing::usage_error_of([&] { config_from_options(options, no_job); });
}

std::string command_line_error(const std::vector<std::string>& args) { return testing::usage_error(args); }

TEST(EngineOptions, EveryOptionOfTheCommandLineIsARowAndEveryRowIsAnOption) {
  std::set<std::string> rows;
  for (const EngineOption& row : engine_option_table()) rows.insert(row.flag);
  std::set<std::string> options;
  for (const CLI::Option* option : engine_options().get_options()) {
    const std::string name = option->get_name(false, true);
    if (name.find("--help") == std::string::npos) options.insert(name.substr(name.rfind(',') == std::string::npos ? 0 : name.rfind(',') + 1));
  }
  EXPECT_EQ(rows, options);
}

TEST(EngineOptions, EveryFieldOfOptionsReachesTheConfiguration) {
  const Options o = unusual_options();
  const Config c = config_from_options(o, no_job);
  EXPECT_EQ(c.job, o.name);
  EXPECT_EQ(c.output_dir, o.output);
  EXPECT_EQ(c.overwrite, o.overwrite);
  EXPECT_EQ(c.resume, o.resume);
  EXPECT_EQ(c.report_path, o.report);
  EXPECT_EQ(c.retries, o.retries);
  EXPECT_EQ(c.halt_on_error, o.halt_on_error);
  EXPECT_EQ(c.task_timeout_s, o.task_timeout_s);
  EXPECT_EQ(c.result_timeout_s, o.result_timeout_s);
  EXPECT_EQ(c.grace_s, o.grace_s);
  EXPECT_EQ(c.batch.fixed, o.batch);
  EXPECT_EQ(c.window, o.window);
  EXPECT_EQ(c.progress, o.progress);
  EXPECT_EQ(c.progress_interval_s, o.progress_interval_s);
  EXPECT_EQ(c.end_time, o.end_time);
  EXPECT_TRUE(c.end_epoch_s.has_value());
  EXPECT_EQ(c.min_time_left_s, o.min_time_left_s);
  EXPECT_EQ(c.verbose, o.verbose);
}

TEST(EngineOptions, TheCommandLineGivesTheSameConfigurationAsOptions) {
  const Config farm = config_from_options(unusual_options(), no_job);
  const Config cli = testing::parse({"--output", "/tmp/out", "--overwrite", "--report", "/tmp/r.json", "--retries", "7",
                                     "--halt-on-error", "--task-timeout", "1.25", "--result-timeout", "2.5", "--grace",
                                     "0.1", "--batch", "9", "--window", "33", "--progress", "log",
                                     "--progress-interval", "0.3", "--end-time", "+3600", "--min-time-left", "12.5",
                                     "-v", "square"})
                         .config;
  EXPECT_EQ(farm.output_dir, cli.output_dir);
  EXPECT_EQ(farm.retries, cli.retries);
  EXPECT_EQ(farm.task_timeout_s, cli.task_timeout_s);
  EXPECT_EQ(farm.grace_s, cli.grace_s);
  EXPECT_EQ(farm.batch.fixed, cli.batch.fixed);
  EXPECT_EQ(farm.window, cli.window);
  EXPECT_EQ(farm.progress_interval_s, cli.progress_interval_s);
  EXPECT_EQ(farm.min_time_left_s, cli.min_time_left_s);
}

TEST(EngineOptions, ABadValueGetsTheCommandLinesWordsFromOptions) {
  Options o;
  o.window = 0;
  EXPECT_EQ(farm_error(o), command_line_error({"--window", "0", "square"}));
  o = Options{};
  o.window = 65537;
  EXPECT_EQ(farm_error(o), command_line_error({"--window", "65537", "square"}));
  o = Options{};
  o.retries = 1001;
  EXPECT_EQ(farm_error(o), command_line_error({"--retries", "1001", "square"}));
  o = Options{};
  o.grace_s = -1;
  EXPECT_EQ(farm_error(o), command_line_error({"--grace=-1", "square"}));
  o = Options{};
  o.progress = "loud";
  EXPECT_EQ(farm_error(o), command_line_error({"--progress", "loud", "square"}));
  o = Options{};
  o.end_time = "tomorrow";
  EXPECT_EQ(farm_error(o), command_line_error({"--end-time", "tomorrow", "square"}));
  o = Options{};
  o.resume = true;
  EXPECT_EQ(farm_error(o), "--resume needs --output DIR (the journal lives there)");
  EXPECT_NE(farm_error(o), "(no error)");
}

}  // namespace
}  // namespace taskfarm
