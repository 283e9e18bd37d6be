#include "master/shutdown.hpp"

#include <algorithm>
#include <cmath>

#include "core/log.hpp"
#include "core/monitor.hpp"
#include "core/text.hpp"
#include "core/wire.hpp"
#include "master/collect.hpp"

namespace taskfarm {

namespace {

/// For a reduce job resumed: the map output of earlier runs that worker `worker` reads back
/// (their part files, round-robin over the workers).
std::vector<PartSlice> earlier_output_for(const JobRoles& job, const Config& config, const RunPlan& plan, int worker,
                                          int workers) {
  std::vector<PartSlice> slices;
  if (!job.reduce) return slices;
  const std::vector<PartSlice> earlier = earlier_parts(*config.output_dir, plan);
  for (std::size_t i = static_cast<std::size_t>(worker); i < earlier.size(); i += static_cast<std::size_t>(workers))
    slices.push_back(earlier[i]);
  return slices;
}

}  // namespace

WorkerReport worker_report(int rank, const WorkerLoad& load) {
  WorkerReport r;
  r.rank = rank;
  r.tasks = load.tasks_done + load.tasks_failed;
  r.failed = load.tasks_failed;
  r.busy_s = load.busy_s;
  r.max_task_s = load.max_task_s;
  r.round_trip_s = load.round_trip_s.value();
  r.turnaround_s = load.turnaround_s.value();
  return r;
}

Shutdown::Shutdown(Transport& transport, const Scheduler& scheduler, const Config& config, const JobRoles& job,
                   const RunPlan& plan, Backoff& backoff)
    : transport_(transport), scheduler_(scheduler), config_(config), job_(job), plan_(plan), backoff_(backoff) {}

bool Shutdown::suspect(int w) const { return scheduler_.load(w).tasks_in_flight > 0 || scheduler_.retired(w); }

void Shutdown::run(const std::vector<std::uint64_t>& accepted_part_bytes, RunReport& report, Stop& stop) {
  const bool finished = stop.cause == StopCause::none;
  // A reduce phase takes as long as it takes (a stop signal or --result-timeout ends the
  // wait); without one, a healthy worker answers at once.
  const bool reducing = finished && job_.reduce;
  Wait wait;
  wait.healthy_s = !reducing ? 600 : config_.result_timeout_s > 0 ? config_.result_timeout_s : 1e9;
  wait.grace_s = config_.grace_s;
  const int workers = scheduler_.workers();
  if (reducing)
    log::line("all tasks done; " +
              (workers == 1 ? std::string("the worker runs") : "the " + std::to_string(workers) + " workers run") +
              " the reduce phase");
  const auto reduce_start = clock::now();
  send_stops(finished, wait, accepted_part_bytes, report);
  await_goodbyes(wait, report, stop);
  for (int w = 0; w < workers; ++w)
    if (!report.per_worker[static_cast<std::size_t>(w)].answered)
      log::line("rank " + std::to_string(transport_.worker_rank(w)) + " did not answer the stop message" +
                (suspect(w) ? ": it is stuck" : " in time"));
  if (!reducing || stop.cause != StopCause::none) return;
  std::string missing;
  for (const auto& w : report.per_worker)
    if (!w.answered) missing += (missing.empty() ? "" : ", ") + std::to_string(w.rank);
  if (missing.empty()) {
    log::line("reduce phase done in " + seconds_text(std::round(seconds_since(reduce_start) * 1000) / 1000) + " s");
  } else {  // its files are half-written: nothing is published, and --resume runs the reduce again
    stop = Stop{StopCause::reduce_unfinished, 0, 0, missing};
  }
}

void Shutdown::send_stops(bool finished, const Wait& wait, const std::vector<std::uint64_t>& accepted_part_bytes,
                          RunReport& report) {
  const int workers = scheduler_.workers();
  answer_by_.assign(static_cast<std::size_t>(workers), clock::time_point{});
  const auto now = clock::now();
  for (int w = 0; w < workers; ++w) {
    std::string stop(1, static_cast<char>(finished ? StopKind::finished : StopKind::abandoned));
    if (finished) put_part_slices(stop, earlier_output_for(job_, config_, plan_, w, workers));
    answer_by_[static_cast<std::size_t>(w)] = now + seconds(suspect(w) ? wait.suspect_s : wait.healthy_s);
    transport_.send(w, Tag::stop, std::move(stop));
    WorkerReport& r = report.per_worker.emplace_back(worker_report(transport_.worker_rank(w), scheduler_.load(w)));
    r.part_bytes = accepted_part_bytes[static_cast<std::size_t>(w)];
    r.retired = scheduler_.retired(w);
    r.answered = false;
  }
}

void Shutdown::await_goodbyes(const Wait& wait, RunReport& report, Stop& stop) {
  int goodbyes_due = scheduler_.workers();
  const bool signalled_before = stop_signal() != 0;  // the main loop has said so already
  bool signalled = false;
  while (goodbyes_due > 0) {
    const auto t = clock::now();
    if (!signalled && stop_signal()) {
      signalled = true;
      if (!signalled_before)
        log::line(signal_name(stop_signal()) + " received: waiting up to " + seconds_text(wait.grace_s) +
                  " s (--grace) for the workers to finish");
      for (auto& d : answer_by_) d = std::min(d, t + seconds(wait.grace_s));
    }
    if (std::none_of(answer_by_.begin(), answer_by_.end(), [&](clock::time_point d) { return d > t; })) break;
    const auto envelope = transport_.poll(inbox_);
    transport_.progress_sends();
    if (!envelope) {
      backoff_.pause();
      continue;
    }
    backoff_.reset();
    const int rank = transport_.worker_rank(envelope->source);
    if (envelope->tag == Tag::goodbye) {
      take_goodbye(envelope->source, report);
      --goodbyes_due;
    } else if (envelope->tag == Tag::failure && stop.cause != StopCause::error) {
      stop = Stop{StopCause::error, 0, 0, inbox_};
    } else if (envelope->tag == Tag::results) {  // late: the tasks were done elsewhere or not at all
      log_dropped_reply(rank, inbox_);
    }
  }
}

void Shutdown::take_goodbye(int worker, RunReport& report) {
  std::string_view body = inbox_;
  const auto goodbye = wire::get<WorkerGoodbye>(body);
  auto& w = report.per_worker[static_cast<std::size_t>(worker)];
  w.idle_s = goodbye.idle_s;
  w.messages = goodbye.messages_received + goodbye.messages_sent;
  w.bytes_written = goodbye.bytes_written;
  w.bytes_read = goodbye.bytes_read;
  w.peak_rss_bytes = goodbye.peak_rss_bytes;
  while (!body.empty()) {  // the job's counts
    const std::string name(wire::get_bytes(body, wire::get<std::uint32_t>(body)));
    report.counts[name] += wire::get<std::uint64_t>(body);
  }
  w.answered = true;
  answer_by_[static_cast<std::size_t>(worker)] = clock::time_point::min();
}

}  // namespace taskfarm
