// The public API (include/taskfarm/taskfarm.hpp) on the engine: App and Farm turn the
// user's typed source and kernel (type-erased in the header as detail::Work) into job
// roles (WorkJob) that the engine runs like any built-in job's.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/app.hpp"
#include "api/cli.hpp"
#include "api/engine_options.hpp"
#include "core/log.hpp"
#include "core/monitor.hpp"
#include "job/work_job.hpp"
#include "mpi/protocol.hpp"
#include "resume/output_dir.hpp"
#include "taskfarm/taskfarm.hpp"

namespace taskfarm {

void narrate(std::string_view text) {
  if (log::narrating()) log::line(text);
}

bool narrating() { return log::narrating(); }

namespace {

/// Discards what it is given: an embedded fold or sink prints nothing itself.
class NullSink final : public ResultSink {
 public:
  void write(std::string_view) override {}
};

Report public_report(const RunOutcome& outcome) {
  Report r;
  r.exit_code = outcome.exit_code;
  if (!outcome.report) return r;
  const RunReport& report = *outcome.report;
  r.on_root = true;
  r.status = to_string(report.status);
  r.tasks_total = report.tasks_total;
  r.tasks_done = report.tasks_done;
  r.tasks_failed = report.tasks_failed;
  r.tasks_resumed = report.tasks_resumed;
  r.tasks_submitted = report.tasks_submitted;
  r.elapsed_s = report.elapsed_s;
  r.ranks = report.ranks;
  r.workers = report.workers;
  r.stop_reason = report.stop_reason;
  r.result = report.result;
  for (const auto& f : report.failed_tasks) r.failed_tasks.push_back(f.id);
  r.json = to_json(report).dump();
  return r;
}

/// Where a user option clashes with an engine option: the engine option's full name.
std::optional<std::string> engine_option_named(const std::string& name) {
  for (const CLI::Option* option : engine_options().get_options())
    if (option->check_name(name)) return option->get_name(false, true);
  if (name == "--version") return name;  // the program's, kept free for symmetry
  return std::nullopt;
}

}  // namespace

// ---- App ---------------------------------------------------------------------------

namespace {

/// An App's command line: its user's options, and the words to parse.
struct AppCommandLine {
  std::vector<std::string> args;  // argv[1..]
  std::string program;            // argv[0]'s file name
  std::string description;
  std::vector<detail::OptionSpec> options;
  std::string first_error;        // of option(): reported by run()
};

/// The user's options, then the engine's, in one command line: parsed into `into`.
/// Throws UsageError or InfoRequested.
void parse(const AppCommandLine& state, Config& into) {
  if (!state.first_error.empty()) throw UsageError(state.first_error);
  CLI::App cli{state.description, state.program};
  cli.allow_extras();
  cli.set_help_flag();  // added again below: the user's options come first in --help
  cli.footer("Exit codes: 0 all tasks done, 1 some tasks failed, 2 usage error, 3 incomplete and resumable "
             "(signal, result timeout), 4 runtime error, 5 done but a stuck rank was aborted.");
  for (const auto& spec : state.options) {
    CLI::Option* option = spec.is_flag ? cli.add_flag(spec.name, spec.help)
                                       : cli.add_option(spec.name, spec.help)->check(CLI::Validator(
                                             [check = spec.check](std::string& text) { return check(text); }, ""));
    option->default_str(spec.current())->group("Options of " + state.program)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (!spec.is_flag) option->type_name(spec.type_name);
  }
  cli.set_help_flag("-h,--help", "Print this help message and exit");
  add_engine_options(cli, into);
  for (CLI::Option* option : cli.get_options())
    if (option->get_group() == "Options") option->group("Engine options (as in the taskfarm program)");
  std::vector<std::string> reversed(state.args.rbegin(), state.args.rend());
  try {
    cli.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    throw InfoRequested{cli.help()};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  const auto extras = cli.remaining();
  if (extras.empty()) return;
  const std::string& word = extras.front();
  throw UsageError((!word.empty() && word[0] == '-' ? "unknown option '" : "unexpected argument '") + word + "'" +
                   " (see " + state.program + " --help)");
}

}  // namespace

struct App::State : AppCommandLine {
  std::optional<boost::mpi::environment> environment;  // when the App started MPI
  std::optional<boost::mpi::communicator> world;
};

App::App(int argc, char** argv, std::string description) : state_(std::make_unique<State>()) {
  state_->program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "taskfarm-app";
  for (int i = 1; i < argc; ++i) state_->args.emplace_back(argv[i]);
  state_->description = std::move(description);
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    prefer_fast_startup();
    state_->environment.emplace(argc, argv);
  }
  state_->world.emplace();
  log::set_rank(state_->world->rank());
  install_stop_signals();
}

App::~App() = default;

int App::rank() const { return state_->world ? state_->world->rank() : 0; }
int App::size() const { return state_->world ? state_->world->size() : 1; }

void App::add_option(detail::OptionSpec spec) {
  auto note = [&](const std::string& error) {
    if (state_->first_error.empty()) state_->first_error = error;
  };
  if (const auto engine = engine_option_named(spec.name))
    note("option " + spec.name + " of " + state_->program + " clashes with the engine option " + *engine +
         ": rename it");
  const auto& args = state_->args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") break;
    std::string error;
    if (args[i] == spec.name) {
      if (spec.is_flag) error = spec.assign("true");
      else if (i + 1 < args.size()) error = spec.assign(args[++i]);
      else error = "a value is needed";
    } else if (args[i].rfind(spec.name + "=", 0) == 0) {
      error = spec.assign(args[i].substr(spec.name.size() + 1));
    }
    if (!error.empty()) note(spec.name + ": " + error);
  }
  state_->options.push_back(std::move(spec));
}

int App::run_work(detail::Work& work) {
  const bool root = rank() == master_rank;
  try {
    Config config;
    std::unique_ptr<WorkJob> job;
    try {
      parse(*state_, config);
      config.job = state_->program;
      job = std::make_unique<WorkJob>(work, option_values(state_->options), config.output_dir.has_value());
      check_engine_options(config, job->roles());
    } catch (const InfoRequested& info) {
      if (root) std::cout << info.text << std::flush;
      return static_cast<int>(ExitCode::success);
    }
    FdSink out(STDOUT_FILENO);
    return run_job(*state_->world, config, job->roles(), out).exit_code;
  } catch (const Error& e) {  // a usage error, or one every rank agreed on: rank 0 says it
    if (root) log::error(e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    log::error(e.what());
  }
  state_->world->abort(static_cast<int>(ExitCode::runtime_error));
  return static_cast<int>(ExitCode::runtime_error);
}

// ---- Farm --------------------------------------------------------------------------

Farm::Farm(MPI_Comm comm, Options options) : options_(std::move(options)) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!initialised || finalised)
    throw UsageError("taskfarm::Farm needs MPI: construct it after MPI_Init and before MPI_Finalize");
  if (comm == MPI_COMM_NULL) throw UsageError("taskfarm::Farm: the communicator is MPI_COMM_NULL");
  MPI_Comm_dup(comm, &comm_);
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  log::set_rank(world_rank);
}

Farm::~Farm() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (comm_ != MPI_COMM_NULL && !finalised) MPI_Comm_free(&comm_);
}

int Farm::rank() const {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  return rank;
}

int Farm::size() const {
  int size = 0;
  MPI_Comm_size(comm_, &size);
  return size;
}

Report Farm::run_work(detail::Work& work) {
  WorkJob job(work, nlohmann::json::object({{"name", options_.name}}), options_.output.has_value());
  // Every rank checks the same Options: they throw alike, with the command line's words.
  Config config = config_from_options(options_, job.roles());
  // A communicator of its own for each map: nothing an earlier map left unreceived (one
  // that ended on an error) can match this one's messages.
  MPI_Comm run_comm = MPI_COMM_NULL;
  MPI_Comm_dup(comm_, &run_comm);
  boost::mpi::communicator comm(run_comm, boost::mpi::comm_take_ownership);
  NullSink quiet;
  FdSink out(STDOUT_FILENO);
  ResultSink& sink = work.shape == detail::Shape::lines ? static_cast<ResultSink&>(out) : quiet;
  last_report_ = public_report(run_job(comm, config, job.roles(), sink));
  return last_report_;
}

// ---- errors -----------------------------------------------------------------------

Error::~Error() = default;
UsageError::~UsageError() = default;
PermanentError::~PermanentError() = default;

}  // namespace taskfarm
