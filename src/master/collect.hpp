#pragma once
// The master's collection: takes every message the workers sent (results, a task's
// output in chunks, a worker's error) and books them: results to the sink, failed
// attempts to the retry logic, completed tasks to the journal.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/silence.hpp"
#include "core/sink.hpp"
#include "master/dispatch.hpp"
#include "master/pipeline.hpp"
#include "master/transport.hpp"
#include "master/watch.hpp"
#include "resume/journal.hpp"

namespace taskfarm {

/// A reply that comes after its tasks were handed to another worker (--task-timeout) or
/// after the run stopped: its results do not count.
void log_dropped_reply(int rank, const std::string& reply);

class Collector {
 public:
  Collector(Transport& transport, Scheduler& scheduler, Dispatcher& dispatcher, ResultCollector& results,
            FailureHandler& failures, JournalWriter* journal, ResultSink& sink, Watch& watch, Silence& silence);
  /// Takes every message waiting. Returns whether there was any.
  bool collect();
  /// A worker's error that ends the run (Tag::failure), if one came.
  const std::optional<std::string>& error() const { return error_; }
  /// When the last reply came.
  clock::time_point last_reply() const { return last_reply_; }
  /// Each worker's part file size, as its last accepted reply vouched.
  const std::vector<std::uint64_t>& accepted_part_bytes() const { return accepted_part_bytes_; }

 private:
  void take_output(int worker);
  void take_results(int worker, double& arrival_s);

  Transport& transport_;
  Scheduler& scheduler_;
  Dispatcher& dispatcher_;
  ResultCollector& results_;
  FailureHandler& failures_;
  JournalWriter* journal_;
  ResultSink& sink_;
  Watch& watch_;
  Silence& silence_;
  std::string inbox_;
  std::vector<FailedAttempt> failed_attempts_;
  std::vector<IdRun> done_ids_;
  std::vector<std::uint64_t> accepted_part_bytes_;
  std::optional<int> streaming_from_;  // a worker sending a task's output in chunks: heard alone
  std::optional<std::string> error_;
  clock::time_point last_reply_ = clock::now();
};

}  // namespace taskfarm
