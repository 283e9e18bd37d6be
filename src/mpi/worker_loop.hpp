#pragma once
// Every rank but the master: receive, compute, reply over the Channel, until told to stop.

#include <cstdint>

#include "job/config.hpp"
#include "job/job.hpp"
#include "mpi/protocol.hpp"

namespace taskfarm {

/// Every other rank: receive, compute, reply, until told to stop. `rank` names its files
/// (its rank in the job); a group's leader runs each batch with its `group`.
void run_worker(Channel& channel, const JobRoles& job, const Config& config, std::uint32_t run, int rank,
                GroupLink* group = nullptr);

}  // namespace taskfarm
