#include "api/farm.hpp"

#include "api/local_transport.hpp"
#include "master/master.hpp"
#include "mpi/mpi_transport.hpp"
#include "mpi/worker_loop.hpp"

namespace taskfarm {

std::optional<RunReport> run_this_rank(Channel& channel, const JobRoles& job, std::unique_ptr<TaskSource> source,
                                       const Config& config, const RunPlan& plan, ResultSink& sink) {
  if (config.ranks_per_task > 1) return run_in_groups(channel, job, std::move(source), config, plan, sink);
  if (channel.rank() != master_rank) {
    run_worker(channel, job, config, plan.run, channel.rank());
    return std::nullopt;
  }
  if (channel.size() == 1) {
    LocalTransport alone(job, config, plan.run);
    return run_master(alone, job, std::move(source), config, plan, sink);
  }
  MpiTransport workers(channel);
  return run_master(workers, job, std::move(source), config, plan, sink);
}

}  // namespace taskfarm
