#pragma once
// The master's Transport in the one-rank mode: its one worker, a WorkerCore, runs inside
// the master's process.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "job/config.hpp"
#include "job/job.hpp"
#include "master/transport.hpp"
#include "worker/worker_core.hpp"

namespace taskfarm {

/// The one-rank mode: the master is its own single worker. A batch runs when the master
/// polls for its reply, so the master's loop (stop signals, progress, journal) runs
/// between batches. An error of the worker's (its part file) comes as Tag::failure, as
/// from a worker rank.
class LocalTransport final : public Transport {
 public:
  LocalTransport(const JobRoles& job, const Config& config, std::uint32_t run)
      : core_(job, config, run, master_rank, 1) {}
  int workers() const override { return 1; }
  int worker_rank(int) const override { return master_rank; }
  std::string take_buffer() override { return {}; }
  void send(int worker, Tag tag, std::string body) override;
  std::optional<Envelope> poll(std::string& body, std::optional<int> from = std::nullopt) override;
  std::size_t progress_sends() override { return 0; }
  std::size_t unsent_bytes(int) const override { return 0; }
  std::uint64_t bytes_sent() const override { return 0; }
  std::uint64_t messages() const override { return 0; }

 private:
  void run_held_batches();
  WorkerCore core_;
  clock::time_point start_ = clock::now();
  std::deque<std::pair<Tag, std::string>> to_master_;
  bool failed_ = false;  // the worker reported an error: it runs nothing more
};

}  // namespace taskfarm
