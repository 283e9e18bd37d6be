#include "api/local_transport.hpp"

#include <exception>

namespace taskfarm {

void LocalTransport::send(int, Tag tag, std::string body) {
  core_.receive(tag, body);
  if (tag != Tag::stop) return;
  const Exchange alone = [](const std::vector<std::string>& outgoing) { return outgoing; };
  try {
    core_.finish(alone);
  } catch (const std::exception& e) {
    to_master_.emplace_back(Tag::failure, e.what());
  }
  to_master_.emplace_back(Tag::goodbye, core_.goodbye(seconds_since(start_) - core_.busy_s(), 0, 0));
}

void LocalTransport::run_held_batches() {
  try {
    while (core_.batches_held() > 0 && !core_.work(0.05)) {
    }
    to_master_.emplace_back(Tag::results, core_.take_reply({}));
  } catch (const std::exception& e) {
    failed_ = true;
    to_master_.emplace_back(Tag::failure, e.what());
  }
}

std::optional<Envelope> LocalTransport::poll(std::string& body, std::optional<int>) {
  if (to_master_.empty() && !failed_ && !core_.stopping() && (core_.batches_held() > 0 || core_.has_reply()))
    run_held_batches();
  if (core_.has_output_chunk()) {  // ahead of the reply, as over MPI
    core_.next_output_chunk(body);
    return Envelope{0, Tag::output};
  }
  if (to_master_.empty()) return std::nullopt;
  body = std::move(to_master_.front().second);
  const Envelope envelope{0, to_master_.front().first};
  to_master_.pop_front();
  return envelope;
}

}  // namespace taskfarm
