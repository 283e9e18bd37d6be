#pragma once
// Command line -> Config + the job's roles. Every rank parses the same argv, so every rank knows the
// configuration without a broadcast; only rank 0 prints.

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "api/engine_options.hpp"
#include "job/config.hpp"
#include "job/job.hpp"

namespace taskfarm {

struct CommandLine {
  Config config;
  JobRoles job;
  std::unique_ptr<JobCommand> command;  // what owns the job's roles
};

/// --help or --version: print `text` to stdout and exit 0.
struct InfoRequested {
  std::string text;
};

/// Throws UsageError (one line, naming the option or value) or InfoRequested.
CommandLine parse_command_line(int argc, const char* const* argv);
/// The same for arguments without the program name (tests, benchmarks).
CommandLine parse_arguments(const std::vector<std::string>& args);

}  // namespace taskfarm
