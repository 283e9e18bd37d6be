#pragma once
/// @file
/// taskfarm::Submit<T>, how a running task adds tasks to the run (part of taskfarm.hpp).

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "taskfarm/codec.hpp"

namespace taskfarm {

namespace detail {
/// The tasks a worker's kernels submitted since its last reply, each encoded after its u32
/// length: they travel to the master at the end of the reply (see result_wire.hpp). Once
/// `bytes` reaches `stream_at`, `stream()` sends them ahead of the reply, so that a kernel
/// that submits millions of tasks never holds them all.
struct Submissions {
  std::string bytes;
  std::uint64_t count = 0;
  /// Tasks streamed ahead since the last reply that still count (a failed attempt's are
  /// taken back), and their bytes.
  std::uint64_t sent_count = 0;
  std::uint64_t sent_bytes = 0;
  std::size_t stream_at = SIZE_MAX;
  std::function<void()> stream;
  void clear() {
    bytes.clear();
    count = 0;
  }
  /// Starts a task: its length comes before it. Returns where, for end().
  std::size_t begin() {
    const std::size_t at = bytes.size();
    bytes.append(sizeof(std::uint32_t), '\0');
    return at;
  }
  /// Ends the task begun at `at`, whose bytes were appended since.
  void end(std::size_t at) {
    const auto length = static_cast<std::uint32_t>(bytes.size() - at - sizeof(std::uint32_t));
    std::memcpy(bytes.data() + at, &length, sizeof length);
    ++count;
    if (bytes.size() >= stream_at) stream();
  }
  /// A task's payload as it is.
  void add(std::string_view payload) {
    const std::size_t at = begin();
    bytes.append(payload);
    end(at);
  }
};
}  // namespace detail

/// What a kernel `R kernel(const T&, taskfarm::Submit<T>& submit)` (or any kernel form
/// with a last parameter `taskfarm::Submit<T>&`) calls to add tasks to the run:
/// `submit(child)` for each, any number of times. The run ends when every task has run,
/// the source's and the submitted ones. A task's submissions count only if that attempt
/// succeeds: an attempt that throws, times out or is lost submits nothing, and its retry
/// submits again.
template <class T>
class Submit {
 public:
  /// Made by the engine for each call of the kernel.
  explicit Submit(detail::Submissions& to) : to_(to) {}
  Submit(const Submit&) = delete;
  Submit& operator=(const Submit&) = delete;
  /// Adds `task` to the run (once this attempt succeeds).
  void operator()(const T& task) {
    const std::size_t at = to_.begin();
    codec<T>::encode(task, to_.bytes);  // in place: no copy of the task
    to_.end(at);
  }

 private:
  detail::Submissions& to_;
};

}  // namespace taskfarm
