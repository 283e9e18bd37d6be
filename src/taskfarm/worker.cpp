#include <chrono>
#include <deque>
#include <optional>
#include <vector>
#include <string>

#include "taskfarm/backoff.hpp"
#include "taskfarm/clock.hpp"
#include "taskfarm/farm.hpp"
#include "taskfarm/log.hpp"
#include "taskfarm/output_dir.hpp"
#include "taskfarm/pipeline.hpp"

namespace taskfarm {

namespace {

class MpiWorkerContext final : public WorkerContext {
 public:
  MpiWorkerContext(Channel& channel, std::string& output, std::vector<PartSlice> earlier)
      : channel_(channel), output_(output), earlier_(std::move(earlier)) {}
  int worker_index() const override { return channel_.rank() - 1; }
  int workers() const override { return channel_.size() - 1; }
  std::vector<std::string> exchange(const std::vector<std::string>& outgoing) override {
    return channel_.exchange_among_workers(outgoing);
  }
  std::string& output() override { return output_; }
  const std::vector<PartSlice>& earlier_output() const override { return earlier_; }

 private:
  Channel& channel_;
  std::string& output_;
  std::vector<PartSlice> earlier_;
};

// A reply larger than this goes out even if more batches are queued, bounding memory.
constexpr std::size_t max_reply_bytes = 1 << 20;
// The example's get(timeout=1): after this long without tasks, --verbose says so.
constexpr auto empty_queue_notice = std::chrono::seconds(1);
}  // namespace

void run_worker(Channel& channel, Job& job, const Config& config, std::uint32_t run) {
  if (config.verbose) job.set_narrator([](std::string_view text) { log::line(text); });
  std::optional<PartFile> part;
  if (config.output_dir && job.uses_part_files()) part.emplace(temporary_part_path(*config.output_dir, channel.rank(), run));
  job.start_worker(channel.rank(), channel.size() - 1);
  BatchRunner runner(job, part ? &part->buffer() : nullptr);
  std::deque<std::string> queue;
  // Asynchronous jobs hold all their batches in the slot runner instead of the queue.
  std::optional<SlotRunner> slots;
  if (job.slots() > 0) slots.emplace(job);
  auto batches_held = [&] { return slots ? slots->batches() : queue.size(); };
  std::string inbox;
  std::string reply_buf;
  ResultBatchWriter reply(reply_buf);
  Backoff backoff(job.slots() > 0 ? Backoff::patient() : Backoff::Limits{});
  bool stopping = false;
  StopKind stop_kind = StopKind::abandoned;
  std::vector<PartSlice> earlier_output;  // a resumed reduce job's map output to read back
  double idle_s = 0;
  auto idle_since = clock::now();
  bool idle = true;
  bool told_empty = false;
  // Results of several batches share one reply: it goes out once at least as many batches
  // are finished as are still queued, so the master refills while this rank works on
  // the rest, or when the queue runs dry.
  std::size_t finished_since_reply = 0;

  auto send_reply = [&] {
    // The results go to the file before the master hears of them: the journal never
    // vouches for output that is not in the file.
    if (part) reply.set_part_bytes(part->flush());
    channel.send(master_rank, Tag::results, std::move(reply_buf));
    reply_buf = channel.take_buffer();
    reply.reset();
    finished_since_reply = 0;
  };

  while (true) {
    while (auto envelope = channel.poll(inbox, master_rank)) {
      if (envelope->tag == Tag::tasks) {
        if (slots) slots->add(std::move(inbox));
        else queue.push_back(std::move(inbox));
        inbox = channel.take_buffer();
      } else if (envelope->tag == Tag::stop) {
        stopping = true;
        stop_kind = inbox.empty() ? StopKind::abandoned : static_cast<StopKind>(inbox[0]);
        std::string_view rest = std::string_view(inbox).substr(inbox.empty() ? 0 : 1);
        if (!rest.empty()) earlier_output = get_part_slices(rest);
      }
    }
    channel.progress_sends();
    if (stopping) break;  // the master has every result it wants
    if (batches_held() == 0) {
      if (!reply.empty()) send_reply();
      if (!idle) {
        idle = true;
        idle_since = clock::now();
        told_empty = false;
      } else if (config.verbose && !told_empty && clock::now() - idle_since > empty_queue_notice) {
        log::line("task queue is empty");
        told_empty = true;
      }
      backoff.pause();
      continue;
    }
    if (idle) {
      idle_s += seconds_since(idle_since);
      idle = false;
    }
    backoff.reset();
    if (slots) {
      // Short waits: the master's messages are read between them.
      finished_since_reply += slots->step(reply, 2e-3);
      if (finished_since_reply == 0) continue;
    } else {
      runner.run(queue.front(), reply);
      if (part) part->flush_if_full();
      queue.pop_front();
      ++finished_since_reply;
    }
    if (finished_since_reply >= batches_held() || reply.bytes() > max_reply_bytes) send_reply();
  }
  if (idle) idle_s += seconds_since(idle_since);
  std::optional<PartFile> reduce;
  if (stop_kind == StopKind::finished) {
    if (config.output_dir && job.has_reduce_phase())
      reduce.emplace(temporary_reduce_path(*config.output_dir, channel.rank(), run));
    std::string no_output;  // jobs with a finish() output require --output
    MpiWorkerContext context(channel, reduce ? reduce->buffer() : no_output, std::move(earlier_output));
    job.finish(context);
  }
  const std::uint64_t bytes_written = (part ? part->close() : 0) + (reduce ? reduce->close() : 0);

  std::string goodbye = channel.take_buffer();
  wire::put(goodbye, WorkerGoodbye{idle_s, channel.messages_received(), channel.messages_sent() + 1, bytes_written,
                                  job.bytes_read()});
  channel.send(master_rank, Tag::goodbye, std::move(goodbye));
  // Our sends must complete before MPI_Finalize; the master is polling, so this is quick.
  const auto deadline = clock::now() + std::chrono::seconds(30);
  while (channel.progress_sends() > 0 && clock::now() < deadline) backoff.pause();
}

}  // namespace taskfarm
