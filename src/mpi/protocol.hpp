#pragma once
// The only module that talks MPI. Everything above it moves byte buffers between ranks
// through a Channel: non-blocking sends whose buffers the Channel keeps alive until they
// complete, and a probe-based poll that never blocks. Queue semantics and timeouts are
// built on top of poll() by the master and worker loops.

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include <mpi.h>

#include <boost/mpi/communicator.hpp>

#include "core/messages.hpp"
#include "job/job.hpp"
#include "worker/group_runner.hpp"

namespace taskfarm {


/// Call before MPI starts. When mpirun started every rank on one node and nobody chose a
/// PML, picks Open MPI's ob1 (shared memory through vader): UCX's start-up probing costs
/// about 0.2 s per run, and ob1 is as fast for the farm's messages (measured). Started
/// without a launcher (a singleton), Open MPI need not start its runtime daemon, which
/// the farm never uses (it spawns no ranks): 0.3 s instead of 2.8 s here, for a run and
/// for a usage error alike.
void prefer_fast_startup();

/// Whether mpirun started more ranks on this node than it has cores: Open MPI then yields
/// the core on every probe that finds nothing.
bool ranks_outnumber_cores();

class Channel {
 public:
  explicit Channel(boost::mpi::communicator comm);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }

  /// Starts a non-blocking send of `body`. The channel owns the buffer until the send
  /// completes; completed buffers are recycled through take_buffer(). A body over 2 GiB
  /// (MPI's int count) is refused with std::runtime_error.
  void send(int dest, Tag tag, std::string body);
  /// Returns an empty buffer, reusing the memory of a completed send when possible.
  std::string take_buffer();
  /// Tests outstanding sends and recycles the completed ones. Returns how many remain.
  /// Cheap enough for every loop: the oldest sends each call, all of them every 16th.
  std::size_t progress_sends();
  /// Tests every outstanding send (MPI_Testsome). Returns how many remain.
  std::size_t progress_all_sends();
  /// Bytes of the sends to `dest` that have not completed: buffers the channel holds.
  std::size_t pending_bytes(int dest) const { return pending_bytes_[static_cast<std::size_t>(dest)]; }

  /// If a message is waiting (from `source`, or any rank when negative), receives it into
  /// `body` and returns its envelope. Never blocks.
  std::optional<Envelope> poll(std::string& body, int source = -1);

  /// Rank 0's `value` on every rank (a collective: every rank must call it). Ranks that
  /// wait long for it (a rank in no group, waiting for the run's end) sleep.
  std::int64_t broadcast_from_master(std::int64_t value);
  std::string broadcast_from_master(std::string value);
  /// Every rank's `text`, by rank, on rank 0 (empty elsewhere). A collective.
  std::vector<std::string> gather_on_master(const std::string& text);
  /// This rank's place among the ranks on its node that take part and give the same
  /// `key` (a GPU list, a cpuset): what they see alike, they split. A collective.
  NodeShare node_share(const std::string& key, bool takes_part);

  /// Each rank's node, named by the lowest rank on it, by rank. A collective.
  std::vector<int> node_ids();
  /// Every rank's `text`, by rank, on every rank. A collective.
  std::vector<std::string> all_gather(const std::string& text);
  /// MPI_Comm_split: the ranks giving the same `color` (none for a negative one, which
  /// gets MPI_COMM_NULL), ordered by `key`. A collective. The caller owns the result.
  MPI_Comm split(int color, int key);

  /// All-to-all among the workers (ranks 1..size-1, collectively): outgoing[i] goes to
  /// worker i (rank i + 1). Waits by polling with back-off.
  std::vector<std::string> exchange_among_workers(const std::vector<std::string>& outgoing);

  std::uint64_t messages_sent() const { return messages_sent_; }
  std::uint64_t messages_received() const { return messages_received_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }

  /// Ends the whole job from any rank (a rank that never answered cannot be joined).
  [[noreturn]] void abort(int exit_code);

 private:
  // Raw MPI requests on the hot path: a boost::mpi::request allocates a handler per
  // send, which costs a measurable share of a one-task message.
  struct PendingSend {
    MPI_Request request;
    std::string body;
    int dest;
  };
  boost::mpi::communicator comm_;
  MPI_Comm raw_comm() const { return static_cast<MPI_Comm>(comm_); }
  MPI_Comm workers_ = MPI_COMM_NULL;  // the workers only, for exchanges among them
  std::list<PendingSend> pending_;  // list: nodes, and so buffers, never move; FIFO order
  std::list<std::string> spare_buffers_;
  std::vector<std::size_t> pending_bytes_;  // by destination rank
  std::uint32_t progress_calls_ = 0;
  void recycle(std::list<PendingSend>::iterator send);
  std::uint64_t messages_sent_ = 0;
  std::uint64_t messages_received_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

/// One group's ranks (--ranks-per-task), over MPI: a communicator for the kernels and
/// one of the engine's own, so that the engine's collectives never meet a kernel's (a
/// kernel that threw before its collective leaves its group's other ranks in it).
class GroupComm final : public GroupLink {
 public:
  /// Takes ownership of `comm`, this rank's group. `patient`: waiting ranks sleep at once
  /// (their leader's tasks are processes that need the cores), rather than after a spin.
  GroupComm(MPI_Comm comm, RankGroup where, bool patient);
  GroupComm(const GroupComm&) = delete;
  GroupComm& operator=(const GroupComm&) = delete;
  ~GroupComm() override;
  const RankGroup& rank_group() const override { return where_; }
  void share(std::string_view message) override;
  void receive(std::string& message) override;
  std::vector<GroupFailure> agree(const std::vector<GroupFailure>& mine) override;

 private:
  std::uint64_t broadcast_size(std::uint64_t size);
  void broadcast_bytes(char* data, std::uint64_t size);
  void wait(MPI_Request& request) const;
  MPI_Comm kernels_ = MPI_COMM_NULL;
  MPI_Comm engine_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  RankGroup where_;
  bool patient_ = false;
};

}  // namespace taskfarm
