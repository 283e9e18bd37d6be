#include "taskfarm/input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <CLI/CLI.hpp>

#include "taskfarm/wire.hpp"

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

void add_directory(const fs::path& dir, std::vector<InputFile>& files) {
  std::vector<fs::directory_entry> entries{fs::directory_iterator(dir), fs::directory_iterator()};
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    if (hidden(e.path())) continue;
    if (e.is_directory()) add_directory(e.path(), files);
    else if (e.is_regular_file()) files.push_back({e.path().string(), e.file_size()});
  }
}
}  // namespace

std::vector<InputFile> list_input_files(const std::vector<std::string>& paths) {
  std::vector<InputFile> files;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) throw UsageError("--input: no such file or directory '" + p + "'");
    if (fs::is_directory(status)) add_directory(p, files);
    else if (::access(p.c_str(), R_OK) != 0) throw UsageError("--input: cannot read '" + p + "'");
    else files.push_back({p, fs::file_size(p)});
  }
  return files;
}

namespace {
class BlockSource final : public TaskSource {
 public:
  BlockSource(std::vector<InputFile> files, std::uint64_t block_size)
      : files_(std::move(files)), block_size_(block_size) {
    for (const auto& f : files_) blocks_ += (f.size + block_size_ - 1) / block_size_;
  }
  std::optional<std::uint64_t> size() const override { return blocks_; }
  bool next(std::string& payload) override {
    while (file_ < files_.size() && offset_ >= files_[file_].size) {
      ++file_;
      offset_ = 0;
    }
    if (file_ == files_.size()) return false;
    const InputFile& f = files_[file_];
    const std::uint64_t length = std::min(block_size_, f.size - offset_);
    payload.clear();
    wire::put(payload, offset_);
    wire::put(payload, length);
    payload.append(f.path);
    offset_ += length;
    return true;
  }

 private:
  std::vector<InputFile> files_;
  std::uint64_t block_size_;
  std::uint64_t blocks_ = 0;
  std::size_t file_ = 0;
  std::uint64_t offset_ = 0;
};

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
  }
  ~ReadOnlyFile() { ::close(fd_); }
  /// Appends up to `n` bytes from `offset` to `buf`; returns how many (0 at end of file).
  std::size_t read_at(std::uint64_t offset, std::size_t n, std::string& buf, const std::string& path) const {
    const std::size_t old = buf.size();
    buf.resize(old + n);
    ssize_t got;
    do got = ::pread(fd_, buf.data() + old, n, static_cast<off_t>(offset));
    while (got < 0 && errno == EINTR);
    if (got < 0) throw std::system_error(errno, std::generic_category(), "cannot read " + path);
    buf.resize(old + static_cast<std::size_t>(got));
    return static_cast<std::size_t>(got);
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

std::uint64_t for_each_line(const BlockRef& block,
                            const std::function<void(std::uint64_t, std::string_view)>& on_line) {
  const std::string path(block.path);
  ReadOnlyFile file(path);
  // Read from one byte before the block: a line starts at the block's first byte only if
  // the byte before it is a newline (or the block starts the file).
  const std::uint64_t base = block.offset == 0 ? 0 : block.offset - 1;
  const auto wanted = static_cast<std::size_t>(block.offset + block.length - base);
  std::string buf;
  bool at_eof = file.read_at(base, wanted, buf, path) < wanted;
  std::uint64_t bytes_read = buf.size();

  std::size_t pos = 0;  // index in buf of the next line start
  if (block.offset != 0) {
    // Skip the partial line. Only the block's own bytes matter: if no newline is in
    // them, no line starts in this block. (Reading on would make every block inside a
    // long line read the rest of it: quadratic for small blocks.)
    const std::size_t nl = buf.find('\n');
    if (nl == std::string::npos) return bytes_read;
    pos = nl + 1;
  }
  const std::uint64_t block_end = block.offset + block.length;
  while (base + pos < block_end && pos < buf.size()) {
    std::size_t nl, scan = pos;
    // Finish the last line past the block's end.
    while ((nl = buf.find('\n', scan)) == std::string::npos && !at_eof) {
      scan = buf.size();
      const std::size_t got = file.read_at(base + buf.size(), continuation_chunk, buf, path);
      bytes_read += got;
      at_eof = got == 0;
    }
    const std::size_t end = nl == std::string::npos ? buf.size() : nl;
    on_line(base + pos, std::string_view(buf).substr(pos, end - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return bytes_read;
}

}  // namespace taskfarm
