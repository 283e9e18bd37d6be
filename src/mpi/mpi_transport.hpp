#pragma once
// The master's Transport over MPI: worker i is rank i + 1 of a Channel (or of a list).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "master/transport.hpp"
#include "mpi/protocol.hpp"

namespace taskfarm {

class MpiTransport final : public Transport {
 public:
  /// `ranks`: each worker's rank in the job, when the channel holds only some of its
  /// ranks (the groups' leaders); by default worker i is the channel's rank i + 1.
  explicit MpiTransport(Channel& channel, std::vector<int> ranks = {}) : channel_(channel), ranks_(std::move(ranks)) {}
  int workers() const override;
  int worker_rank(int worker) const override {
    return ranks_.empty() ? worker + 1 : ranks_[static_cast<std::size_t>(worker)];
  }
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

}  // namespace taskfarm
