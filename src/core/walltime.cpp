#include "core/walltime.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "taskfarm/error.hpp"

namespace taskfarm {

WalltimeGuard::WalltimeGuard(std::optional<double> end_epoch_s, std::optional<double> min_time_left_s)
    : end_epoch_s_(end_epoch_s), min_time_left_s_(min_time_left_s) {}

void WalltimeGuard::observe(double run_s) {
  if (min_time_left_s_) return;
  if (run_times_.size() < capacity) run_times_.push_back(run_s);
  else run_times_[observed_ % capacity] = run_s;
  ++observed_;
}

double WalltimeGuard::margin_s() const {
  if (min_time_left_s_) return *min_time_left_s_;
  if (observed_ < min_samples) return 0;
  if (!margin_ || observed_ >= margin_observed_ + std::max<std::size_t>(1, margin_observed_ / 16)) {
    margin_observed_ = observed_;
    std::vector<double> times = run_times_;
    const auto k = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(times.size()))) - 1;
    std::nth_element(times.begin(), times.begin() + static_cast<long>(k), times.end());
    margin_ = times[k];
  }
  return *margin_;
}

std::optional<double> WalltimeGuard::cut(double now_epoch_s) const {
  if (!end_epoch_s_) return std::nullopt;
  const double left = *end_epoch_s_ - now_epoch_s;
  if (left < margin_s()) return std::max(left, 0.0);
  return std::nullopt;
}

namespace {

constexpr double past_tolerance_s = 60;

/// "2026-12-02 06:04:12 UTC".
std::string utc_text(double epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace

double parse_end_time(const std::string& text, double now_epoch_s) {
  const bool relative = !text.empty() && text[0] == '+';
  const std::string number = relative ? text.substr(1) : text;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || errno != 0 || !(value >= 0) || value > 1e12)
    throw UsageError("--end-time: expected epoch seconds or +SECONDS from now, got '" + text + "'");
  // A time long past is a typo. Within the last minute it is a job at its end (the guard
  // stops it at once): every rank parses this, and their clocks may differ by a little.
  if (!relative && value < now_epoch_s - past_tolerance_s)
    throw UsageError("--end-time: " + text + " is " + utc_text(value) + ", in the past (now: " + utc_text(now_epoch_s) +
                     ")");
  return relative ? now_epoch_s + value : value;
}

std::optional<double> slurm_job_end_time(std::string& source) {
  if (const char* end = std::getenv("SLURM_JOB_END_TIME")) {
    char* stop = nullptr;
    const double value = std::strtod(end, &stop);
    if (stop != end && *stop == '\0' && value > 0) {
      source = "SLURM_JOB_END_TIME";
      return value;
    }
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (!job || std::string(job).find_first_not_of("0123456789_") != std::string::npos) return std::nullopt;
  // %e is the end time in local time, YYYY-MM-DDTHH:MM:SS ("Unknown" without a limit).
  const std::string command = std::string("squeue -h -j ") + job + " -o %e 2>/dev/null";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  char line[128] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  ::pclose(pipe);
  std::tm tm{};
  tm.tm_isdst = -1;
  if (!got || !::strptime(line, "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  source = "squeue";
  return static_cast<double>(t);
}

}  // namespace taskfarm
