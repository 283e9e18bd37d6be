#pragma once
// How the master reaches its workers. One master loop (run_master) serves every mode:
//   MpiTransport (mpi/)     the workers are ranks 1..N-1, reached through a Channel;
//   LocalTransport (api/)   the one-rank mode: a single worker inside the master's process,
//                           which runs a batch when the master polls for its reply;
//   SimulatedTransport (sim/)  workers simulated for scripts/bench-scale.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.hpp"

namespace taskfarm {

/// The master's view of its workers (numbered 0..workers()-1).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int workers() const = 0;
  /// The rank that names worker `worker`'s files and report entry.
  virtual int worker_rank(int worker) const = 0;
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

}  // namespace taskfarm
