#include "taskfarm/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "taskfarm/clock.hpp"
#include "taskfarm/version.hpp"
#include "taskfarm/walltime.hpp"

namespace taskfarm {

namespace {

std::string job_names() {
  std::string names;
  for (const auto& e : registered_jobs()) names += (names.empty() ? "" : ", ") + e.name;
  return names;
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

/// Words CLI11 could not place: an unknown job, an unknown option, or a stray value.
std::string explain_extras(const std::vector<std::string>& extras, const CLI::App* job) {
  const std::string& word = extras.front();
  if (job == nullptr && !word.empty() && word[0] != '-')
    return "unknown job '" + word + "' (jobs: " + job_names() + ")";
  const std::string where = job ? " for job " + job->get_name() : "";
  const std::string help = job ? "taskfarm " + job->get_name() + " --help" : "taskfarm --help";
  if (!word.empty() && word[0] == '-') return "unknown option '" + word + "'" + where + " (see " + help + ")";
  return "unexpected argument '" + word + "'" + where + " (see " + help + ")";
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

CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || end != text.data() + text.size() || n < 0)
          return "expected a non-negative integer, got '" + text + "'";
        return {};
      },
      "INT>=0");
}

void add_engine_options(CLI::App& app, Config& cfg, std::string& batch) {
  batch = "auto";
  app.add_option("--output", cfg.output_dir,
                 "Write results to part files in this directory (workers write them; committed only "
                 "when every task succeeded) instead of stdout");
  app.add_flag("--overwrite", cfg.overwrite, "Replace the results already in the --output directory");
  app.add_flag("--resume", cfg.resume,
               "Continue the run journaled in the --output directory (cmd: or logged by --joblog): skip the "
               "tasks it completed, keep their results (same arguments required)");
  app.add_option("--report", cfg.report_path, "Write the run report as JSON to this file");
  app.add_flag("-v,--verbose", cfg.verbose, "Narrate every task on stderr (master and workers)");
  app.add_option("--window", cfg.window, "Most task batches a worker holds (prefetch); fewer when batches are long, so that it holds three times its path's delay, at least 4 ms of work")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--batch", batch, "Tasks per batch: auto (sized from measured task time) or N; the batches a worker gets at once share one message")
      ->capture_default_str();
  app.add_option("--result-timeout", cfg.result_timeout_s,
                 "Give up when no result arrives for this many seconds while tasks are out, "
                 "or when a reduce phase takes longer (0: wait as long as tasks run)")
      ->check(non_negative_number())
      ->capture_default_str();
  app.add_option("--task-timeout", cfg.task_timeout_s,
                 "A task running longer than this many seconds is given to another worker as a backup "
                 "attempt (cmd: its process group is killed); 0: no limit")
      ->check(non_negative_number())
      ->capture_default_str();
  app.add_option("--retries", cfg.retries, "Run a failed task again up to N times, on another worker where possible")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_flag("--halt-on-error", cfg.halt_on_error,
               "Stop handing out tasks at the first task that failed every attempt (like GNU parallel "
               "--halt now,fail=1); running tasks finish");
  app.add_option("--grace", cfg.grace_s,
                 "On SIGTERM, SIGUSR1 (a walltime warning) or SIGINT, stop handing out tasks and wait this many "
                 "seconds for the running ones before committing (exit 3, resumable)")
      ->check(non_negative_number())
      ->capture_default_str();
  app.add_option("--progress", cfg.progress,
                 "Progress on stderr: bar (a live line), log (a timestamped line every --progress-interval), "
                 "none, or auto (bar when stderr reaches a terminal, directly or through mpirun; log otherwise)")
      ->check(CLI::IsMember({"none", "bar", "log", "auto"}))
      ->capture_default_str();
  app.add_option("--progress-interval", cfg.progress_interval_s, "Seconds between progress lines in log mode (the first comes after at most 5 s)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--end-time", cfg.end_time,
                 "When the job's allocation ends: epoch seconds, or +S seconds from now (default under Slurm: "
                 "the job's end time); see --min-time-left");
  app.add_option("--min-time-left", cfg.min_time_left_s,
                 "Start no new task once less than this many seconds are left before --end-time; the running "
                 "ones finish and the run commits (exit 3, resumable). Default: the 90th percentile of the "
                 "task run times so far, once 20 tasks have finished")
      ->check(non_negative_number());
}

const CLI::App& engine_options() {
  struct Table {
    Config config;
    std::string batch;
    CLI::App app;
    Table() { add_engine_options(app, config, batch); }
  };
  static const Table table;
  return table.app;
}

void check_engine_options(Config& cfg, const std::string& batch, const JobRoles& job) {
  cfg.batch = parse_batch(batch);
  if (cfg.end_time) cfg.end_epoch_s = parse_end_time(*cfg.end_time, epoch_now());
  if (cfg.resume && !cfg.output_dir && !job.keeps_own_log())
    throw UsageError("--resume needs --output DIR (the journal lives there)");
  if (cfg.resume && cfg.overwrite) throw UsageError("--resume and --overwrite contradict each other: pick one");
  if (cfg.task_timeout_s > 0 && job.reduce)
    throw UsageError("--task-timeout: job " + cfg.job + " cannot hand a stuck worker's tasks to another "
                     "(the results it already has live in its memory until the reduce)");
  if (job.reduce && !cfg.output_dir)
    throw UsageError("job " + cfg.job + " writes its results to part files: give --output DIR");
}

namespace {

/// Where in `args` a job written on the public API is named, if one is: the first word
/// that is not an engine option's value.
std::optional<std::pair<std::size_t, const JobEntry*>> find_program_job(const std::vector<std::string>& args) {
  const CLI::App& engine = engine_options();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    if (!word.empty() && word[0] == '-') {
      const CLI::Option* option = word.find('=') == std::string::npos ? engine.get_option_no_throw(word) : nullptr;
      if (option && option->get_items_expected_min() > 0) ++i;  // its value
      continue;
    }
    for (const auto& entry : registered_jobs())
      if (entry.name == word && entry.make_program) return std::pair{i, &entry};
    break;
  }
  return std::nullopt;
}

/// A job on the public API: its App parses every argument but the job's name, and its
/// run() prepares the roles.
CommandLine prepare_program_job(std::vector<std::string> args, std::size_t at, const JobEntry& entry) {
  args.erase(args.begin() + static_cast<long>(at));
  CommandLine cl;
  cl.app = std::make_unique<App>(detail::Hosted{}, std::move(args), entry.name, entry.summary);
  cl.program = entry.make_program();
  cl.program->main(*cl.app);
  if (!detail::AppAccess::prepared(*cl.app)) throw std::logic_error("job " + entry.name + " never called App::run");
  cl.config = detail::AppAccess::config(*cl.app);
  cl.job = detail::AppAccess::roles(*cl.app);
  return cl;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
  const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  if (const auto program_job = find_program_job(args))
    return prepare_program_job(args, program_job->first, *program_job->second);

  CLI::App app{"An MPI task farm: rank 0 hands out tasks, every other rank runs them.", "taskfarm"};
  app.require_subcommand(0, 1);
  app.allow_extras();  // unknown words are explained below, not by CLI11
  app.set_version_flag("--version", std::string("taskfarm ") + version);
  app.footer("Run under mpirun or srun. Exit codes: 0 all tasks done, 1 some tasks failed, "
             "2 usage error, 3 incomplete and resumable (signal, result timeout), 4 runtime error, "
             "5 done but a stuck rank was aborted.");

  CommandLine cl;
  Config& cfg = cl.config;
  std::string batch;
  add_engine_options(app, cfg, batch);

  std::vector<std::pair<CLI::App*, std::unique_ptr<JobCommand>>> jobs;
  for (const auto& entry : registered_jobs()) {
    CLI::App* command = app.add_subcommand(entry.name, entry.summary);
    if (entry.make_program) continue;  // found above, unless the command line is bad
    command->fallthrough();  // engine options may also follow the job name
    auto job = entry.make();
    job->add_options(*command);
    jobs.emplace_back(command, std::move(job));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    throw InfoRequested{app.help()};
  } catch (const CLI::CallForAllHelp&) {
    throw InfoRequested{app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::CallForVersion&) {
    throw InfoRequested{std::string("taskfarm ") + version + "\n"};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }

  const CLI::App* chosen = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
  const auto extras = app.remaining(true);
  if (!extras.empty()) throw UsageError(explain_extras(extras, chosen));
  if (chosen == nullptr) throw UsageError("no job given (jobs: " + job_names() + "; see taskfarm --help)");

  for (auto& [command, job] : jobs) {
    if (command->parsed()) {
      cfg.job = command->get_name();
      cl.command = std::move(job);
    }
  }
  if (!cl.command) throw UsageError("job " + chosen->get_name() + ": unexpected arguments before it (see taskfarm --help)");
  cl.command->check_options(JobSettings{cfg.output_dir, cfg.resume, cfg.task_timeout_s});
  cl.job = cl.command->roles();
  check_engine_options(cfg, batch, cl.job);
  return cl;
}

CommandLine parse_arguments(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"taskfarm"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace taskfarm
