#include "mpi/mpi_transport.hpp"

namespace taskfarm {

int MpiTransport::workers() const { return channel_.size() - 1; }
std::string MpiTransport::take_buffer() { return channel_.take_buffer(); }
void MpiTransport::send(int worker, Tag tag, std::string body) { channel_.send(worker + 1, tag, std::move(body)); }
std::optional<Envelope> MpiTransport::poll(std::string& body, std::optional<int> from) {
  auto envelope = channel_.poll(body, from ? *from + 1 : -1);
  if (envelope) envelope->source -= 1;  // rank -> worker
  return envelope;
}
std::size_t MpiTransport::progress_sends() { return channel_.progress_sends(); }
std::size_t MpiTransport::unsent_bytes(int worker) const { return channel_.pending_bytes(worker + 1); }
std::uint64_t MpiTransport::bytes_sent() const { return channel_.bytes_sent(); }
std::uint64_t MpiTransport::messages() const { return channel_.messages_sent() + channel_.messages_received(); }

}  // namespace taskfarm
