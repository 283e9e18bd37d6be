#include "master/collect.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/log.hpp"

namespace taskfarm {

void log_dropped_reply(int rank, const std::string& reply) {
  log::line("rank " + std::to_string(rank) + " replied late: " +
            std::to_string(ResultBatchReader(reply).header().results) + " results dropped");
}

Collector::Collector(Transport& transport, Scheduler& scheduler, Dispatcher& dispatcher, ResultCollector& results,
                     FailureHandler& failures, JournalWriter* journal, ResultSink& sink, Watch& watch,
                     Silence& silence)
    : transport_(transport),
      scheduler_(scheduler),
      dispatcher_(dispatcher),
      results_(results),
      failures_(failures),
      journal_(journal),
      sink_(sink),
      watch_(watch),
      silence_(silence),
      accepted_part_bytes_(static_cast<std::size_t>(transport.workers()), 0) {}

bool Collector::collect() {
  bool any = false;
  double arrival_s = -1;  // read once, when a reply has come
  while (auto envelope = transport_.poll(inbox_, streaming_from_)) {
    any = true;
    const int worker = envelope->source;
    switch (envelope->tag) {
      case Tag::output: take_output(worker); break;
      case Tag::results: take_results(worker, arrival_s); break;
      case Tag::submitted:
        if (!scheduler_.retired(worker)) results_.stage(worker, inbox_);
        break;
      case Tag::failure:
        if (!error_) error_ = inbox_;  // one line, as the worker said it (its file names its rank)
        break;
      default:
        throw std::runtime_error("unexpected message tag " + std::to_string(static_cast<int>(envelope->tag)) +
                                 " from rank " + std::to_string(transport_.worker_rank(worker)));
    }
  }
  return any;
}

/// Written at once: a task's output may not fit in memory.
void Collector::take_output(int worker) {
  std::string_view chunk = inbox_;
  const auto header = wire::get<OutputChunk>(chunk);
  if (!scheduler_.retired(worker)) {
    sink_.write(chunk);
    sink_.flush();
  }
  streaming_from_ = header.last ? std::nullopt : std::optional<int>(worker);
}

void Collector::take_results(int worker, double& arrival_s) {
  const int rank = transport_.worker_rank(worker);
  if (scheduler_.retired(worker)) {  // its tasks were handed out again: the first result wins
    log_dropped_reply(rank, inbox_);
    results_.drop_staged(worker);
    return;
  }
  HeldBatches& batches = dispatcher_.held(worker);
  const ResultBatchHeader header = ResultBatchReader(inbox_).header();
  const auto acknowledged = std::min<std::size_t>(header.batches_completed, batches.size());
  if (arrival_s < 0) arrival_s = watch_.now_s();
  if (acknowledged > 0)  // the path's delay: the newest batch's round trip, less its time on the worker
    scheduler_.on_round_trip(worker, arrival_s - batches.sent_s(acknowledged - 1) - header.held_s, arrival_s);
  results_.consume(worker, inbox_, rank, failed_attempts_, done_ids_, &watch_.timeline, arrival_s);
  accepted_part_bytes_[static_cast<std::size_t>(worker)] = header.part_bytes;
  if (journal_) journal_->record(rank, header.part_bytes, done_ids_, results_.submitted_mark());
  done_ids_.clear();
  for (const auto& f : failed_attempts_) failures_.on_failure(f, batches, acknowledged, worker);
  failed_attempts_.clear();
  batches.pop_front(acknowledged);
  last_reply_ = clock::now();
  silence_.restart(worker);
}

}  // namespace taskfarm
