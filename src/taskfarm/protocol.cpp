#include "taskfarm/protocol.hpp"

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/environment.hpp>

#include <cstdlib>

namespace taskfarm {

namespace {
// Enough to cover a burst of sends; more would only pin memory (batches can be 300 KB).
constexpr std::size_t max_spare_buffers = 8;
}

Channel::Channel(boost::mpi::communicator comm) : comm_(std::move(comm)) {}

Channel::~Channel() {
  // A send still pending here belongs to a peer that is gone; cancelling keeps
  // MPI_Finalize from waiting on it.
  for (auto& p : pending_) {
    int done = 0;
    MPI_Test(&p.request, &done, MPI_STATUS_IGNORE);
    if (!done) {
      MPI_Cancel(&p.request);
      MPI_Request_free(&p.request);
    }
  }
}

void Channel::send(int dest, Tag tag, std::string body) {
  pending_.push_back(PendingSend{MPI_REQUEST_NULL, std::move(body)});
  PendingSend& p = pending_.back();
  MPI_Isend(p.body.data(), static_cast<int>(p.body.size()), MPI_BYTE, dest, static_cast<int>(tag), raw_comm(),
            &p.request);
  ++messages_sent_;
  bytes_sent_ += p.body.size();
}

std::string Channel::take_buffer() {
  if (spare_buffers_.empty()) return {};
  std::string buf = std::move(spare_buffers_.front());
  spare_buffers_.pop_front();
  buf.clear();
  return buf;
}

std::size_t Channel::progress_sends() {
  // Sends complete roughly in order; testing from the front and stopping at the first
  // incomplete one keeps this O(1) per call however deep the window is.
  while (!pending_.empty()) {
    int done = 0;
    MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE);
    if (!done) break;
    if (spare_buffers_.size() < max_spare_buffers) spare_buffers_.push_back(std::move(pending_.front().body));
    pending_.pop_front();
  }
  return pending_.size();
}

std::optional<Envelope> Channel::poll(std::string& body, int source) {
  int waiting = 0;
  MPI_Message message;
  MPI_Status status;
  // Matched probe: the message we size is the message we receive.
  MPI_Improbe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, raw_comm(), &waiting, &message, &status);
  if (!waiting) return std::nullopt;
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  body.resize(static_cast<std::size_t>(bytes));
  MPI_Mrecv(body.data(), bytes, MPI_BYTE, &message, MPI_STATUS_IGNORE);
  ++messages_received_;
  return Envelope{status.MPI_SOURCE, static_cast<Tag>(status.MPI_TAG)};
}

int Channel::broadcast_from_master(int value) {
  boost::mpi::broadcast(comm_, value, master_rank);
  return value;
}

void Channel::abort(int exit_code) {
  boost::mpi::environment::abort(exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

}  // namespace taskfarm
