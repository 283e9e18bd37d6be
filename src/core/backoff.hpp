#pragma once
// Poll-loop pacing: cheap when busy, considerate when idle. A loop that found nothing to
// do calls pause(). For the first `spin` of an idle stretch pause() returns at once (the
// caller's next probe is the spin), until `yield` it gives its core away with
// sched_yield, and after that it sleeps with a doubling delay capped at `max_sleep`.
// A loop that made progress calls reset(). The phases are measured in time, not calls, so
// a busy pipeline never sleeps between messages while an idle rank soon stops competing
// for a core with the busy ones when there are more ranks than cores.

#include <chrono>

namespace taskfarm {

class Backoff {
 public:
  using clock = std::chrono::steady_clock;
  struct Limits {
    std::chrono::microseconds spin{50};
    // 10 ms, not 1: a worker that ran dry while rank 0 was blocked writing to a slow
    // stdout must answer the next batch at once, not from a sleep (measured: 0.75 of the
    // plain-MPI farm through mpirun's forwarding with 1 ms, 0.83 to 1.05 with 10 ms).
    std::chrono::microseconds yield{10000};
    std::chrono::microseconds first_sleep{5};
    std::chrono::microseconds max_sleep{1000};
  };

  /// For loops that wait on processes (milliseconds each): sleep at once, as spinning
  /// only takes the cores those processes need.
  static constexpr Limits patient() {
    return Limits{std::chrono::microseconds{0}, std::chrono::microseconds{0}, std::chrono::microseconds{250},
                  std::chrono::microseconds{1000}};
  }

  Backoff() : Backoff(Limits{}) {}
  explicit Backoff(Limits limits) : limits_(limits) {}
  /// Other limits from now on; the idle time counted so far stays.
  void set_limits(Limits limits) { limits_ = limits; }

  void reset() {
    if (idle_ && free_spins_ == uncounted_spins) idle_s_ += std::chrono::duration<double>(clock::now() - idle_since_).count();
    idle_ = false;
  }
  void pause();
  /// Time spent in idle stretches that ended with reset(), those too short to be timed
  /// (a few probes) left out: no clock is read on a busy loop's account.
  double idle_s() const { return idle_s_; }

  /// What pause() does after `idle_for` of idling, having slept `sleeps` times already:
  /// 0 to spin, -1 to yield, otherwise the sleep length. Exposed for tests.
  std::chrono::microseconds action(std::chrono::microseconds idle_for, int sleeps) const;

 private:
  Limits limits_;
  bool idle_ = false;
  clock::time_point idle_since_;
  int sleeps_ = 0;
  int free_spins_ = 0;
  double idle_s_ = 0;
  static constexpr int uncounted_spins = 128;
};

}  // namespace taskfarm
