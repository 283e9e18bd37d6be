#pragma once
// A task's output too large to hold in memory, as GNU parallel keeps it: an unnamed
// temporary file (O_TMPFILE in $TMPDIR, else /tmp), gone when closed. MPI-free.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace taskfarm {

class SpillFile {
 public:
  SpillFile() = default;
  SpillFile(SpillFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)), bytes_(std::exchange(other.bytes_, 0)) {}
  SpillFile& operator=(SpillFile&& other) noexcept {
    std::swap(fd_, other.fd_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~SpillFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool open() const { return fd_ >= 0; }
  std::uint64_t bytes() const { return bytes_; }

  /// Creates the file; throws std::system_error naming the directory.
  void create() {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot create a spill file in " + dir);
  }
  /// Opens (or creates) the file at `path`, keeping its first `keep` bytes: what follows
  /// is cut off, and appends go after them. Throws std::system_error, or std::runtime_error
  /// when the file is shorter than `keep`.
  void open_named(const std::string& path, std::uint64_t keep) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (keep == 0 ? O_TRUNC : 0), 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0 || static_cast<std::uint64_t>(size) < keep)
      throw std::runtime_error(path + " holds " + std::to_string(size) + " bytes, fewer than the journal's " +
                               std::to_string(keep));
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::lseek(fd_, static_cast<off_t>(keep), SEEK_SET) < 0)
      throw std::system_error(errno, std::generic_category(), "cannot cut " + path);
    bytes_ = keep;
  }
  /// Keeps the first `bytes` bytes; appends go after them. Throws std::system_error.
  void cut(std::uint64_t bytes) {
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0 || ::lseek(fd_, static_cast<off_t>(bytes), SEEK_SET) < 0)
      throw std::system_error(errno, std::generic_category(), "cannot cut a spill file");
    bytes_ = bytes;
  }
  /// Appends `data`; throws std::system_error (a full disk).
  void append(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write a spill file");
      data.remove_prefix(static_cast<std::size_t>(n));
      bytes_ += static_cast<std::uint64_t>(n);
    }
  }
  /// Appends up to `max` bytes from `offset` to `out`; throws std::system_error.
  void read(std::uint64_t offset, std::size_t max, std::string& out) const {
    const std::size_t start = out.size();
    out.resize(start + max);
    std::size_t got = 0;
    while (got < max) {
      const ssize_t n = ::pread(fd_, out.data() + start + got, max - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot read a spill file");
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(start + got);
  }

 private:
  int fd_ = -1;
  std::uint64_t bytes_ = 0;
};

}  // namespace taskfarm
