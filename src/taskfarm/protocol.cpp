#include "taskfarm/protocol.hpp"

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/status.hpp>

#include <cstdlib>

namespace taskfarm {

namespace {
constexpr std::size_t max_spare_buffers = 64;
}

Channel::Channel(boost::mpi::communicator comm) : comm_(std::move(comm)) {}

Channel::~Channel() {
  // A send still pending here belongs to a peer that is gone; cancelling keeps
  // MPI_Finalize from waiting on it.
  for (auto& p : pending_) {
    if (!p.request.test()) p.request.cancel();
  }
}

void Channel::send(int dest, Tag tag, std::string body) {
  pending_.push_back(PendingSend{{}, std::move(body)});
  PendingSend& p = pending_.back();
  p.request = comm_.isend(dest, static_cast<int>(tag), p.body.data(), static_cast<int>(p.body.size()));
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
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->request.test()) {
      if (spare_buffers_.size() < max_spare_buffers) spare_buffers_.push_back(std::move(it->body));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return pending_.size();
}

std::optional<Envelope> Channel::poll(std::string& body, int source) {
  const int from = source < 0 ? boost::mpi::any_source : source;
  auto status = comm_.iprobe(from, boost::mpi::any_tag);
  if (!status) return std::nullopt;
  const int bytes = status->count<char>().value_or(0);
  body.resize(static_cast<std::size_t>(bytes));
  comm_.recv(status->source(), status->tag(), body.data(), bytes);
  ++messages_received_;
  return Envelope{status->source(), static_cast<Tag>(status->tag())};
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
