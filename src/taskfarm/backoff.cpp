#include "taskfarm/backoff.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace taskfarm {

std::chrono::microseconds Backoff::sleep_for_call(std::int64_t call) const {
  const std::int64_t sleeping = call - limits_.spins - limits_.yields;
  if (sleeping < 0) return std::chrono::microseconds{0};
  const auto doublings = std::min<std::int64_t>(sleeping, 30);
  const auto delay = limits_.first_sleep.count() << doublings;
  return std::chrono::microseconds{std::min<std::int64_t>(delay, limits_.max_sleep.count())};
}

void Backoff::pause() {
  const std::int64_t call = idle_calls_++;
  if (call < limits_.spins) return;
  if (call < limits_.spins + limits_.yields) {
    sched_yield();
    return;
  }
  std::this_thread::sleep_for(sleep_for_call(call));
}

}  // namespace taskfarm
