// cmd --ranks-per-task: what a task on a group of ranks is told (TASKFARM_HOSTS, the
// launcher) and which of the outer launcher's variables it does not inherit.

#include <gtest/gtest.h>

#include "cmd/group_launch.hpp"

namespace taskfarm::cmd {
namespace {

RankGroup group_on(std::vector<std::string> hosts, std::vector<std::string> cores = {}) {
  RankGroup group;
  group.size = static_cast<int>(hosts.size());
  group.hosts = std::move(hosts);
  group.cores = cores.empty() ? std::vector<std::string>(group.hosts.size()) : std::move(cores);
  return group;
}

TEST(GroupLaunch, HostsAreCountedInTheGroupsOrder) {
  EXPECT_EQ(GroupLaunch::hosts_text(group_on({"node3", "node3", "node3", "node3"})), "node3:4");
  EXPECT_EQ(GroupLaunch::hosts_text(group_on({"node3", "node3", "node4", "node4"})), "node3:2,node4:2");
  EXPECT_EQ(GroupLaunch::hosts_text(group_on({"b", "a", "b"})), "b:2,a:1");
}

TEST(GroupLaunch, TheLauncherStartsExactlyTheGroupsRanks) {
  EXPECT_EQ(GroupLaunch::launcher_for(group_on({"n1", "n1"}), false), "mpirun -n 2 --host n1:2 --bind-to none");
  // Bound ranks on one host: the inner job gets their cores.
  EXPECT_EQ(GroupLaunch::launcher_for(group_on({"n1", "n1"}, {"0", "1"}), false),
            "mpirun -n 2 --host n1:2 --cpu-set 0,1 --bind-to core");
  // Bound, but across hosts: a cpu-set would mean the same cores on each, so no binding.
  EXPECT_EQ(GroupLaunch::launcher_for(group_on({"n1", "n2"}, {"0", "1"}), false),
            "mpirun -n 2 --host n1:1,n2:1 --bind-to none");
  EXPECT_EQ(GroupLaunch::launcher_for(group_on({"n1", "n1", "n2", "n2"}), true),
            "srun --overlap --exact --mpi=pmix -n 4 -N 2 --nodelist=n1,n2");
}

TEST(GroupLaunch, TheOuterLaunchersVariablesAreDroppedAndTheUsersKept) {
  for (const char* entry : {"PMIX_RANK=0", "PMIX_SERVER_URI4=x", "OMPI_COMM_WORLD_RANK=1", "OMPI_MCA_orte_hnp_uri=x",
                            "OMPI_MCA_ess_base_vpid=0", "OMPI_MCA_ess=^singleton", "OMPI_MCA_pmix=^s1",
                            "OMPI_FILE_LOCATION=/tmp", "OMPI_UNIVERSE_SIZE=2", "OMPI_COMMAND=taskfarm"})
    EXPECT_TRUE(GroupLaunch::set_by_launcher(entry)) << entry;
  for (const char* entry : {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_plm_rsh_agent=ssh",
                            "OMPI_MCA_btl=tcp,self", "PMIX_MCA_gds=hash", "PATH=/usr/bin", "SLURM_JOB_ID=7"})
    EXPECT_FALSE(GroupLaunch::set_by_launcher(entry)) << entry;
}

}  // namespace
}  // namespace taskfarm::cmd
