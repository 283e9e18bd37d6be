#include "group_launch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace taskfarm::cmd {

namespace {

/// The group's hosts with their rank counts, in the group's order.
std::vector<std::pair<std::string, int>> host_counts(const RankGroup& group) {
  std::vector<std::pair<std::string, int>> counts;
  for (const std::string& host : group.hosts) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == host; });
    if (it == counts.end()) counts.emplace_back(host, 1);
    else ++it->second;
  }
  return counts;
}

/// Whether every rank of the group is bound to cores, all on one host: then the inner
/// job is bound to those cores.
std::string group_cores(const RankGroup& group) {
  std::string cores;
  for (std::size_t i = 0; i < group.cores.size(); ++i) {
    if (group.cores[i].empty() || group.hosts[i] != group.hosts.front()) return {};
    cores += (cores.empty() ? "" : ",") + group.cores[i];
  }
  return cores;
}

}  // namespace

GroupLaunch::~GroupLaunch() {
  if (!hostfile_.empty()) ::unlink(hostfile_.c_str());
}

void GroupLaunch::add_options(CLI::App& command) {
  command.add_option("--launcher", launcher_option_,
                     "With --ranks-per-task: the launcher prefix TASKFARM_MPIRUN holds (default: mpirun -n N --host "
                     "... for the group's ranks, or srun --overlap --exact ... under Slurm)");
}

void GroupLaunch::check_options(std::uint32_t ranks_per_task) const {
  if (launcher_option_ && ranks_per_task <= 1)
    throw UsageError("--launcher: only with --ranks-per-task 2 or more (a task on a group of ranks)");
}

bool GroupLaunch::set_by_launcher(std::string_view entry) {
  if (entry.substr(0, 9) == "PMIX_MCA_") return false;  // the user's PMIx settings, as OMPI_MCA_ are theirs
  static constexpr std::string_view prefixes[] = {
      "PMIX_", "OMPI_COMM_WORLD_", "OMPI_MCA_orte_", "OMPI_MCA_ess", "OMPI_MCA_pmix", "OMPI_MCA_initial_wdir=",
      "OMPI_MCA_shmem_RUNTIME_QUERY_hint=", "OMPI_MCA_mpi_oversubscribe=", "OMPI_APP_CTX_", "OMPI_COMMAND=",
      "OMPI_ARGV=", "OMPI_FILE_LOCATION=", "OMPI_FIRST_RANKS=", "OMPI_NUM_APP_CTX=", "OMPI_UNIVERSE_SIZE="};
  for (const std::string_view prefix : prefixes)
    if (entry.substr(0, prefix.size()) == prefix) return true;
  return false;
}

std::string GroupLaunch::hosts_text(const RankGroup& group) {
  std::string text;
  for (const auto& [host, count] : host_counts(group)) text += (text.empty() ? "" : ",") + host + ":" + std::to_string(count);
  return text;
}

std::string GroupLaunch::launcher_for(const RankGroup& group, bool under_slurm) {
  const std::string n = std::to_string(group.size);
  if (under_slurm) {
    std::string nodes;
    for (const auto& [host, count] : host_counts(group)) nodes += (nodes.empty() ? "" : ",") + host;
    return "srun --overlap --exact --mpi=pmix -n " + n + " -N " + std::to_string(host_counts(group).size()) +
           " --nodelist=" + nodes;
  }
  const std::string cores = group_cores(group);
  return "mpirun -n " + n + " --host " + hosts_text(group) +
         (cores.empty() ? " --bind-to none" : " --cpu-set " + cores + " --bind-to core");
}

void GroupLaunch::start(const RankGroup& group) {
  np_ = std::to_string(group.size);
  hosts_ = hosts_text(group);
  hostfile_ = (std::filesystem::temp_directory_path() / ("taskfarm-group-" + std::to_string(::getpid()) + ".hosts")).string();
  std::ofstream file(hostfile_);
  for (const auto& [host, count] : host_counts(group)) file << host << " slots=" << count << '\n';
  if (!file.flush()) throw std::runtime_error("cannot write the group's hostfile " + hostfile_);
  mpirun_ = launcher_option_ ? *launcher_option_ : launcher_for(group, std::getenv("SLURM_STEP_ID") != nullptr);
}

void GroupLaunch::give_to(ProcessSpec& spec) const {
  spec.env.emplace_back("TASKFARM_NP", np_);
  spec.env.emplace_back("TASKFARM_HOSTS", hosts_);
  spec.env.emplace_back("TASKFARM_HOSTFILE", hostfile_);
  spec.env.emplace_back("TASKFARM_MPIRUN", mpirun_);
}

}  // namespace taskfarm::cmd
