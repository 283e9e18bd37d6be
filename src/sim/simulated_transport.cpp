#include "sim/simulated_transport.hpp"

#include <algorithm>
#include <stdexcept>

namespace taskfarm::sim {

namespace {
/// Accumulates the time from `start` into `total` (the simulation's own work).
class Timed {
 public:
  Timed(double& total, clock::time_point start) : total_(total), start_(start) {}
  ~Timed() { total_ += std::chrono::duration<double>(clock::now() - start_).count(); }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  double& total_;
  clock::time_point start_;
};
}  // namespace

SimulatedTransport::SimulatedTransport(const Settings& settings)
    : settings_(settings), workers_(static_cast<std::size_t>(std::max(settings.workers, 1))) {}

double SimulatedTransport::seconds_at(clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void SimulatedTransport::charge() const {
  if (settings_.mpi_s <= 0) return;
  const auto end = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(settings_.mpi_s));
  while (clock::now() < end) {
  }
}

std::string SimulatedTransport::take_buffer() {
  if (spare_.empty()) return {};
  std::string buffer = std::move(spare_.back());
  spare_.pop_back();
  buffer.clear();
  return buffer;
}

void SimulatedTransport::send(int worker, Tag tag, std::string body) {
  charge();
  const auto now = clock::now();
  Timed timed(bookkeeping_s_, now);
  ++messages_;
  bytes_sent_ += body.size();
  if (tag == Tag::stop) {
    goodbyes_.push_back(worker);
  } else if (tag == Tag::tasks) {
    Worker& w = workers_[static_cast<std::size_t>(worker)];
    const double arrives_s = seconds_at(now) + settings_.path_delay_s;
    std::string_view message = body;
    while (const auto framed = next_framed_batch(message)) {
      Batch batch;
      batch.arrives_s = arrives_s;
      TaskBatchReader reader(*framed);
      for (TaskSpan span{}; reader.next_span(span);) {
        if (batch.tasks == 0) batch.first = span;
        else batch.more.push_back(span);
        batch.tasks += span.count;
      }
      w.held.push_back(std::move(batch));
      ++batches_received_;
    }
    schedule(worker);
  }
  if (spare_.size() < 64) spare_.push_back(std::move(body));
}

/// How many of its held batches the worker's next reply acknowledges (their end times set).
std::size_t SimulatedTransport::batches_in_next_reply(const Worker& w) const {
  const std::size_t n = w.held.size();
  std::size_t i = 0;
  for (; i < n; ++i) {
    const double ends_s = w.held[i].ends_s;
    std::size_t still_held = 0;  // batches that have reached it by then, not yet run
    for (std::size_t j = i + 1; j < n && w.held[j].arrives_s <= ends_s; ++j) ++still_held;
    if (i + 1 >= still_held) return i + 1;
  }
  return n;
}

/// The worker's next reply as an event: its batches run one after another.
void SimulatedTransport::schedule(int worker) {
  Worker& w = workers_[static_cast<std::size_t>(worker)];
  double free_s = w.free_s;
  for (Batch& batch : w.held) {
    free_s = std::max(free_s, batch.arrives_s) + batch.tasks * settings_.task_s;
    batch.ends_s = free_s;
  }
  const std::size_t n = w.held.empty() ? 0 : batches_in_next_reply(w);
  const double reply_s = n == 0 ? -1 : w.held[n - 1].ends_s + settings_.path_delay_s;
  w.reply_batches = n;
  if (reply_s == w.reply_s) return;  // a batch that arrives while one runs rarely moves the reply
  ++w.version;
  w.reply_s = reply_s;
  if (reply_s >= 0) events_.push(Event{reply_s, worker, w.version});
}

std::optional<Envelope> SimulatedTransport::poll(std::string& body, std::optional<int> from) {
  if (from) throw std::logic_error("the simulated workers send no output chunks");
  if (!goodbyes_.empty()) {
    charge();
    Timed timed(bookkeeping_s_, clock::now());
    const int worker = goodbyes_.front();
    goodbyes_.pop_front();
    ++messages_;
    body.clear();
    wire::put(body, WorkerGoodbye{0, 0, 0, 0, 0, 0});
    return Envelope{worker, Tag::goodbye};
  }
  if (events_.empty()) return std::nullopt;
  const auto now = clock::now();
  if (events_.top().at_s > seconds_at(now)) return std::nullopt;
  Event event{};
  {
    Timed timed(bookkeeping_s_, now);
    while (true) {  // the first due event that is not stale
      if (events_.empty() || events_.top().at_s > seconds_at(now)) return std::nullopt;
      event = events_.top();
      events_.pop();
      if (event.version == workers_[static_cast<std::size_t>(event.worker)].version) break;
    }
    Worker& w = workers_[static_cast<std::size_t>(event.worker)];
    ++messages_;
    w.reply_s = -1;
    write_reply(event.worker, body);
    schedule(event.worker);
  }
  charge();  // the receive's cost, apart from the simulation's
  return Envelope{event.worker, Tag::results};
}

void SimulatedTransport::write_reply(int worker, std::string& body) {
  Worker& w = workers_[static_cast<std::size_t>(worker)];
  const std::size_t n = w.reply_batches;
  reply_.reset();
  for (std::size_t i = 0; i < n; ++i) {
    const Batch& batch = w.held[i];
    auto add = [&](const TaskSpan& span) {
      reply_.add_run(span.first_id, span.count, TaskStatus::ok, span.count * settings_.task_s, settings_.task_s);
    };
    add(batch.first);
    for (const TaskSpan& span : batch.more) add(span);
    reply_.complete_batch();
    tasks_reported_ += w.held[i].tasks;
  }
  const Batch& newest = w.held[n - 1];
  reply_.set_held_s(newest.ends_s - newest.arrives_s);
  w.free_s = newest.ends_s;
  w.held.erase(w.held.begin(), w.held.begin() + static_cast<std::ptrdiff_t>(n));
  body.swap(reply_buf_);
}

}  // namespace taskfarm::sim
