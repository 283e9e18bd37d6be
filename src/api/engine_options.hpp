#pragma once
// The engine's options, declared once. Each row binds one option of the command line to
// its place in Config, and says how an embedded Farm's taskfarm::Options gives the same
// value: a Farm's Options become arguments that the same command line parses, so both
// get the same ranges, checks and messages.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <taskfarm/taskfarm.hpp>

#include "job/config.hpp"
#include "job/job.hpp"

namespace taskfarm {

struct EngineOption {
  std::string flag;  // its long name, as in the command line
  /// Adds the option to a command line, bound to `config`.
  std::function<CLI::Option*(CLI::App&, Config&)> bind;
  /// An embedded Farm's value for it, as arguments (none for an unset optional or a
  /// false flag).
  std::function<void(const Options&, std::vector<std::string>&)> to_args;
};

/// The table: every engine option, in --help order.
const std::vector<EngineOption>& engine_option_table();

/// An option check with a plain-words message.
CLI::Validator non_negative_number();

/// The engine options, bound to `config`, in a command line (the program's or an App's).
void add_engine_options(CLI::App& app, Config& config);
/// The engine options alone in a CLI11 app of their own (built once), for looking up
/// their names and whether they take a value.
const CLI::App& engine_options();
/// After parsing: resolves --batch and --end-time, and checks the engine options against
/// each other and against what the job can do. Throws UsageError.
void check_engine_options(Config& config, const JobRoles& job);
/// An embedded Farm's configuration from its Options, through the table and the same
/// checks as the command line's. Throws UsageError.
Config config_from_options(const Options& options, const JobRoles& job);

}  // namespace taskfarm
