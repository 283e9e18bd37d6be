#include "core/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace taskfarm::log {

namespace {
// -v on this rank: kernels ask (taskfarm::narrating(), through log::narrating()) before
// building a line of narration nobody would read.
bool kernels_narrate = false;
std::string prefix = "taskfarm: ";

void write_all(std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to log to
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}
}  // namespace

void set_narrating(bool on) { kernels_narrate = on; }
bool narrating() { return kernels_narrate; }

void set_rank(int rank) {
  prefix = rank == 0 ? "taskfarm master: " : "taskfarm rank " + std::to_string(rank) + ": ";
}

void line(std::string_view text) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[40];
  const auto len = std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(stamp + len, sizeof stamp - len, ".%03d ", static_cast<int>(ms));
  std::string out;
  out.reserve(64 + text.size());
  out.append(stamp).append(prefix).append(text).push_back('\n');
  write_all(out);
}

void raw(std::string_view text) { write_all(text); }

void error(std::string_view text) {
  std::string out = "taskfarm: error: ";
  out.append(text).push_back('\n');
  write_all(out);
}

}  // namespace taskfarm::log
