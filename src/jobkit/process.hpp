#pragma once
// Running shell commands as tasks: /bin/sh -c LINE in a process group of its own, with
// its output captured (in memory, a large stdout in a spill file) or sent to files, a timeout that kills the whole group
// (TERM, then KILL after a grace period), and several commands at once. MPI-free.

#include <signal.h>
#include <sys/types.h>

#include <spawn.h>

#include <chrono>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/spill_file.hpp"

namespace taskfarm {

/// How one command ended.
struct ProcessOutcome {
  std::uint64_t ticket = 0;
  double start_epoch_s = 0;  // wall clock, for GNU parallel's joblog
  double run_s = 0;
  int exit_value = 0;        // as GNU parallel's joblog: -1 after a timeout
  int signal = 0;            // the signal that ended it, 0 if none
  bool timed_out = false;
  std::string stdout_text;   // captured output (empty when it went to files or was spilled)
  SpillFile stdout_spill;    // captured output beyond ProcessSlots::spill_above_bytes: all of it
  std::string spill_error;   // the spill file failed (a full disk): the output is lost
  std::string stderr_text;   // the first max_stderr_bytes, and a note of what was dropped
  std::uint64_t stdout_bytes = 0;  // wherever it went (the joblog's Receive column)
  // What the kernel counted for the process and the children it waited for (wait4).
  std::uint64_t peak_rss_kib = 0;
  double user_s = 0;
  double sys_s = 0;
  std::uint64_t read_bytes = 0;   // storage I/O: blocks in and out, times 512
  std::uint64_t write_bytes = 0;
  bool ok() const { return exit_value == 0 && signal == 0 && !timed_out; }
};

struct ProcessSpec {
  std::string command;                                     // run as /bin/sh -c command
  std::vector<std::pair<std::string, std::string>> env;    // added to (or replacing in) the environment
  std::optional<std::string> stdout_path, stderr_path;     // files; otherwise captured
  std::vector<int> cpus;                                   // pinned to these cores; empty: inherited
};

/// posix_spawn's file actions and attributes, destroyed with it.
struct SpawnSetup;

class ProcessSlots {
 public:
  /// Captured stdout beyond this goes to a spill file (a task may print gigabytes).
  static constexpr std::size_t spill_above_bytes = 8 << 20;
  /// Captured stderr beyond this is dropped, and the drop noted.
  static constexpr std::size_t max_stderr_bytes = 1 << 20;
  /// `timeout_s` 0 means no limit; `grace_s` is the wait between TERM and KILL.
  explicit ProcessSlots(double timeout_s = 0, double grace_s = 1.0);
  ProcessSlots(const ProcessSlots&) = delete;
  ProcessSlots& operator=(const ProcessSlots&) = delete;
  /// Kills whatever still runs.
  ~ProcessSlots();

  /// Commands start without the variables of this process's environment that `drop`
  /// names (given each "NAME=value").
  void drop_environment(const std::function<bool(std::string_view)>& drop);
  /// Starts a command; throws std::system_error if it cannot be started.
  void start(std::uint64_t ticket, const ProcessSpec& spec);
  /// Waits up to `wait_s` for commands to end (returns as soon as one has); appends them.
  void reap(std::vector<ProcessOutcome>& ended, double wait_s);
  std::size_t running() const { return children_.size(); }

 private:
  struct Child {
    ProcessOutcome outcome;
    pid_t pid = -1;
    int pidfd = -1;
    int pipes[2] = {-1, -1};  // read ends for stdout and stderr, when captured
    int files[2] = {-1, -1};  // output files, when not captured (for their sizes)
    std::chrono::steady_clock::time_point started;
    int signals_sent = 0;     // 0, 1 after TERM, 2 after KILL
    std::uint64_t stderr_dropped = 0;
    std::chrono::steady_clock::time_point next_signal_at;
  };
  std::vector<char*> environment_for(const ProcessSpec& spec, std::vector<std::string>& task_vars);
  static void redirect(Child& child, const ProcessSpec& spec, posix_spawn_file_actions_t& actions,
                       int (&child_ends)[2]);
  static void release(Child& child, int (&child_ends)[2]);
  static int spawn_pinned(Child& child, const ProcessSpec& spec, SpawnSetup& setup, std::vector<char*>& envp,
                          int (&child_ends)[2]);
  void read_available(Child& child, int stream);
  static void capture(Child& child, int stream, const char* data, std::size_t size);
  void enforce_timeout(Child& child, std::chrono::steady_clock::time_point now);
  bool try_finish(Child& child, std::vector<ProcessOutcome>& ended);

  double timeout_s_;
  double grace_s_;
  std::vector<Child> children_;
  std::vector<std::string> base_env_;  // this process's environment at construction
  // base_env_ without the variables a task sets, for the names of the last spec: every
  // task of a job sets the same names, so this is built once.
  std::vector<std::string> filtered_names_;
  std::vector<char*> filtered_env_;
  sigset_t ignored_signals_;  // exec keeps these ignored: the child gets them back
};

}  // namespace taskfarm
