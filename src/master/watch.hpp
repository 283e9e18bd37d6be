#pragma once
// What the master shows while it runs: progress on stderr and the report's timeline.

#include <string_view>

#include "core/clock.hpp"
#include "core/monitor.hpp"
#include "job/config.hpp"

namespace taskfarm {

class Watch {
 public:
  Watch(const Config& config, clock::time_point start);
  /// Seconds since the run started.
  double now_s() const { return seconds_since(start_); }
  /// Draws progress when due and records the completed count.
  void update(const ProgressState& state);
  /// The last progress line and the timeline's last point, for a finished run.
  void finish(double elapsed_s, std::uint64_t completed);
  Timeline timeline;

 private:
  clock::time_point start_;
  Progress progress_;
};

}  // namespace taskfarm
