#pragma once
// The steady clock behind every timeout and duration, and its conversions from the
// fractional seconds that options such as --grace and --task-timeout are given in.

#include <chrono>

namespace taskfarm {

using clock = std::chrono::steady_clock;

/// A duration of `s` seconds, in the clock's own unit.
inline clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
}

/// Seconds from `t` until now.
inline double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

/// Wall-clock seconds since the epoch (joblog start times).
inline double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace taskfarm
