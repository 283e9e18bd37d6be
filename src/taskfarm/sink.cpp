#include "taskfarm/sink.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace taskfarm {

FdSink::FdSink(int fd, std::size_t buffer_bytes) : fd_(fd), capacity_(buffer_bytes) {
  buffer_.reserve(capacity_);
}

FdSink::~FdSink() {
  try {
    flush();
  } catch (...) {  // a destructor cannot report; flush() is called explicitly before
  }
}

void FdSink::write(std::string_view data) {
  if (buffer_.size() + data.size() > capacity_) flush();
  buffer_.append(data);
}

void FdSink::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buffer_.clear();
      throw std::system_error(errno, std::generic_category(), "writing results");
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

}  // namespace taskfarm
