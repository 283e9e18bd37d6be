#pragma once
// Poll-loop pacing: cheap when busy, considerate when idle. A loop that found nothing to
// do calls pause(): the first calls return at once (the caller's next probe is the spin),
// then the rank yields its core, then it sleeps with a doubling, capped delay. A loop that
// made progress calls reset(). With more ranks than cores, an idle master or worker thus
// costs the busy ranks almost nothing.

#include <chrono>
#include <cstdint>

namespace taskfarm {

class Backoff {
 public:
  struct Limits {
    int spins = 64;
    int yields = 16;
    std::chrono::microseconds first_sleep{2};
    std::chrono::microseconds max_sleep{1000};
  };

  Backoff() : Backoff(Limits{}) {}
  explicit Backoff(Limits limits) : limits_(limits) {}

  void reset() { idle_calls_ = 0; }
  void pause();

  /// How long pause() sleeps on its `call`-th consecutive idle call (0 while spinning or
  /// yielding). Exposed for tests.
  std::chrono::microseconds sleep_for_call(std::int64_t call) const;

 private:
  Limits limits_;
  std::int64_t idle_calls_ = 0;
};

}  // namespace taskfarm
