#include "api/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/clock.hpp"
#include "taskfarm/version.hpp"

namespace taskfarm {

namespace {

std::string job_names() {
  std::string names;
  for (const auto& e : registered_jobs()) names += (names.empty() ? "" : ", ") + e.name;
  return names;
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

CommandLine parse_command_line(int argc, const char* const* argv) {
  CLI::App app{"An MPI task farm: rank 0 hands out tasks, every other rank runs them.", "taskfarm"};
  app.require_subcommand(0, 1);
  app.allow_extras();  // unknown words are explained below, not by CLI11
  app.set_version_flag("--version", std::string("taskfarm ") + version);
  app.footer("Run under mpirun or srun. Exit codes: 0 all tasks done, 1 some tasks failed, "
             "2 usage error, 3 incomplete and resumable (signal, result timeout), 4 runtime error, "
             "5 done but a stuck rank was aborted.");

  CommandLine cl;
  Config& cfg = cl.config;
  add_engine_options(app, cfg);

  std::vector<std::pair<CLI::App*, std::unique_ptr<JobCommand>>> jobs;
  for (const auto& entry : registered_jobs()) {
    CLI::App* command = app.add_subcommand(entry.name, entry.summary);
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
  cl.command->check_options(JobSettings{cfg.output_dir, cfg.resume, cfg.task_timeout_s, cfg.ranks_per_task});
  cl.job = cl.command->roles();
  check_engine_options(cfg, cl.job);
  return cl;
}

CommandLine parse_arguments(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"taskfarm"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace taskfarm
