#pragma once
// Where the master puts result data when there is no output directory.

#include <termios.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace taskfarm {

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void write(std::string_view data) = 0;
  virtual void flush() {}
  /// Writes out what is buffered once there is enough of it. The master calls this after
  /// handing out tasks, so that the workers compute while a slow stdout drains.
  virtual void flush_if_due() {}
};

/// Buffered writes to a file descriptor (stdout) from a writer thread of its own, so that
/// the master hands out tasks while a slow stdout drains (mpirun forwards a rank's stdout
/// through a pseudo-terminal, 4 KiB at a time). write() buffers; flush_if_due() hands the
/// buffer (128 KiB or more) to the writer when it is free; past 8 times that, write()
/// waits for it. So at most two buffers are held: about 2 MiB.
class FdSink final : public ResultSink {
 public:
  explicit FdSink(int fd, std::size_t buffer_bytes = 128 << 10);
  ~FdSink() override;
  void write(std::string_view data) override;
  /// Returns once everything written so far is out (or throws what the writer met).
  void flush() override;
  void flush_if_due() override;

 private:
  void start_writer();
  void hand_off();  // waits for the writer to be free, then gives it buffer_
  void drain();     // waits for the writer to be free
  bool writer_free();
  void write_out();  // the writer thread
  void throw_if_failed() const;

  int fd_;
  std::size_t capacity_;
  std::string buffer_;  // filled by the caller's thread
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string outgoing_;  // being written by the writer thread
  bool busy_ = false;
  bool closing_ = false;
  int error_ = 0;  // errno of a failed write: sticky
  std::optional<termios> terminal_;  // the settings to restore (see start_writer)
  std::thread writer_;
};

/// Keeps everything in memory (tests).
class StringSink final : public ResultSink {
 public:
  void write(std::string_view data) override { text.append(data); }
  std::string text;
};

}  // namespace taskfarm
