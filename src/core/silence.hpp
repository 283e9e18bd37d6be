#pragma once
// --task-timeout: since when each worker holding tasks has been silent.

#include <vector>

#include "core/clock.hpp"

namespace taskfarm {

class Silence {
 public:
  /// `limit_s` 0: nobody is timed (the clocks are not even read).
  Silence(int workers, double limit_s) : limit_s_(limit_s), since_(static_cast<std::size_t>(workers), clock::now()) {}
  bool timed() const { return limit_s_ > 0; }
  double limit_s() const { return limit_s_; }
  /// A worker that held nothing got work, or one replied: its silence starts now.
  void restart(int worker) {
    if (timed()) since_[static_cast<std::size_t>(worker)] = clock::now();
  }
  /// Whether `worker` has been silent longer than the limit at `now`.
  bool too_long(int worker, clock::time_point now) const {
    return timed() && std::chrono::duration<double>(now - since_[static_cast<std::size_t>(worker)]).count() > limit_s_;
  }

 private:
  double limit_s_;
  std::vector<clock::time_point> since_;
};

}  // namespace taskfarm
