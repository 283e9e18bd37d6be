// The public API (include/taskfarm/taskfarm.hpp) on the engine: App and Farm turn the
// user's typed source and kernel (type-erased in the header as detail::Work) into job
// roles the engine runs like any built-in job's.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/app.hpp"
#include "taskfarm/cli.hpp"
#include "taskfarm/engine_options.hpp"
#include "taskfarm/hosted.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/monitor.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/protocol.hpp"
#include "taskfarm/taskfarm.hpp"

namespace taskfarm {

namespace {

// The task a kernel runs on this thread (this_task()). Set for every task: initial-exec
// TLS is a plain store (the library is linked, not dlopen'ed), where the default model
// would call __tls_get_addr.
[[gnu::tls_model("initial-exec")]] thread_local TaskInfo current_task;
// Whether -v was given on this rank (narrating()): read by kernels for every task, so one load.
bool verbose_kernels = false;
// The ranks this rank runs tasks with (--ranks-per-task): itself alone unless in a group.
Group task_group;

/// The user's source, kernel and root side as an engine job's roles.
class ApiJob final : public JobSource, public Kernel, public ResultHandler, public Folding {
 public:
  ApiJob(detail::Work& work, nlohmann::json parameters, bool has_output_dir)
      : work_(work), parameters_(std::move(parameters)), part_files_(has_output_dir && work.shape != detail::Shape::to_root) {
    work_.kernel->fold_in_batches(has_output_dir);
  }
  JobRoles roles() {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    // Results go to rank 0's sink or fold, unless a fold's partial values are in part files.
    if (work_.root && !part_files_) roles.results = this;
    if (work_.shape == detail::Shape::fold) roles.fold = this;
    roles.part_files = work_.shape != detail::Shape::to_root;
    roles.submits = work_.submits;
    return roles;
  }

  std::unique_ptr<TaskSource> open() override { return std::move(work_.stream); }
  std::string describe(std::string_view payload) const override { return work_.kernel->describe(payload); }
  nlohmann::json parameters() const override { return parameters_; }

  void start(int, int) override {
    verbose_kernels = Kernel::narrating();
    task_group = Group();  // alone, unless start_group() follows
  }
  void run(const TaskView& task, std::string& out) override {
    current_task = TaskInfo{task.id, task.attempt};
    work_.kernel->run(task.payload, out);
  }
  void end_batch(std::string& out) override { work_.kernel->end_batch(out); }
  void start_group(const RankGroup& group) override {
    task_group = Group(group.comm, group.rank, group.size);
    work_.kernel->stage_results(true);
  }
  void commit(std::string_view staged, std::string& out) override { work_.kernel->commit(staged, out); }
  bool runs_on_groups() const override { return true; }
  void submit_into(detail::Submissions* to) override { work_.kernel->submit_into(to); }

  void deliver(const ResultView& result, ResultSink&) override {
    if (result.status == TaskStatus::ok) work_.root->deliver(result.data);
  }

  std::string fold_value(const std::vector<PartSlice>& parts) override {
    for (const PartSlice& part : parts) {
      std::string bytes(part.bytes, '\0');
      std::ifstream in(part.path, std::ios::binary);
      if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw std::runtime_error("cannot read the partial values in " + part.path);
      std::string_view records = bytes;
      while (!records.empty()) {
        const auto size = codec<std::uint64_t>::decode(records);
        if (size > records.size()) throw std::runtime_error(part.path + ": a partial value is cut short");
        work_.root->add_partial(records.substr(0, static_cast<std::size_t>(size)));
        records.remove_prefix(static_cast<std::size_t>(size));
      }
    }
    return work_.root->value_text();
  }

 private:
  detail::Work& work_;
  nlohmann::json parameters_;
  bool part_files_;
};

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

struct App::State {
  std::vector<std::string> args;  // argv[1..]
  std::string program;            // argv[0]'s file name; "taskfarm JOB" when hosted
  std::string job;                // the run's name: the program's, or the hosted job's
  bool hosted = false;            // a built-in job of the taskfarm program: prepared, not run
  // What a hosted run() prepared, for the program to run.
  std::optional<Config> config;
  std::unique_ptr<detail::Work> work;
  std::unique_ptr<ApiJob> api_job;
  std::string description;
  std::vector<detail::OptionSpec> options;
  std::string first_error;        // of option(): reported by run()
  std::optional<boost::mpi::environment> environment;  // when the App started MPI
  std::optional<boost::mpi::communicator> world;
  void parse(Config& config) const;
  nlohmann::json parameters() const;
};

App::App(int argc, char** argv, std::string description) : state_(std::make_unique<State>()) {
  state_->program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "taskfarm-app";
  state_->job = state_->program;
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

App::App(detail::Hosted, std::vector<std::string> args, std::string job, std::string description)
    : state_(std::make_unique<State>()) {
  state_->args = std::move(args);
  state_->program = "taskfarm " + job;
  state_->job = std::move(job);
  state_->description = std::move(description);
  state_->hosted = true;
  int initialised = 0;
  MPI_Initialized(&initialised);  // the program's MPI (unit tests parse without it)
  if (initialised) state_->world.emplace();
}

App::~App() = default;

int App::rank() const { return state_->world ? state_->world->rank() : 0; }
int App::size() const { return state_->world ? state_->world->size() : 1; }

void App::add_option(detail::OptionSpec spec) {
  auto note = [&](const std::string& error) {
    if (state_->first_error.empty()) state_->first_error = error;
  };
  if (const auto engine = engine_option_named(spec.name))
    note("option " + spec.name + " of " + state_->job + " clashes with the engine option " + *engine +
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

/// The user's options, then the engine's, in one command line: parsed into `config`.
/// Throws UsageError or InfoRequested.
void App::State::parse(Config& into) const {
  if (!first_error.empty()) throw UsageError(first_error);
  CLI::App cli{description, program};
  cli.allow_extras();
  cli.set_help_flag();  // added again below: the user's options come first in --help
  cli.footer("Exit codes: 0 all tasks done, 1 some tasks failed, 2 usage error, 3 incomplete and resumable "
             "(signal, result timeout), 4 runtime error, 5 done but a stuck rank was aborted.");
  for (const auto& spec : options) {
    CLI::Option* option = spec.is_flag ? cli.add_flag(spec.name, spec.help)
                                       : cli.add_option(spec.name, spec.help)->check(CLI::Validator(
                                             [check = spec.check](std::string& text) { return check(text); }, ""));
    option->default_str(spec.current())->group("Options of " + program)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (!spec.is_flag) option->type_name(spec.type_name);
  }
  cli.set_help_flag("-h,--help", "Print this help message and exit");
  add_engine_options(cli, into);
  for (CLI::Option* option : cli.get_options())
    if (option->get_group() == "Options") option->group("Engine options (as in the taskfarm program)");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
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
  const std::string where = hosted ? " for job " + job : "";
  throw UsageError((!word.empty() && word[0] == '-' ? "unknown option '" : "unexpected argument '") + word + "'" +
                   where + " (see " + program + " --help)");
}

/// The run's identity: every option's value as the run starts (defaults and values the
/// program computed included).
nlohmann::json App::State::parameters() const {
  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& spec : options) {
    const std::string key = spec.name.substr(spec.name.find_first_not_of('-'));
    parameters[key] = spec.type_name == "TEXT" ? nlohmann::json(spec.current()) : nlohmann::json::parse(spec.current());
  }
  return parameters;
}

int App::run_work(detail::Work& stack_work) {
  const bool root = rank() == master_rank;
  // A hosted job is run after main() returns: its Work must outlive run()'s frame.
  if (state_->hosted) state_->work = std::make_unique<detail::Work>(std::move(stack_work));
  detail::Work& work = state_->hosted ? *state_->work : stack_work;
  try {
    Config config;
    std::unique_ptr<ApiJob> job;
    try {
      state_->parse(config);
      config.job = state_->job;
      job = std::make_unique<ApiJob>(work, state_->parameters(), config.output_dir.has_value());
      check_engine_options(config, job->roles());
    } catch (const InfoRequested& info) {
      if (state_->hosted) throw;  // the program answers
      if (root) std::cout << info.text << std::flush;
      return static_cast<int>(ExitCode::success);
    }
    if (state_->hosted) {
      state_->api_job = std::move(job);
      state_->config = config;
      return static_cast<int>(ExitCode::success);
    }
    FdSink out(STDOUT_FILENO);
    return run_job(*state_->world, config, job->roles(), out).exit_code;
  } catch (const Error& e) {  // a usage error, or one every rank agreed on: rank 0 says it
    if (state_->hosted) throw;  // the program answers
    if (root) log::error(e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    if (state_->hosted) throw;
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
  ApiJob job(work, nlohmann::json::object({{"name", options_.name}}), options_.output.has_value());
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

// ---- errors and a kernel's view ---------------------------------------------------

Error::~Error() = default;
UsageError::~UsageError() = default;
PermanentError::~PermanentError() = default;

TaskInfo this_task() { return current_task; }

const Group& detail::current_group() { return task_group; }

void narrate(std::string_view text) {
  if (verbose_kernels) log::line(text);
}

bool narrating() { return verbose_kernels; }

// ---- the taskfarm program's built-in jobs on the API -----------------------------------

bool detail::AppAccess::prepared(const App& app) { return app.state_->api_job != nullptr; }
Config detail::AppAccess::config(const App& app) { return *app.state_->config; }
JobRoles detail::AppAccess::roles(App& app) { return app.state_->api_job->roles(); }

}  // namespace taskfarm
