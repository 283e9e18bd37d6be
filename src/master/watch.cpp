#include "master/watch.hpp"

#include "core/log.hpp"

namespace taskfarm {

Watch::Watch(const Config& config, clock::time_point start)
    : start_(start),
      progress_(parse_progress_mode(config.progress, stderr_reaches_terminal()), config.progress_interval_s,
                [](std::string_view text) {
                  if (!text.empty() && (text[0] == '\r' || text == "\n")) log::raw(text);
                  else log::line(text);
                }) {}

void Watch::update(const ProgressState& state) {
  progress_.update(state);
  timeline.completed(state.elapsed_s, state.done + state.failed);
}

void Watch::finish(double elapsed_s, std::uint64_t completed) {
  timeline.completed(elapsed_s, completed, true);
  progress_.finish();
}

}  // namespace taskfarm
