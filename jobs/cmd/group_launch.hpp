#pragma once
// cmd --ranks-per-task N: each task is started by its group's first rank, with what it
// needs to launch an MPI program on exactly its group's ranks: TASKFARM_NP,
// TASKFARM_HOSTS (host:count,...), TASKFARM_HOSTFILE (host slots=count lines) and
// TASKFARM_MPIRUN, a launcher prefix for the present environment (mpirun, or srun under
// Slurm, or --launcher). The task's environment lacks the variables the outer launcher set
// for this rank (PMIx's, Open MPI's runtime's): an mpirun that inherits them joins the
// outer job, or fails.

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "job/job.hpp"
#include "jobkit/process.hpp"

namespace taskfarm::cmd {

class GroupLaunch {
 public:
  GroupLaunch() = default;
  GroupLaunch(const GroupLaunch&) = delete;
  GroupLaunch& operator=(const GroupLaunch&) = delete;
  ~GroupLaunch();
  /// --launcher.
  void add_options(CLI::App& command);
  /// Throws UsageError for --launcher without groups.
  void check_options(std::uint32_t ranks_per_task) const;
  /// On a group's first rank: the variables for its group, the hostfile written.
  void start(const RankGroup& group);
  bool active() const { return !np_.empty(); }
  /// The task's variables.
  void give_to(ProcessSpec& spec) const;
  /// Whether an environment entry ("NAME=value") was set by the outer launcher for this
  /// rank, not by the user: such entries are dropped from the tasks' environment.
  static bool set_by_launcher(std::string_view entry);
  /// "host:count,..." for the hosts of a group, in its order (exposed for the tests).
  static std::string hosts_text(const RankGroup& group);
  /// The launcher prefix for a group in this environment (exposed for the tests).
  static std::string launcher_for(const RankGroup& group, bool under_slurm);

 private:
  std::optional<std::string> launcher_option_;
  std::string np_, hosts_, hostfile_, mpirun_;
};

}  // namespace taskfarm::cmd
