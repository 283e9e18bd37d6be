#pragma once
// The master's dispatch: hands every worker with room more task batches, and keeps what
// each worker holds (a failed task is retried from it, a stuck worker's tasks go out
// again). The batches one worker gets in one pass travel in one Tag::tasks message.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/silence.hpp"
#include "core/wire.hpp"
#include "master/pipeline.hpp"
#include "master/scheduler.hpp"
#include "master/transport.hpp"
#include "master/watch.hpp"

namespace taskfarm {

class Dispatcher {
 public:
  Dispatcher(Transport& transport, Scheduler& scheduler, TaskFeeder& feeder, Silence& silence, const Watch& watch);
  /// One pass: every worker with room gets batches (the scheduler decides how many it
  /// holds). Returns whether any batch went.
  bool dispatch();
  /// The batches worker `w` holds, sent and not yet acknowledged.
  HeldBatches& held(int w) { return held_[static_cast<std::size_t>(w)]; }
  /// A retired worker's tasks go to the others; it holds nothing any more.
  void hand_back(int w);
  /// The IDs every worker that is not retired holds, by rank: a resume's suspects if a
  /// rank died.
  std::vector<std::pair<std::int32_t, IdRun>> in_flight() const;

 private:
  bool fill_one(int worker, double& send_s);
  void send_outgoing();

  Transport& transport_;
  Scheduler& scheduler_;
  TaskFeeder& feeder_;
  Silence& silence_;
  const Watch& watch_;
  std::vector<HeldBatches> held_;
  TaskBatchWriter batch_;  // one for every batch: its storage is reused
  // Each worker's message being filled in this pass, and who has one.
  std::vector<std::string> outgoing_;
  std::vector<int> outgoing_to_;
  std::size_t outgoing_bytes_ = 0;
};

}  // namespace taskfarm
