#pragma once
// The real master against simulated workers (scripts/bench-scale): a Transport whose W
// workers exist only as timetables on the real clock, so that run_master, unchanged, can
// be measured at 10,000 to 100,000 workers on a 2-core machine. What it models:
//   - a batch sent at t reaches its worker at t + path_delay_s;
//   - a worker runs the batches it holds one after another, each task taking exactly
//     task_s; the batches that have reached it by the end of one are what it holds;
//   - it replies as WorkerCore does: after a batch, once it has finished at least as many
//     batches since its last reply as it still holds (so at once when it holds none); the
//     reply says how long it held its newest finished batch, and carries one timed run of
//     succeeded tasks per span of consecutive IDs, without data (as with part files);
//   - every message the master sends or receives costs the master mpi_s of CPU, spent
//     here spinning: what an MPI_Isend or a matched receive costs it (scripts/bench-scale
//     measures it between two ranks);
//   - the stop message is answered at once with a goodbye.
// Not modelled: bandwidth, task failures, output, the walltime guard's hold message.

#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result_wire.hpp"
#include "core/wire.hpp"
#include "master/transport.hpp"

namespace taskfarm::sim {

struct Settings {
  int workers = 8;
  double task_s = 1e-3;
  double mpi_s = 0;        // charged to the master per message, each way
  double path_delay_s = 0; // from a send to its arrival, and from a reply to its arrival
};

class SimulatedTransport final : public Transport {
 public:
  explicit SimulatedTransport(const Settings& settings);
  int workers() const override { return static_cast<int>(workers_.size()); }
  int worker_rank(int worker) const override { return worker + 1; }
  std::string take_buffer() override;
  void send(int worker, Tag tag, std::string body) override;
  std::optional<Envelope> poll(std::string& body, std::optional<int> from = std::nullopt) override;
  std::size_t progress_sends() override { return 0; }
  std::size_t unsent_bytes(int) const override { return 0; }
  std::uint64_t bytes_sent() const override { return bytes_sent_; }
  /// Messages the master sent and received.
  std::uint64_t messages() const override { return messages_; }

  /// Tasks the workers finished and reported (each took task_s of a worker's time).
  std::uint64_t tasks_reported() const { return tasks_reported_; }
  std::uint64_t batches_received() const { return batches_received_; }
  /// Seconds the master spent in the simulation's own work for its messages (the
  /// timetables, the replies built), apart from the charged MPI cost.
  double bookkeeping_s() const { return bookkeeping_s_; }

 private:
  struct Batch {
    double arrives_s = 0;
    double ends_s = 0;  // once scheduled
    std::uint32_t tasks = 0;
    TaskSpan first{};             // most batches are one span of consecutive IDs:
    std::vector<TaskSpan> more;   // no allocation for them
  };
  struct Worker {
    std::deque<Batch> held;  // sent, not yet acknowledged, in order
    double free_s = 0;       // when its last acknowledged batch ended
    double reply_s = -1;     // when its pending reply event is due (-1: none)
    std::size_t reply_batches = 0;  // ... and how many batches it acknowledges
    std::uint32_t version = 0;  // of its pending event; older events in the queue are stale
  };
  struct Event {
    double at_s;
    int worker;
    std::uint32_t version;
    bool operator>(const Event& other) const { return at_s > other.at_s; }
  };
  double seconds_at(clock::time_point t) const;
  void charge() const;
  void schedule(int worker);
  std::size_t batches_in_next_reply(const Worker& w) const;
  void write_reply(int worker, std::string& body);

  Settings settings_;
  clock::time_point start_ = clock::now();
  std::vector<Worker> workers_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::deque<int> goodbyes_;  // workers told to stop, to answer at once
  std::vector<std::string> spare_;
  std::string reply_buf_;
  ResultBatchWriter reply_{reply_buf_};
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t messages_ = 0;
  std::uint64_t tasks_reported_ = 0;
  std::uint64_t batches_received_ = 0;
  double bookkeeping_s_ = 0;
};

}  // namespace taskfarm::sim
