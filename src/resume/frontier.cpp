#include "resume/frontier.hpp"

#include <stdexcept>
#include <tuple>
#include <utility>

#include "core/wire.hpp"

namespace taskfarm {

namespace {
constexpr std::size_t length_bytes = sizeof(std::uint32_t);
constexpr std::size_t unwritten_limit = std::size_t{1} << 20;

/// Bytes of the first `max` whole tasks at the start of `bytes`, and how many they are.
std::pair<std::size_t, std::uint64_t> whole_tasks(std::string_view bytes, std::uint64_t max) {
  std::size_t at = 0;
  std::uint64_t n = 0;
  while (n < max && bytes.size() - at >= length_bytes) {
    std::string_view rest = bytes.substr(at);
    const auto length = wire::get<std::uint32_t>(rest);
    if (rest.size() < length) break;
    at += length_bytes + length;
    ++n;
  }
  return {at, n};
}
/// Up to `max` whole tasks from `offset` of `file`, a chunk's worth (one at least, however
/// large) into `out`, which is cut to them; returns how many (0 at the file's end).
std::uint64_t read_tasks(const SpillFile& file, std::uint64_t offset, std::uint64_t max, std::string& out) {
  out.clear();
  file.read(offset, Frontier::read_chunk, out);
  auto [bytes, tasks] = whole_tasks(out, max);
  if (tasks == 0 && max > 0 && out.size() >= length_bytes) {  // one task larger than a chunk
    std::string_view head = out;
    const std::size_t whole = length_bytes + wire::get<std::uint32_t>(head);
    out.clear();
    file.read(offset, whole, out);
    std::tie(bytes, tasks) = whole_tasks(out, 1);
  }
  out.resize(bytes);
  return tasks;
}
}  // namespace

Frontier::Frontier(std::optional<std::string> log_path, std::size_t memory_budget)
    : log_path_(std::move(log_path)), budget_(memory_budget) {}

void Frontier::open_log(std::uint64_t keep) {
  if (log_.open()) return;
  if (log_path_) log_.open_named(*log_path_, keep);
  else log_.create();
}

void Frontier::restore(std::uint64_t committed, std::uint64_t log_bytes, const IdRanges& done) {
  if (!log_path_) throw std::logic_error("a frontier without a log cannot be restored");
  open_log(log_bytes);
  std::string chunk;
  std::uint64_t offset = 0;
  for (std::uint64_t k = 0; k < committed;) {
    const std::uint64_t tasks = read_tasks(log_, offset, committed - k, chunk);
    if (tasks == 0) throw std::runtime_error(*log_path_ + " holds fewer submitted tasks than the journal says");
    std::string_view rest = chunk;
    for (std::uint64_t i = 0; i < tasks; ++i, ++k) {
      const std::uint64_t id = first_id + k;
      const std::size_t length = length_bytes + wire::get<std::uint32_t>(rest);
      rest.remove_prefix(length - length_bytes);
      if (!done.contains(id)) {
        if (!segments_.empty() && segments_.back().next_id + segments_.back().left == id) ++segments_.back().left;
        else segments_.push_back(Segment{id, 1, offset, {}, 0});
        ++pending_;
      }
      offset += length;
    }
  }
  if (offset != log_bytes) throw std::runtime_error(*log_path_ + " does not match the journal");
  submitted_ = committed;
  done_before_ = committed - pending_;
  log_end_ = log_bytes;
}

void Frontier::add(std::uint64_t count, std::string_view encoded) {
  if (count == 0 && encoded.empty()) return;
  if (whole_tasks(encoded, count) != std::pair<std::size_t, std::uint64_t>{encoded.size(), count})
    throw WireError("malformed submitted tasks");
  Segment segment;
  segment.next_id = first_id + submitted_;
  segment.left = count;
  if (log_path_) {  // durable: every task goes to the log
    open_log(0);
    segment.file_at = log_end_;
    unwritten_.append(encoded);
    log_end_ += encoded.size();
    if (unwritten_.size() >= unwritten_limit) flush();
  }
  segment.cache.assign(encoded);
  cached_bytes_ += encoded.size();
  submitted_ += count;
  pending_ += count;
  segments_.push_back(std::move(segment));
  if (cached_bytes_ > budget_) evict();
}

void Frontier::Staged::cut(const SubmittedHead& head) {
  if (head.count > count || head.bytes > file.bytes()) throw WireError("malformed streamed submissions");
  if (head.bytes < file.bytes()) file.cut(head.bytes);
  count = head.count;
}

void Frontier::stage(int worker, const SubmittedHead& head, std::string_view encoded) {
  Staged& staged = staged_[worker];
  if (!staged.file.open()) staged.file.create();
  staged.cut(head);
  const auto [bytes, tasks] = whole_tasks(encoded, UINT64_MAX);
  if (bytes != encoded.size()) throw WireError("malformed streamed submissions");
  staged.file.append(encoded);
  staged.count += tasks;
}

void Frontier::commit_staged(int worker, const SubmittedHead& head) {
  const auto it = staged_.find(worker);
  if (it == staged_.end()) {
    if (head.count > 0) throw WireError("a reply counts streamed submissions that never came");
    return;
  }
  Staged& staged = it->second;
  staged.cut(head);
  std::string chunk;
  for (std::uint64_t offset = 0, left = staged.count; left > 0;) {
    const std::uint64_t tasks = read_tasks(staged.file, offset, left, chunk);
    if (tasks == 0) throw std::runtime_error("the staged submissions are shorter than what was written");
    add(tasks, chunk);
    offset += chunk.size();
    left -= tasks;
  }
  staged_.erase(it);
}

void Frontier::flush() {
  if (unwritten_.empty()) return;
  log_.append(unwritten_);
  unwritten_.clear();
}

/// Memory runs short: the segments lowest in the stack (handed out last) keep their tasks
/// only in the log.
void Frontier::evict() {
  while (cached_bytes_ > budget_ / 2 && lowest_cached_ + 1 < segments_.size()) {
    Segment& segment = segments_[lowest_cached_++];
    if (segment.cache.empty()) continue;
    if (segment.file_at == no_file) {
      open_log(0);
      segment.file_at = log_.bytes();
      log_.append(std::string_view(segment.cache).substr(segment.cache_at));
    }
    cached_bytes_ -= segment.cache.size();
    std::string().swap(segment.cache);
    segment.cache_at = 0;
  }
}

/// The segment's next tasks, from the log into memory: a chunk's worth, one at least.
void Frontier::load(Segment& segment) {
  flush();
  cached_bytes_ -= segment.cache.size();
  segment.cache_at = 0;
  if (read_tasks(log_, segment.file_at, segment.left, segment.cache) == 0)
    throw std::runtime_error("the log of submitted tasks is shorter than what was written to it");
  cached_bytes_ += segment.cache.size();
}

bool Frontier::next(std::uint64_t& id, std::string_view& payload) {
  while (!segments_.empty()) {
    Segment& top = segments_.back();
    if (top.left == 0) {
      cached_bytes_ -= top.cache.size();
      segments_.pop_back();
      if (lowest_cached_ >= segments_.size()) lowest_cached_ = segments_.empty() ? 0 : segments_.size() - 1;
      continue;
    }
    if (top.cache_at == top.cache.size()) load(top);
    std::string_view rest = std::string_view(top.cache).substr(top.cache_at);
    const auto length = wire::get<std::uint32_t>(rest);
    payload = wire::get_bytes(rest, length);
    id = top.next_id++;
    --top.left;
    --pending_;
    top.cache_at += length_bytes + length;
    if (top.file_at != no_file) top.file_at += length_bytes + length;
    return true;
  }
  return false;
}

}  // namespace taskfarm
