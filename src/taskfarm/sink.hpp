#pragma once
// Where the master puts result data when there is no output directory.

#include <string>
#include <string_view>

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

/// Buffered writes to a file descriptor (stdout): one write(2) per 128 KiB, not per line.
/// (Smaller writes than 1 MiB keep mpirun's forwarding busy without stalls: measured.)
/// write() only buffers, up to 8 times that; flush_if_due() writes.
class FdSink final : public ResultSink {
 public:
  explicit FdSink(int fd, std::size_t buffer_bytes = 128 << 10);
  ~FdSink() override;
  void write(std::string_view data) override;
  void flush() override;
  void flush_if_due() override;

 private:
  void write_all(std::string_view data);
  int fd_;
  std::string buffer_;
  std::size_t capacity_;
};

/// Keeps everything in memory (tests).
class StringSink final : public ResultSink {
 public:
  void write(std::string_view data) override { text.append(data); }
  std::string text;
};

}  // namespace taskfarm
