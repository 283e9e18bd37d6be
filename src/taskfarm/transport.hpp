#pragma once
// How the master reaches its workers. One master loop (run_master) serves both modes:
//   MpiTransport    the workers are ranks 1..N-1, reached through a Channel;
//   LocalTransport  the one-rank mode: a single worker inside the master's process, which
//                   runs a batch when the master polls for its reply.
// The worker side of both is WorkerCore (worker_core.hpp).

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "taskfarm/clock.hpp"
#include "taskfarm/config.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/messages.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/pipeline.hpp"
#include "taskfarm/worker_core.hpp"

namespace taskfarm {

class Channel;

/// The master's view of its workers (numbered 0..workers()-1).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int workers() const = 0;
  /// The rank that names worker `worker`'s files and report entry.
  virtual int worker_rank(int worker) const = 0;
  /// Whether the worker runs inside the master's process (the one-rank mode).
  virtual bool in_process() const = 0;
  /// Ranks and workers as the report gives them (the one-rank mode: 1 rank, 0 workers).
  int ranks() const { return in_process() ? 1 : workers() + 1; }
  int reported_workers() const { return in_process() ? 0 : workers(); }
  /// An empty buffer, reusing the memory of a completed send when possible.
  virtual std::string take_buffer() = 0;
  virtual void send(int worker, Tag tag, std::string body) = 0;
  /// A message from a worker (from worker `from` only, if given), if one is waiting;
  /// Envelope::source is the worker's number.
  virtual std::optional<Envelope> poll(std::string& body, std::optional<int> from = std::nullopt) = 0;
  /// Completes what sends it can; returns how many are still outstanding.
  virtual std::size_t progress_sends() = 0;
  /// Bytes of the sends to `worker` still held for MPI (not completed).
  virtual std::size_t unsent_bytes(int worker) const = 0;
  virtual std::uint64_t bytes_sent() const = 0;
  virtual std::uint64_t messages() const = 0;
};

class MpiTransport final : public Transport {
 public:
  /// `ranks`: each worker's rank in the job, when the channel holds only some of its
  /// ranks (the groups' leaders); by default worker i is the channel's rank i + 1.
  explicit MpiTransport(Channel& channel, std::vector<int> ranks = {}) : channel_(channel), ranks_(std::move(ranks)) {}
  int workers() const override;
  int worker_rank(int worker) const override {
    return ranks_.empty() ? worker + 1 : ranks_[static_cast<std::size_t>(worker)];
  }
  bool in_process() const override { return false; }
  std::string take_buffer() override;
  void send(int worker, Tag tag, std::string body) override;
  std::optional<Envelope> poll(std::string& body, std::optional<int> from = std::nullopt) override;
  std::size_t progress_sends() override;
  std::size_t unsent_bytes(int worker) const override;
  std::uint64_t bytes_sent() const override;
  std::uint64_t messages() const override;

 private:
  Channel& channel_;
  std::vector<int> ranks_;
};

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
  bool in_process() const override { return true; }
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
