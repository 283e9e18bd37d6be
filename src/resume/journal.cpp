#include "resume/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>
#include <thread>

#include "core/test_hook.hpp"
#include "core/text.hpp"
#include "core/wire.hpp"

namespace taskfarm {

namespace {
// Record: u32 payload length, u64 checksum of type and payload, u8 type, payload.
constexpr char identity_record = 'I';
constexpr char run_record = 'R';
constexpr char progress_record = 'P';
constexpr char submitting_record = 'S';  // a progress record with the submitted tasks so far
constexpr char in_flight_record = 'F';
constexpr std::size_t record_header = sizeof(std::uint32_t) + sizeof(std::uint64_t) + 1;
constexpr std::uint32_t max_identity_bytes = 1 << 20;  // a job's arguments, as JSON
constexpr std::size_t flush_bytes = 64 << 10;
constexpr auto flush_interval = std::chrono::milliseconds(50);

std::uint64_t checksum(char type, std::string_view payload) {
  return fnv1a(payload, fnv1a(std::string_view(&type, 1)));
}
}  // namespace

void IdRanges::add(std::uint64_t first, std::uint64_t last) {
  if (first >= last) return;
  // Merge with every overlapping or adjacent range.
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin() && std::prev(it)->second >= first) --it;
  while (it != ranges_.end() && it->first <= last) {
    first = std::min(first, it->first);
    last = std::max(last, it->second);
    count_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  ranges_.emplace(first, last);
  count_ += last - first;
}

bool IdRanges::contains(std::uint64_t id) const {
  auto it = ranges_.upper_bound(id);
  return it != ranges_.begin() && std::prev(it)->second > id;
}

CrashHistory crash_history(const JournalState& state, std::uint32_t retries,
                           const std::function<bool(std::uint32_t, std::int32_t)>& stopped) {
  CrashHistory history;
  std::vector<const IdRanges*> died;  // what each dead rank held, every run
  std::set<std::uint64_t> alone;      // tasks alone on a dead rank in some run
  for (const auto& [run, ranks] : state.in_flight)
    for (const auto& [rank, ids] : ranks) {
      if (stopped(run, rank)) continue;
      died.push_back(&ids);
      for (const auto& [first, last] : ids.ranges()) {
        if (ids.count() == 1 && !state.done.contains(first)) alone.insert(first);
        history.suspects.add(first, last);
      }
    }
  for (const std::uint64_t id : alone) {
    const auto deaths = std::count_if(died.begin(), died.end(), [&](const IdRanges* ids) { return ids->contains(id); });
    if (static_cast<std::uint64_t>(deaths) > retries) history.poisoned[id] = static_cast<std::uint32_t>(deaths);
  }
  return history;
}

std::optional<JournalState> read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A kill between the journal's creation and its first complete record leaves it empty
  // or holding part of the identity record: nothing was journaled yet, as if it did not exist.
  if (data.size() < record_header) return std::nullopt;
  {
    std::string_view header = data;
    const auto length = wire::get<std::uint32_t>(header);
    wire::get<std::uint64_t>(header);
    if (header[0] == identity_record && length < max_identity_bytes && data.size() < record_header + length)
      return std::nullopt;
  }
  JournalState state;
  std::string_view rest = data;
  std::uint32_t current_run = 0;
  bool have_identity = false;
  while (!rest.empty()) {
    const std::size_t at = data.size() - rest.size();
    if (rest.size() < record_header) break;  // torn last record
    std::string_view header = rest;
    const auto length = wire::get<std::uint32_t>(header);
    const auto sum = wire::get<std::uint64_t>(header);
    const char type = header[0];
    if (rest.size() < record_header + length) break;  // torn last record
    const std::string_view payload = rest.substr(record_header, length);
    const bool last = rest.size() == record_header + length;
    if (checksum(type, payload) != sum) {
      if (last) break;  // torn last record
      throw JournalError("journal " + path + " is damaged at byte " + std::to_string(at));
    }
    rest.remove_prefix(record_header + length);
    std::string_view p = payload;
    try {
      if (type == identity_record) {
        state.identity = std::string(payload);
        have_identity = true;
      } else if (type == run_record) {
        current_run = wire::get<std::uint32_t>(p);
        state.runs = std::max(state.runs, current_run + 1);
      } else if (type == progress_record || type == submitting_record) {
        if (type == submitting_record) {
          state.submitted.count = wire::get<std::uint64_t>(p);
          state.submitted.log_bytes = wire::get<std::uint64_t>(p);
        }
        const auto rank = wire::get<std::int32_t>(p);
        const auto bytes = wire::get<std::uint64_t>(p);
        auto& known = state.part_bytes[PartKey{current_run, rank}];
        known = std::max(known, bytes);
        while (!p.empty()) {
          const auto first = wire::get<std::uint64_t>(p);
          state.done.add(first, first + wire::get<std::uint64_t>(p));
        }
      } else if (type == in_flight_record) {
        auto& ranks = state.in_flight[current_run];
        while (!p.empty()) {
          const auto rank = wire::get<std::int32_t>(p);
          const auto first = wire::get<std::uint64_t>(p);
          const auto count = wire::get<std::uint64_t>(p);
          if (count > UINT64_MAX - first) throw WireError("task IDs out of range");
          ranks[rank].add(first, first + count);
        }
      } else {
        throw WireError("unknown record type");
      }
    } catch (const WireError&) {
      throw JournalError("journal " + path + " has a malformed record at byte " + std::to_string(at));
    }
    if (!have_identity) throw JournalError("journal " + path + " does not start with the job's identity");
  }
  if (!have_identity) throw JournalError("journal " + path + " does not start with the job's identity");
  return state;
}

JournalWriter::JournalWriter(const std::string& path, const std::string& identity, std::uint32_t run, bool fresh)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | (fresh ? O_TRUNC : 0), 0644)),
      path_(path),
      run_(run),
      last_flush_(std::chrono::steady_clock::now()) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open journal " + path);
  while (fresh && test_hook("hang-after-journal-create")) std::this_thread::sleep_for(std::chrono::seconds(1));
  if (fresh) append(identity_record, identity);
  std::string payload;
  wire::put(payload, run_);
  append(run_record, payload);
  flush();
}

JournalWriter::~JournalWriter() {
  try {
    flush();
  } catch (...) {  // reported by the explicit flush() at the end of a run
  }
  ::close(fd_);
}

void JournalWriter::append(char type, const std::string& payload) {
  wire::put(pending_, static_cast<std::uint32_t>(payload.size()));
  wire::put(pending_, checksum(type, payload));
  pending_.push_back(type);
  pending_.append(payload);
}

void JournalWriter::record(std::int32_t rank, std::uint64_t part_bytes, const std::vector<IdRun>& done,
                           const std::optional<SubmittedMark>& submitted) {
  std::string& payload = record_;  // reused: a record per reply
  payload.clear();
  if (submitted) {
    wire::put(payload, submitted->count);
    wire::put(payload, submitted->log_bytes);
  }
  wire::put(payload, rank);
  wire::put(payload, part_bytes);
  for (const IdRun& ids : done) {
    wire::put(payload, ids.first);
    wire::put(payload, ids.count);
  }
  append(submitted ? submitting_record : progress_record, payload);
  const auto now = std::chrono::steady_clock::now();
  if (pending_.size() >= flush_bytes || now - last_flush_ >= flush_interval) flush();
}

void JournalWriter::record_in_flight(const std::vector<std::pair<std::int32_t, IdRun>>& held) {
  std::string payload;
  for (const auto& [rank, ids] : held) {
    wire::put(payload, rank);
    wire::put(payload, ids.first);
    wire::put(payload, ids.count);
  }
  append(in_flight_record, payload);
  flush();
}

void JournalWriter::flush() {
  if (pending_.empty()) return;
  if (before_writing_) before_writing_();
  std::size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write journal " + path_);
    done += static_cast<std::size_t>(n);
  }
  pending_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

}  // namespace taskfarm
