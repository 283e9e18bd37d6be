#include "jobkit/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include <CLI/CLI.hpp>

#include "core/wire.hpp"

namespace taskfarm {

namespace fs = std::filesystem;

void InputOptions::add_to(CLI::App& command) {
  command.add_option("--input", paths, "Input files and directories (directories are read recursively)")
      ->required();
  command.add_option("--block-size", block_size_text, "Bytes per task: N, or with suffix K, M or G")
      ->capture_default_str();
}

void InputOptions::check() { block_size = parse_byte_size(block_size_text, "--block-size"); }

std::uint64_t parse_byte_size(const std::string& text, const std::string& option) {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, n);
  unsigned shift = 0;
  if (rest != end && rest + 1 == end) {
    switch (*rest) {
      case 'K': case 'k': shift = 10; break;
      case 'M': case 'm': shift = 20; break;
      case 'G': case 'g': shift = 30; break;
      default: shift = 64;
    }
    ++rest;
  }
  if (ec != std::errc() || rest != end || shift == 64 || n == 0 || n > (~0ULL >> (shift + 1)))
    throw UsageError(option + ": expected a positive size like 4096, 64K, 64M or 1G, got '" + text + "'");
  return n << shift;
}

namespace {
bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && (name[0] == '_' || name[0] == '.');
}

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

/// The walk over --input: each directory and each file once, by (device, inode), so a
/// symlink loop ends and a file reached through a symlink too is read once.
class InputWalk {
 public:
  void add(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw UsageError("--input: " + (errno == ENOENT ? "no such file or directory '" + path + "'"
                                                      : "cannot read '" + path + "': " + errno_text(errno)));
    if (!seen_.insert({st.st_dev, st.st_ino}).second) return;
    if (S_ISDIR(st.st_mode)) return add_directory(path);
    if (!S_ISREG(st.st_mode))  // a FIFO would hang the master, a device never end
      throw UsageError("--input: '" + path + "' is " + kind(st.st_mode) + ", not a regular file");
    if (::access(path.c_str(), R_OK) != 0) throw UsageError("--input: cannot read '" + path + "': " + errno_text(errno));
    files_.push_back({path, static_cast<std::uint64_t>(st.st_size)});
  }
  std::vector<InputFile> take() { return std::move(files_); }

 private:
  static std::string kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "not a file";
  }
  void add_directory(const std::string& dir) {
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) throw UsageError("--input: cannot list '" + dir + "': " + ec.message());
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
    for (const auto& e : entries)
      if (!hidden(e)) add(e.string());
  }

  std::set<std::pair<dev_t, ino_t>> seen_;
  std::vector<InputFile> files_;
};
}  // namespace

std::vector<InputFile> list_input_files(const std::vector<std::string>& paths) {
  InputWalk walk;
  for (const auto& p : paths) walk.add(p);
  std::vector<InputFile> files = walk.take();
  if (files.empty()) {
    std::string names;
    for (const auto& p : paths) names += (names.empty() ? "'" : ", '") + p + "'";
    throw UsageError("--input: no files to read in " + names);
  }
  return files;
}

namespace {
class BlockSource final : public TaskSource {
 public:
  BlockSource(std::vector<InputFile> files, std::uint64_t block_size)
      : files_(std::move(files)), block_size_(block_size) {
    for (const auto& f : files_) {
      first_block_.push_back(blocks_);
      blocks_ += (f.size + block_size_ - 1) / block_size_;
    }
  }
  std::optional<std::uint64_t> size() const override { return blocks_; }
  bool next(std::string& payload) override {
    if (next_ == blocks_) return false;
    return replay(next_++, payload);
  }
  bool replayable() const override { return true; }
  /// Block `id`: the file whose blocks begin at or before it (the last such: empty files
  /// have none), at `id - first block` block sizes in.
  bool replay(std::uint64_t id, std::string& payload) override {
    if (id >= blocks_) return false;
    const auto file = static_cast<std::size_t>(std::upper_bound(first_block_.begin(), first_block_.end(), id) -
                                               first_block_.begin() - 1);
    const InputFile& f = files_[file];
    const std::uint64_t offset = (id - first_block_[file]) * block_size_;
    payload.clear();
    wire::put(payload, offset);
    wire::put(payload, std::min(block_size_, f.size - offset));
    payload.append(f.path);
    return true;
  }

 private:
  std::vector<InputFile> files_;
  std::uint64_t block_size_;
  std::uint64_t blocks_ = 0;
  std::vector<std::uint64_t> first_block_;  // by file
  std::uint64_t next_ = 0;
};

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
  }
  ~ReadOnlyFile() { ::close(fd_); }
  /// Appends up to `n` bytes from `offset` to `buf`; returns how many (fewer only at the
  /// end of the file).
  std::size_t read_at(std::uint64_t offset, std::size_t n, ReadBuffer& buf, const std::string& path) const {
    char* to = buf.reserve_more(n);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, to + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw std::system_error(errno, std::generic_category(), "cannot read " + path);
      if (got == 0) break;  // end of file
      done += static_cast<std::size_t>(got);
    }
    buf.commit(done);
    return done;
  }

 private:
  int fd_;
};

constexpr std::size_t continuation_chunk = 64 << 10;
}  // namespace

std::unique_ptr<TaskSource> open_block_source(std::vector<InputFile> files, std::uint64_t block_size) {
  return std::make_unique<BlockSource>(std::move(files), block_size);
}

BlockRef decode_block(std::string_view payload) {
  BlockRef b{};
  b.offset = wire::get<std::uint64_t>(payload);
  b.length = wire::get<std::uint64_t>(payload);
  b.path = payload;
  return b;
}

std::string describe_block(std::string_view payload) {
  const BlockRef b = decode_block(payload);
  return std::string(b.path) + " [" + std::to_string(b.offset) + ", +" + std::to_string(b.length) + ")";
}

char* ReadBuffer::reserve_more(std::size_t n) {
  if (size_ + n > capacity_) {
    const std::size_t capacity = std::max(size_ + n, 2 * capacity_);
    std::unique_ptr<char[]> bigger(new char[capacity + padding]);
    if (size_) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = capacity;
  }
  return bytes_.get() + size_;
}

void ReadBuffer::commit(std::size_t n) {
  size_ += n;
  std::memset(bytes_.get() + size_, 0, padding);  // defined, if never meaningful
}

BlockText read_block_text(const BlockRef& block, ReadBuffer& buf) {
  const std::string path(block.path);
  ReadOnlyFile file(path);
  // Read from one byte before the block: a line starts at the block's first byte only if
  // the byte before it is a newline (or the block starts the file).
  const std::uint64_t base = block.offset == 0 ? 0 : block.offset - 1;
  const auto wanted = static_cast<std::size_t>(block.offset + block.length - base);
  buf.clear();
  const bool short_read = file.read_at(base, wanted, buf, path) < wanted;
  BlockText result{{}, block.offset, buf.size()};
  std::size_t first = 0;  // index in buf of the first line start
  if (block.offset != 0) {
    // Skip the partial line. Only the block's own bytes matter: if no newline is in
    // them, no line starts in this block. (Reading on would make every block inside a
    // long line read the rest of it: quadratic for small blocks.)
    const auto* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', buf.size()));
    if (!nl) return result;
    first = static_cast<std::size_t>(nl - buf.data()) + 1;
  }
  if (first >= buf.size()) return result;  // the block ends where its first line would start
  // Finish the last line past the block's end: up to the first newline at or after the
  // block's last byte, or the end of the file.
  std::size_t scan = std::min(buf.size(), static_cast<std::size_t>(block.offset + block.length - base)) - 1;
  scan = std::max(scan, first);
  const auto find_newline = [&](std::size_t from) {
    const void* at = std::memchr(buf.data() + from, '\n', buf.size() - from);
    return at ? static_cast<std::size_t>(static_cast<const char*>(at) - buf.data()) : std::string_view::npos;
  };
  std::size_t nl;
  bool at_eof = short_read;
  while ((nl = find_newline(scan)) == std::string_view::npos && !at_eof) {
    scan = buf.size();
    const std::size_t got = file.read_at(base + buf.size(), continuation_chunk, buf, path);
    result.bytes_read += got;
    at_eof = got < continuation_chunk;
  }
  const std::size_t end = nl == std::string_view::npos ? buf.size() : nl + 1;
  result.text = std::string_view(buf.data() + first, end - first);
  result.file_offset = base + first;
  return result;
}

std::uint64_t for_each_block_piece(const BlockRef& block, std::uint64_t piece_bytes, ReadBuffer& buffer,
                                   const std::function<void(const BlockText&)>& on_piece) {
  std::uint64_t bytes_read = 0;
  const std::uint64_t end = block.offset + block.length;
  for (std::uint64_t at = block.offset; at < end; at += piece_bytes) {
    const BlockText piece = read_block_text(BlockRef{block.path, at, std::min(piece_bytes, end - at)}, buffer);
    bytes_read += piece.bytes_read;
    on_piece(piece);
  }
  return bytes_read;
}

std::uint64_t for_each_line(const BlockRef& block,
                            const std::function<void(std::uint64_t, std::string_view)>& on_line) {
  ReadBuffer buf;
  const BlockText block_text = read_block_text(block, buf);
  std::string_view text = block_text.text;
  std::uint64_t offset = block_text.file_offset;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::size_t length = nl == std::string_view::npos ? text.size() : nl;
    on_line(offset, text.substr(0, length));
    const std::size_t step = nl == std::string_view::npos ? text.size() : nl + 1;
    text.remove_prefix(step);
    offset += step;
  }
  return block_text.bytes_read;
}

}  // namespace taskfarm
