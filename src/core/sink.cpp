#include "core/sink.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <system_error>

namespace taskfarm {
namespace {

/// Open MPI gives each rank's stdout a pseudo-terminal, set to pass bytes unchanged (no
/// -onlcr) but still with output processing on, which costs the kernel a call per tab
/// (measured: walk's 24 MB to stdout, 0.95 s against 0.78 s without). Where the settings
/// leave every byte as it is, turning processing off changes nothing but the cost. A
/// terminal that does change bytes (a user's, with onlcr) is left alone, as is the
/// controlling terminal of a job in the background (changing it would stop us: SIGTTOU).
/// Returns the settings to restore.
std::optional<termios> stop_byte_neutral_output_processing(int fd) {
  termios settings{};
  if (tcgetattr(fd, &settings) != 0 || !(settings.c_oflag & OPOST)) return std::nullopt;
  const pid_t foreground = tcgetpgrp(fd);  // -1: not our controlling terminal
  if (foreground != -1 && foreground != getpgrp()) return std::nullopt;
  const tcflag_t changes_bytes = OLCUC | ONLCR | OCRNL | ONOCR | OFILL;
  if ((settings.c_oflag & changes_bytes) || (settings.c_oflag & TABDLY) == XTABS) return std::nullopt;
  termios raw = settings;
  raw.c_oflag &= ~OPOST;
  if (tcsetattr(fd, TCSANOW, &raw) != 0) return std::nullopt;
  return settings;
}

/// Starts the writer thread with the asynchronous signals blocked, so that a stop signal
/// still reaches the thread that runs the farm, as it did before there was a writer.
std::thread start_without_signals(std::function<void()> body) {
  sigset_t asynchronous, before;
  sigfillset(&asynchronous);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGPIPE, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&asynchronous, sig);
  pthread_sigmask(SIG_BLOCK, &asynchronous, &before);
  std::thread thread;
  try {
    thread = std::thread(std::move(body));
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return thread;
}

/// 0, or the errno of the write that failed.
int write_fully(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

FdSink::FdSink(int fd, std::size_t buffer_bytes) : fd_(fd), capacity_(buffer_bytes) {
  buffer_.reserve(capacity_);
  // Under mpirun with a pipe for stdout, a deeper pipe lets the master write ahead while
  // mpirun drains it (measured: about 25% more forwarded MB/s). Where the kernel refuses,
  // the default pipe is fine.
  struct stat st {};
  if (fstat(fd_, &st) == 0 && S_ISFIFO(st.st_mode)) fcntl(fd_, F_SETPIPE_SZ, 1 << 20);
}

/// At the first data, not before: a worker's sink, never written, starts no thread.
void FdSink::start_writer() {
  if (writer_.joinable()) return;
  terminal_ = stop_byte_neutral_output_processing(fd_);
  writer_ = start_without_signals([this] { write_out(); });
}

FdSink::~FdSink() {
  try {
    flush();
  } catch (...) {  // a destructor cannot report; flush() is called explicitly before
  }
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (terminal_) tcsetattr(fd_, TCSANOW, &*terminal_);
}

void FdSink::write(std::string_view data) {
  if (buffer_.size() + data.size() > 8 * capacity_) hand_off();
  if (data.size() < capacity_) {
    buffer_.append(data);
    return;
  }
  flush();  // a large piece goes out from here, after what came before it, uncopied
  start_writer();
  if (const int error = write_fully(fd_, data)) {
    std::lock_guard lock(mutex_);
    error_ = error;
  }
  throw_if_failed();
}

void FdSink::flush_if_due() {
  if (buffer_.size() >= capacity_ && writer_free()) hand_off();
}

void FdSink::flush() {
  hand_off();
  drain();
}

void FdSink::hand_off() {
  drain();
  if (buffer_.empty()) return;
  start_writer();
  {
    std::lock_guard lock(mutex_);
    outgoing_.swap(buffer_);
    busy_ = true;
  }
  changed_.notify_all();
}

void FdSink::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !busy_; });
  if (error_) buffer_.clear();  // nothing more can follow what was lost
  throw_if_failed();
}

bool FdSink::writer_free() {
  std::lock_guard lock(mutex_);
  return !busy_;
}

void FdSink::write_out() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return busy_ || closing_; });
    if (!busy_) return;
    const bool failed_before = error_ != 0;
    lock.unlock();
    const int error = failed_before ? 0 : write_fully(fd_, outgoing_);
    lock.lock();
    outgoing_.clear();
    if (error) error_ = error;
    busy_ = false;
    changed_.notify_all();
  }
}

void FdSink::throw_if_failed() const {
  if (error_) throw std::system_error(error_, std::generic_category(), "writing results");
}

}  // namespace taskfarm
