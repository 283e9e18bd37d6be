#include "core/backoff.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace taskfarm {

std::chrono::microseconds Backoff::action(std::chrono::microseconds idle_for, int sleeps) const {
  using std::chrono::microseconds;
  if (idle_for < limits_.spin) return microseconds{0};
  if (idle_for < limits_.yield) return microseconds{-1};
  const auto delay = limits_.first_sleep.count() << std::min(sleeps, 20);
  return microseconds{std::min<long long>(delay, limits_.max_sleep.count())};
}

void Backoff::pause() {
  // The first idle calls only count: a busy loop that idles for a few probes should not
  // pay for reading the clock.
  if (!idle_) {
    idle_ = true;
    free_spins_ = 0;
    sleeps_ = 0;
    return;
  }
  if (free_spins_ < uncounted_spins) {
    if (++free_spins_ == uncounted_spins) idle_since_ = clock::now();
    return;
  }
  const auto now = clock::now();
  const auto what = action(std::chrono::duration_cast<std::chrono::microseconds>(now - idle_since_), sleeps_);
  if (what.count() == 0) return;
  if (what.count() < 0) {
    sched_yield();
    return;
  }
  ++sleeps_;
  std::this_thread::sleep_for(what);
}

}  // namespace taskfarm
