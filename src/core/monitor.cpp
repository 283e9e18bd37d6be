#include "core/monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

namespace taskfarm {

namespace {
std::atomic<int> requested_stop{0};
char stop_marker[4096];  // a path, or empty; set before the handler can read it

// The first signal asks for a graceful stop. A second Ctrl-C ends the process at once, as
// a user pressing it twice expects; repeated SIGTERM or SIGUSR1 do not (a batch system
// may send both, through the launcher and directly).
extern "C" void on_stop_signal(int signal) {
  int expected = 0;
  if (!requested_stop.compare_exchange_strong(expected, signal)) {
    if (signal == SIGINT) {
      ::signal(signal, SIG_DFL);
      ::raise(signal);
    }
    return;
  }
  mark_stop_now();
}

/// A process's command name and parent, from /proc/PID/stat; nullopt when it is gone.
struct ProcessInfo {
  std::string name;
  pid_t parent;
};
std::optional<ProcessInfo> process_info(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  // "PID (NAME) STATE PPID ...": NAME may hold spaces and parentheses, so cut at the last ')'.
  const auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcessInfo info{text.substr(open + 1, close - open - 1), 0};
  char state = 0;
  int parent = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &parent) != 2) return std::nullopt;
  info.parent = parent;
  return info;
}

/// Whether file descriptor `fd` of process `pid` is a terminal (its /proc link is opened,
/// without becoming our controlling terminal and without blocking).
bool fd_is_terminal(pid_t pid, int fd) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const int opened = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (opened < 0) return false;
  const bool terminal = ::isatty(opened) != 0;
  ::close(opened);
  return terminal;
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return text;
}
}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) ::sigaction(signal, &action, nullptr);
}

void mark_stop_now() {
  if (stop_marker[0] == '\0') return;
  const int saved_errno = errno;  // called from the signal handler: open and close are async-signal-safe
  const int fd = ::open(stop_marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  errno = saved_errno;
}

void mark_stop_signal_in(const std::string& path) {
  if (path.size() >= sizeof stop_marker) return;  // too long to be a path: then a resume counts this rank as dead
  std::memcpy(stop_marker, path.c_str(), path.size() + 1);
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

int stop_signal() { return requested_stop.load(std::memory_order_relaxed); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGINT: return "SIGINT";
    default: return "signal " + std::to_string(signal);
  }
}

ProgressMode parse_progress_mode(const std::string& text, bool stderr_is_terminal) {
  if (text == "none") return ProgressMode::none;
  if (text == "bar") return ProgressMode::bar;
  if (text == "log") return ProgressMode::log;
  return stderr_is_terminal ? ProgressMode::bar : ProgressMode::log;
}

bool stderr_reaches_terminal() {
  if (::isatty(STDERR_FILENO)) return true;
  // A redirection (2> file) is the user's choice, whatever the launcher's stderr is.
  struct stat own {};
  if (::fstat(STDERR_FILENO, &own) != 0 || !(S_ISFIFO(own.st_mode) || S_ISSOCK(own.st_mode))) return false;
  // The launcher forwards the pipe to its own stderr: Open MPI's mpirun is the parent of
  // the ranks on its node; MPICH's mpiexec the grandparent, behind a hydra proxy.
  static const std::set<std::string> launchers{"mpirun", "mpiexec", "orterun", "prterun", "mpiexec.hydra"};
  pid_t launcher = ::getppid();
  auto info = process_info(launcher);
  if (info && info->name == "hydra_pmi_proxy") {
    launcher = info->parent;
    info = process_info(launcher);
  }
  return info && launchers.count(info->name) && fd_is_terminal(launcher, STDERR_FILENO);
}

Progress::Progress(ProgressMode mode, double interval_s, std::function<void(std::string_view)> write)
    : mode_(mode), interval_s_(mode == ProgressMode::bar ? 0.25 : interval_s), write_(std::move(write)) {
  next_due_s_ = mode == ProgressMode::log ? std::min(interval_s_, first_log_line_s) : interval_s_;
}

std::string Progress::format(const ProgressState& s, double rate) {
  char text[256];
  std::string done = std::to_string(s.done + s.failed);
  std::string eta = "ETA ?";
  if (s.total) {
    const double fraction = *s.total ? static_cast<double>(s.done + s.failed) / static_cast<double>(*s.total) : 1.0;
    char percent[16];
    std::snprintf(percent, sizeof percent, " %.1f%%", 100 * fraction);
    done += "/" + std::to_string(*s.total) + percent;
    if (rate > 0) eta = "ETA " + clock_text(static_cast<double>(*s.total - std::min(*s.total, s.done + s.failed)) / rate);
  }
  std::snprintf(text, sizeof text, "%s | %.1f tasks/s | %s | %d/%d workers busy | %llu failed", done.c_str(), rate,
                eta.c_str(), s.busy_workers, s.workers, static_cast<unsigned long long>(s.failed));
  return text;
}

void Progress::update(const ProgressState& state) {
  if (mode_ == ProgressMode::none || state.elapsed_s < next_due_s_) return;
  // The rate over the last interval, smoothed: the ETA follows changes without jumping.
  const double window = state.elapsed_s - last_s_;
  const double recent = window > 0 ? static_cast<double>(state.done + state.failed - last_done_) / window : 0;
  rate_ = drawn_ ? 0.7 * rate_ + 0.3 * recent : recent;
  last_s_ = state.elapsed_s;
  last_done_ = state.done + state.failed;
  next_due_s_ = state.elapsed_s + interval_s_;
  const std::string line = format(state, rate_);
  if (mode_ == ProgressMode::bar) write_("\r\033[K" + line);
  else write_("progress: " + line);
  drawn_ = true;
}

void Progress::finish() {
  if (mode_ == ProgressMode::bar && drawn_) write_("\n");
}

Timeline::Timeline(std::size_t capacity, std::size_t points) : capacity_(capacity), points_(points) {
  samples_.reserve(capacity);
}

void Timeline::add(const TaskSample& sample) {
  if (!wants(sample.id)) return;
  samples_.push_back(sample);
  while (samples_.size() >= capacity_) {  // full: keep every other ID
    stride_ *= 2;
    std::vector<TaskSample> kept;
    for (const TaskSample& s : samples_)
      if (wants(s.id)) kept.push_back(s);
    samples_ = std::move(kept);
  }
}

void Timeline::completed(double now_s, std::uint64_t done, bool force) {
  if (!force && !completions_.empty() && now_s - completions_.back().first < completion_step_s_) return;
  completions_.emplace_back(now_s, done);
  if (completions_.size() >= 2 * points_) {  // thin out: every other point, twice the step
    std::vector<std::pair<double, std::uint64_t>> kept;
    for (std::size_t i = 0; i < completions_.size(); i += 2) kept.push_back(completions_[i]);
    completions_ = std::move(kept);
    completion_step_s_ *= 2;
  }
}

}  // namespace taskfarm
