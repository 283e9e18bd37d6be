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
};

/// Buffered writes to a file descriptor (stdout): one write(2) per 128 KiB, not per line.
/// (Smaller writes than 1 MiB keep mpirun's forwarding busy without stalls: measured.)
class FdSink final : public ResultSink {
 public:
  explicit FdSink(int fd, std::size_t buffer_bytes = 128 << 10);
  ~FdSink() override;
  void write(std::string_view data) override;
  void flush() override;

 private:
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
