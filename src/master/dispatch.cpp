#include "master/dispatch.hpp"

namespace taskfarm {

namespace {
// Batches waiting in the pass's messages before they go out, at most: on a large farm the
// first workers compute while the rest are filled.
constexpr std::size_t max_outgoing_bytes = 256 * 1024;
}  // namespace

Dispatcher::Dispatcher(Transport& transport, Scheduler& scheduler, TaskFeeder& feeder, Silence& silence,
                       const Watch& watch)
    : transport_(transport),
      scheduler_(scheduler),
      feeder_(feeder),
      silence_(silence),
      watch_(watch),
      outgoing_(static_cast<std::size_t>(transport.workers())) {
  held_.reserve(static_cast<std::size_t>(transport.workers()));
  for (int w = 0; w < transport.workers(); ++w) held_.emplace_back(feeder, transport.workers());
}

bool Dispatcher::dispatch() {
  bool sent = false;
  // A worker for which only other workers' retries are left is passed over, once each.
  std::size_t passed_over = 0;
  double send_s = -1;  // read once, when a batch goes
  while (!feeder_.exhausted()) {
    const auto worker = scheduler_.next_ready_worker();
    if (!worker) break;
    if (fill_one(*worker, send_s)) {
      sent = true;
    } else if (++passed_over >= scheduler_.defer_front()) {
      break;
    }
  }
  send_outgoing();
  return sent;
}

/// One batch for `worker` into its message of this pass; false when it has no room or
/// nothing was left for it.
bool Dispatcher::fill_one(int worker, double& send_s) {
  HeldBatches& holding = held(worker);
  std::string& message = outgoing_[static_cast<std::size_t>(worker)];
  // 0: what is kept for its batches and their unsent buffers fill its byte budget
  const std::size_t room = holding.room(transport_.unsent_bytes(worker) + message.size());
  if (room == 0) return false;
  const bool opens_message = message.empty();
  if (opens_message && message.capacity() == 0) message = transport_.take_buffer();
  batch_.start_framed(message);
  if (feeder_.fill(batch_, scheduler_.next_batch_size(feeder_.undispatched()), worker, scheduler_.workers(), room,
                   holding.empty()) == 0) {
    batch_.discard();
    return false;
  }
  if (holding.empty()) silence_.restart(worker);
  if (send_s < 0) send_s = watch_.now_s();
  scheduler_.on_sent(worker, batch_.count(), send_s);
  if (feeder_.filled_alone()) scheduler_.hold_alone(worker);
  holding.add(batch_.batch(), batch_.spans(), send_s);
  if (opens_message) outgoing_to_.push_back(worker);
  // Not too much at once: the first workers' batches go while the others' fill.
  if ((outgoing_bytes_ += batch_.bytes()) >= max_outgoing_bytes) send_outgoing();
  return true;
}

void Dispatcher::send_outgoing() {
  for (const int w : outgoing_to_) transport_.send(w, Tag::tasks, std::move(outgoing_[static_cast<std::size_t>(w)]));
  outgoing_to_.clear();
  outgoing_bytes_ = 0;
}

void Dispatcher::hand_back(int w) {
  HeldBatches& batches = held(w);
  batches.visit(batches.size(), [&](const TaskView& task) {
    feeder_.retry(task, w);
    return false;
  });
  batches.pop_front(batches.size());
}

std::vector<std::pair<std::int32_t, IdRun>> Dispatcher::in_flight() const {
  std::vector<std::pair<std::int32_t, IdRun>> ids;
  for (int w = 0; w < scheduler_.workers(); ++w)
    if (!scheduler_.retired(w)) held_[static_cast<std::size_t>(w)].held_ids(transport_.worker_rank(w), ids);
  return ids;
}

}  // namespace taskfarm
