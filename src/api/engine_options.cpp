#include "api/engine_options.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "core/clock.hpp"
#include "core/walltime.hpp"

namespace taskfarm {

namespace {

/// A value as the command line takes it back exactly (doubles with 17 digits).
template <class V>
std::string as_text(const V& value) {
  if constexpr (std::is_same_v<V, std::string>) {
    return value;
  } else if constexpr (std::is_floating_point_v<V>) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
  } else {
    return std::to_string(value);
  }
}

template <class V>
void put_arg(const std::string& flag, const V& value, std::vector<std::string>& args) {
  if constexpr (std::is_same_v<V, bool>) {
    if (value) args.push_back(flag);
  } else {
    args.push_back(flag + "=" + as_text(value));
  }
}
template <class V>
void put_arg(const std::string& flag, const std::optional<V>& value, std::vector<std::string>& args) {
  if (value) put_arg(flag, *value, args);
}

/// A row whose Config and Options members have the same type. `names` is CLI11's
/// ("-v,--verbose"); the last name is the long one.
template <class V>
EngineOption row(std::string names, std::string help, V Config::*in_config, V Options::*in_options,
                 std::optional<CLI::Validator> check = std::nullopt) {
  EngineOption option;
  option.flag = names.substr(names.rfind(',') == std::string::npos ? 0 : names.rfind(',') + 1);
  option.bind = [names, help = std::move(help), in_config, check](CLI::App& app, Config& config) {
    CLI::Option* added;
    if constexpr (std::is_same_v<V, bool>) {
      added = app.add_flag(names, config.*in_config, help);
    } else {
      added = app.add_option(names, config.*in_config, help);
      if constexpr (!std::is_same_v<V, std::optional<std::string>> && !std::is_same_v<V, std::optional<double>>)
        added->capture_default_str();
    }
    if (check) added->check(*check);
    return added;
  };
  option.to_args = [flag = option.flag, in_options](const Options& options, std::vector<std::string>& args) {
    put_arg(flag, options.*in_options, args);
  };
  return option;
}

std::vector<EngineOption> make_table() {
  std::vector<EngineOption> table;
  table.push_back(row("--output", "Write results to part files in this directory (workers write them; committed only "
                      "when every task succeeded) instead of stdout", &Config::output_dir, &Options::output));
  table.push_back(row("--overwrite", "Replace the results already in the --output directory", &Config::overwrite,
                      &Options::overwrite));
  table.push_back(row("--resume", "Continue the run journaled in the --output directory (cmd: or logged by --joblog): "
                      "skip the tasks it completed, keep their results (same arguments required)", &Config::resume,
                      &Options::resume));
  table.push_back(row("--report", "Write the run report as JSON to this file", &Config::report_path, &Options::report));
  table.push_back(row("-v,--verbose", "Narrate every task on stderr (master and workers)", &Config::verbose,
                      &Options::verbose));
  table.push_back(row("--window", "Most task batches a worker holds (prefetch); fewer when batches are long, so that "
                      "it holds three times its path's delay, at least 4 ms of work", &Config::window, &Options::window,
                      CLI::Range(1, 65536)));
  EngineOption batch;
  batch.flag = "--batch";
  batch.bind = [](CLI::App& app, Config& config) {
    return app.add_option("--batch", config.batch_text, "Tasks per batch: auto (sized from measured task time) or N; "
                          "the batches a worker gets at once share one message")->capture_default_str();
  };
  batch.to_args = [](const Options& options, std::vector<std::string>& args) {
    args.push_back("--batch=" + (options.batch == 0 ? std::string("auto") : std::to_string(options.batch)));
  };
  table.push_back(std::move(batch));
  table.push_back(row("--result-timeout", "Give up when no result arrives for this many seconds while tasks are out, "
                      "or when a reduce phase takes longer (0: wait as long as tasks run)", &Config::result_timeout_s,
                      &Options::result_timeout_s, non_negative_number()));
  table.push_back(row("--task-timeout", "A task running longer than this many seconds is given to another worker as a "
                      "backup attempt (cmd: its process group is killed); 0: no limit", &Config::task_timeout_s,
                      &Options::task_timeout_s, non_negative_number()));
  table.push_back(row("--retries", "Run a failed task again up to N times, on another worker where possible",
                      &Config::retries, &Options::retries, CLI::Range(0, 1000)));
  table.push_back(row("--halt-on-error", "Stop handing out tasks at the first task that failed every attempt (like GNU "
                      "parallel --halt now,fail=1); running tasks finish", &Config::halt_on_error,
                      &Options::halt_on_error));
  table.push_back(row("--grace", "On SIGTERM, SIGUSR1 (a walltime warning) or SIGINT, stop handing out tasks and wait "
                      "this many seconds for the running ones before committing (exit 3, resumable)", &Config::grace_s,
                      &Options::grace_s, non_negative_number()));
  table.push_back(row("--progress", "Progress on stderr: bar (a live line), log (a timestamped line every "
                      "--progress-interval), none, or auto (bar when stderr reaches a terminal, directly or through "
                      "mpirun; log otherwise)", &Config::progress, &Options::progress,
                      CLI::IsMember({"none", "bar", "log", "auto"})));
  table.push_back(row("--progress-interval", "Seconds between progress lines in log mode (the first comes after at "
                      "most 5 s)", &Config::progress_interval_s, &Options::progress_interval_s,
                      CLI::Validator(CLI::PositiveNumber)));
  table.push_back(row("--end-time", "When the job's allocation ends: epoch seconds, or +S seconds from now (default "
                      "under Slurm: the job's end time); see --min-time-left", &Config::end_time, &Options::end_time));
  table.push_back(row("--min-time-left", "Start no new task once less than this many seconds are left before "
                      "--end-time; the running ones finish and the run commits (exit 3, resumable). Default: the "
                      "90th percentile of the task run times so far, once 20 tasks have finished",
                      &Config::min_time_left_s, &Options::min_time_left_s, non_negative_number()));
  table.push_back(row("--ranks-per-task", "Run each task on a group of N worker ranks: library kernels that take a "
                      "taskfarm::Group get the group's communicator; cmd lines get TASKFARM_MPIRUN to launch an MPI "
                      "program on them. Groups form within a node where they can; worker ranks left over run no task",
                      &Config::ranks_per_task, &Options::ranks_per_task,
                      CLI::Range(1, 1 << 20)));
  return table;
}

BatchPolicy parse_batch(const std::string& text) {
  BatchPolicy policy;
  if (text == "auto") return policy;
  std::uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0)
    throw UsageError("--batch: expected 'auto' or a positive integer, got '" + text + "'");
  policy.fixed = n;
  return policy;
}

}  // namespace

CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(x >= 0) || x > 1e300)
          return "expected a non-negative number, got '" + text + "'";
        return {};
      },
      "NUM>=0");
}

const std::vector<EngineOption>& engine_option_table() {
  static const std::vector<EngineOption> table = make_table();
  return table;
}

void add_engine_options(CLI::App& app, Config& config) {
  for (const EngineOption& option : engine_option_table()) option.bind(app, config);
}

const CLI::App& engine_options() {
  struct Table {
    Config config;
    CLI::App app;
    Table() { add_engine_options(app, config); }
  };
  static const Table table;
  return table.app;
}

void check_engine_options(Config& cfg, const JobRoles& job) {
  cfg.batch = parse_batch(cfg.batch_text);
  if (cfg.end_time) cfg.end_epoch_s = parse_end_time(*cfg.end_time, epoch_now());
  if (cfg.resume && !cfg.output_dir && !job.keeps_own_log())
    throw UsageError("--resume needs --output DIR (the journal lives there)");
  if (cfg.resume && cfg.overwrite) throw UsageError("--resume and --overwrite contradict each other: pick one");
  if (cfg.task_timeout_s > 0 && job.reduce)
    throw UsageError("--task-timeout: job " + cfg.job + " cannot hand a stuck worker's tasks to another "
                     "(the results it already has live in its memory until the reduce)");
  if (cfg.ranks_per_task > 1 && !job.groups)
    throw UsageError("--ranks-per-task: job " + cfg.job + " runs each task on one rank");
  if (job.reduce && !cfg.output_dir)
    throw UsageError("job " + cfg.job + " writes its results to part files: give --output DIR");
}

Config config_from_options(const Options& options, const JobRoles& job) {
  Config config;
  CLI::App cli;
  add_engine_options(cli, config);
  std::vector<std::string> args;
  for (const EngineOption& option : engine_option_table()) option.to_args(options, args);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them from the back
  try {
    cli.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  config.job = options.name;
  check_engine_options(config, job);
  return config;
}

}  // namespace taskfarm
