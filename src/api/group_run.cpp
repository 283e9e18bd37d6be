// Tasks on groups of ranks (--ranks-per-task N): the groups are formed once, then each
// rank plays its part. The master and the groups' leaders run the usual farm on a
// communicator of their own (the master sees each group as one worker); a group's other
// ranks follow their leader (group_runner.hpp); ranks in no group wait for the end.

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>

#include "api/farm.hpp"
#include "core/groups.hpp"
#include "core/log.hpp"
#include "core/monitor.hpp"
#include "master/master.hpp"
#include "mpi/mpi_transport.hpp"
#include "mpi/worker_loop.hpp"
#include "resume/output_dir.hpp"

namespace taskfarm {

namespace {

/// A group's rank that is not its leader: runs the leader's batches until it stops.
void follow_leader(GroupComm& group, const JobRoles& job, const Config& config, std::uint32_t run, int rank,
                   int groups) {
  if (config.output_dir) mark_stop_signal_in(stop_marker_path(*config.output_dir, rank, run));
  log::set_narrating(config.verbose);
  job.kernel->start(KernelPlace{rank, groups, group.rank_group()});
  follow_group(*job.kernel, group, job.submits, config.profile.limits);
}

/// "HOST<TAB>CORES": this rank's host, and its cores when it is bound to fewer than the
/// host has (empty otherwise).
std::string this_rank_place() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string cores;
  cpu_set_t set;
  CPU_ZERO(&set);
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < online)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cores += (cores.empty() ? "" : ",") + std::to_string(cpu);
  return std::string(host) + "\t" + cores;
}

/// Where the ranks of `members` run (RankGroup's hosts and cores), from every rank's place.
RankGroup placed(const std::vector<int>& members, const std::vector<std::string>& places) {
  RankGroup where;
  for (const int rank : members) {
    const std::string& place = places[static_cast<std::size_t>(rank)];
    const auto tab = place.find('\t');
    where.hosts.push_back(place.substr(0, tab));
    where.cores.push_back(place.substr(tab + 1));
  }
  return where;
}

void say_who_idles(const GroupLayout& layout, int workers) {
  if (layout.idle.empty()) return;
  std::string ranks;
  for (const int rank : layout.idle) ranks += (ranks.empty() ? "" : ",") + std::to_string(rank);
  const bool one = layout.idle.size() == 1;
  log::line((one ? "rank " : "ranks ") + ranks + (one ? " runs" : " run") + " no task: " + std::to_string(workers) +
            " worker ranks make " + std::to_string(layout.groups.size()) +
            (layout.groups.size() == 1 ? " group of " : " groups of ") + std::to_string(layout.ranks_per_task));
}

/// The report speaks of the job's ranks, not of the leaders' communicator.
void describe_groups(RunReport& report, const GroupLayout& layout, int ranks) {
  report.ranks = ranks;
  report.workers = static_cast<int>(layout.groups.size() * layout.ranks_per_task);
  report.ranks_per_task = layout.ranks_per_task;
  report.groups = layout.groups;
  report.idle_ranks = layout.idle;
}

}  // namespace

std::optional<RunReport> run_in_groups(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink) {
  const GroupLayout layout = plan_groups(channel.node_ids(), config.ranks_per_task);
  const std::vector<std::string> places = channel.all_gather(this_rank_place());
  const int rank = channel.rank();
  const int group = layout.group_of(rank);
  const bool master = rank == master_rank;
  const bool leads = layout.leads(rank);
  // Each group's communicator, its ranks in the group's order; then the leaders' (with
  // the master), in rank order, which is the order of layout.groups.
  int place = 0;
  if (group >= 0) {
    const auto& members = layout.groups[static_cast<std::size_t>(group)];
    place = static_cast<int>(std::find(members.begin(), members.end(), rank) - members.begin());
  }
  const MPI_Comm group_comm = channel.split(group, place);
  const MPI_Comm leaders_comm = channel.split(master || leads ? 0 : -1, rank);
  const int groups = static_cast<int>(layout.groups.size());
  if (master) {
    say_who_idles(layout, channel.size() - 1);
    Channel leaders(boost::mpi::communicator(leaders_comm, boost::mpi::comm_take_ownership));
    std::vector<int> leader_ranks;
    for (const auto& members : layout.groups) leader_ranks.push_back(members.front());
    MpiTransport transport(leaders, leader_ranks);
    RunReport report = run_master(transport, job, std::move(source), config, plan, sink);
    describe_groups(report, layout, channel.size());
    return report;
  }
  if (group < 0) return std::nullopt;  // left over: wait for the run's end
  // A job of process slots (cmd) runs each task from the leader: the others only wait.
  GroupComm link(group_comm, placed(layout.groups[static_cast<std::size_t>(group)], places), config.profile.patient);
  if (!leads) {
    follow_leader(link, job, config, plan.run, rank, groups);
    return std::nullopt;
  }
  if (config.output_dir)
    write_group_list(*config.output_dir, rank, plan.run, layout.groups[static_cast<std::size_t>(group)]);
  Channel leaders(boost::mpi::communicator(leaders_comm, boost::mpi::comm_take_ownership));
  run_worker(leaders, job, config, plan.run, rank, &link);
  return std::nullopt;
}

}  // namespace taskfarm
