#include "mpi/protocol.hpp"

#include <boost/mpi/collectives/all_gather.hpp>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/mpi/environment.hpp>

#include <climits>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/backoff.hpp"
#include "core/clock.hpp"

namespace taskfarm {

void prefer_fast_startup() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (size && local_size && std::string_view(size) == local_size && !std::getenv("OMPI_MCA_pml"))
    ::setenv("OMPI_MCA_pml", "ob1", 0);
  // No launcher's variables (mpirun's, or PMIx's under srun): a singleton.
  if (!size && !std::getenv("PMIX_RANK") && !std::getenv("PMI_RANK")) ::setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
}

bool ranks_outnumber_cores() {
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const unsigned cores = std::thread::hardware_concurrency();
  return local_size && cores > 0 && std::strtoul(local_size, nullptr, 10) > cores;
}

namespace {
// Enough to cover a burst of sends; more would only pin memory (batches can be 300 KB).
constexpr std::size_t max_spare_buffers = 8;
}

Channel::Channel(boost::mpi::communicator comm)
    : comm_(std::move(comm)), pending_bytes_(static_cast<std::size_t>(comm_.size()), 0) {
  MPI_Comm_split(raw_comm(), comm_.rank() == master_rank ? MPI_UNDEFINED : 0, comm_.rank(), &workers_);
}

Channel::~Channel() {
  if (workers_ != MPI_COMM_NULL) MPI_Comm_free(&workers_);
  // A buffer is never freed under a live send: a matched send cannot be cancelled, and
  // MPI may still read it. The sends get a moment to complete (their peers are usually
  // just receiving); those that do not belong to a peer that is stuck or gone, and keep
  // their buffers for good: the process is ending, or aborting.
  const auto deadline = clock::now() + seconds(1);
  Backoff backoff;
  while (progress_all_sends() > 0 && clock::now() < deadline) backoff.pause();
  for (auto& p : pending_) {
    MPI_Request_free(&p.request);
    new std::string(std::move(p.body));  // deliberately leaked: MPI may still read it
  }
}

void Channel::send(int dest, Tag tag, std::string body) {
  if (body.size() > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("a message of " + std::to_string(body.size()) + " bytes to rank " +
                             std::to_string(dest) + " is over MPI's limit of 2 GiB");
  pending_.push_back(PendingSend{MPI_REQUEST_NULL, std::move(body), dest});
  PendingSend& p = pending_.back();
  pending_bytes_[static_cast<std::size_t>(dest)] += p.body.size();
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

void Channel::recycle(std::list<PendingSend>::iterator send) {
  pending_bytes_[static_cast<std::size_t>(send->dest)] -= send->body.size();
  if (spare_buffers_.size() < max_spare_buffers) spare_buffers_.push_back(std::move(send->body));
  pending_.erase(send);
}

std::size_t Channel::progress_sends() {
  // Sends complete roughly in order; testing from the front and stopping at the first
  // incomplete one keeps this O(1) per call however deep the window is.
  while (!pending_.empty()) {
    int done = 0;
    MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE);
    if (!done) break;
    recycle(pending_.begin());
  }
  // Now and then every send, so that one send to a slow or stuck peer does not hold the
  // buffers of all the sends after it.
  if (pending_.size() > 1 && (++progress_calls_ & 15) == 0) progress_all_sends();
  return pending_.size();
}

std::size_t Channel::progress_all_sends() {
  if (pending_.empty()) return 0;
  std::vector<MPI_Request> requests;
  std::vector<std::list<PendingSend>::iterator> sends;
  requests.reserve(pending_.size());
  sends.reserve(pending_.size());
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    requests.push_back(it->request);
    sends.push_back(it);
  }
  std::vector<int> completed(requests.size());
  int count = 0;
  MPI_Testsome(static_cast<int>(requests.size()), requests.data(), &count, completed.data(), MPI_STATUSES_IGNORE);
  for (int i = 0; i < count; ++i) recycle(sends[static_cast<std::size_t>(completed[static_cast<std::size_t>(i)])]);
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

namespace {
void wait_politely(MPI_Request& request, Backoff::Limits limits = {}) {
  Backoff backoff(limits);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.pause();
  }
}
}  // namespace

std::vector<std::string> Channel::exchange_among_workers(const std::vector<std::string>& outgoing) {
  int workers = 0;
  MPI_Comm_size(workers_, &workers);
  std::vector<long long> send_counts(static_cast<std::size_t>(workers)), recv_counts(send_counts.size());
  for (int i = 0; i < workers; ++i) send_counts[i] = static_cast<long long>(outgoing.at(i).size());
  MPI_Request request;
  MPI_Ialltoall(send_counts.data(), 1, MPI_LONG_LONG, recv_counts.data(), 1, MPI_LONG_LONG, workers_, &request);
  wait_politely(request);

  std::vector<int> send_sizes(send_counts.size()), send_offsets(send_counts.size());
  std::vector<int> recv_sizes(send_counts.size()), recv_offsets(send_counts.size());
  std::string send_buf, recv_buf;
  for (int i = 0; i < workers; ++i) {
    if (send_counts[i] > INT32_MAX || recv_counts[i] > INT32_MAX || send_buf.size() > INT32_MAX)
      throw std::runtime_error("exchange among workers: more than 2 GiB between two ranks");
    send_offsets[i] = static_cast<int>(send_buf.size());
    send_sizes[i] = static_cast<int>(send_counts[i]);
    send_buf += outgoing[i];
    recv_offsets[i] = static_cast<int>(recv_buf.size());
    recv_sizes[i] = static_cast<int>(recv_counts[i]);
    recv_buf.resize(recv_buf.size() + static_cast<std::size_t>(recv_counts[i]));
  }
  MPI_Ialltoallv(send_buf.data(), send_sizes.data(), send_offsets.data(), MPI_BYTE, recv_buf.data(),
                 recv_sizes.data(), recv_offsets.data(), MPI_BYTE, workers_, &request);
  wait_politely(request);
  std::vector<std::string> incoming;
  for (int i = 0; i < workers; ++i) incoming.push_back(recv_buf.substr(recv_offsets[i], recv_sizes[i]));
  return incoming;
}

std::vector<std::string> Channel::gather_on_master(const std::string& text) {
  std::vector<std::string> all;
  boost::mpi::gather(comm_, text, all, master_rank);
  return all;
}

NodeShare Channel::node_share(const std::string& key, bool takes_part) {
  MPI_Comm raw_node = MPI_COMM_NULL;
  MPI_Comm_split_type(raw_comm(), MPI_COMM_TYPE_SHARED, comm_.rank(), MPI_INFO_NULL, &raw_node);
  const boost::mpi::communicator node(raw_node, boost::mpi::comm_take_ownership);
  const std::string mine = "+" + key;
  std::vector<std::string> keys;
  boost::mpi::all_gather(node, takes_part ? mine : std::string("-"), keys);
  NodeShare share{0, 0};
  for (int r = 0; r < node.size(); ++r) {
    if (keys[static_cast<std::size_t>(r)] != mine) continue;
    if (r < node.rank()) ++share.index;
    ++share.count;
  }
  return share;
}

std::int64_t Channel::broadcast_from_master(std::int64_t value) {
  MPI_Request request;
  MPI_Ibcast(&value, 1, MPI_INT64_T, master_rank, raw_comm(), &request);
  wait_politely(request);
  return value;
}

std::string Channel::broadcast_from_master(std::string value) {
  value.resize(static_cast<std::size_t>(broadcast_from_master(static_cast<std::int64_t>(value.size()))));
  MPI_Request request;
  MPI_Ibcast(value.data(), static_cast<int>(value.size()), MPI_BYTE, master_rank, raw_comm(), &request);
  wait_politely(request);
  return value;
}

std::vector<int> Channel::node_ids() {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(raw_comm(), MPI_COMM_TYPE_SHARED, comm_.rank(), MPI_INFO_NULL, &node);
  int lowest = comm_.rank();
  MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, node);
  MPI_Comm_free(&node);
  std::vector<int> ids(static_cast<std::size_t>(comm_.size()));
  MPI_Allgather(&lowest, 1, MPI_INT, ids.data(), 1, MPI_INT, raw_comm());
  return ids;
}

std::vector<std::string> Channel::all_gather(const std::string& text) {
  std::vector<std::string> all;
  boost::mpi::all_gather(comm_, text, all);
  return all;
}

MPI_Comm Channel::split(int color, int key) {
  MPI_Comm part = MPI_COMM_NULL;
  MPI_Comm_split(raw_comm(), color < 0 ? MPI_UNDEFINED : color, key, &part);
  return part;
}

void Channel::abort(int exit_code) {
  boost::mpi::environment::abort(exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

}  // namespace taskfarm

namespace taskfarm {

GroupComm::GroupComm(MPI_Comm comm, RankGroup where, bool patient)
    : kernels_(comm), where_(std::move(where)), patient_(patient) {
  MPI_Comm_dup(kernels_, &engine_);
  MPI_Comm_rank(kernels_, &rank_);
  MPI_Comm_size(kernels_, &size_);
  where_.comm = kernels_;
  where_.rank = rank_;
  where_.size = size_;
}

void GroupComm::wait(MPI_Request& request) const {
  wait_politely(request, patient_ ? Backoff::patient() : Backoff::Limits{});
}

GroupComm::~GroupComm() {
  MPI_Comm_free(&engine_);
  MPI_Comm_free(&kernels_);
}

/// The message's size, then its bytes, from the leader. Non-blocking collectives, tested
/// with back-off: a rank waiting for the next batch sleeps, and its core runs the tasks.
std::uint64_t GroupComm::broadcast_size(std::uint64_t size) {
  MPI_Request request;
  MPI_Ibcast(&size, 1, MPI_UINT64_T, 0, engine_, &request);
  wait(request);
  if (size > static_cast<std::uint64_t>(INT_MAX)) throw std::runtime_error("a batch over 2 GiB for a group");
  return size;
}

void GroupComm::broadcast_bytes(char* data, std::uint64_t size) {
  MPI_Request request;
  MPI_Ibcast(data, static_cast<int>(size), MPI_BYTE, 0, engine_, &request);
  wait(request);
}

void GroupComm::share(std::string_view message) {
  const std::uint64_t size = broadcast_size(message.size());
  broadcast_bytes(const_cast<char*>(message.data()), size);  // the root's buffer is only read
}

void GroupComm::receive(std::string& message) {
  message.resize(static_cast<std::size_t>(broadcast_size(0)));
  broadcast_bytes(message.data(), message.size());
}

std::vector<GroupFailure> GroupComm::agree(const std::vector<GroupFailure>& mine) {
  int failures = static_cast<int>(mine.size());
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, engine_, &request);
  wait(request);
  if (failures == 0) return {};
  std::string packed;
  put_group_failures(packed, mine);
  int bytes = static_cast<int>(packed.size());
  std::vector<int> sizes(static_cast<std::size_t>(size_)), offsets(sizes.size());
  MPI_Igather(&bytes, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, engine_, &request);
  wait(request);
  std::string all;
  if (rank_ == 0) {
    int at = 0;
    for (std::size_t r = 0; r < sizes.size(); at += sizes[r], ++r) offsets[r] = at;
    all.resize(static_cast<std::size_t>(at));
  }
  MPI_Igatherv(packed.data(), bytes, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0, engine_,
               &request);
  wait(request);
  if (rank_ != 0) return mine;
  return get_group_failures(all);
}

}  // namespace taskfarm
