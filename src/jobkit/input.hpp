#pragma once
// Shared input read in blocks, like HDFS splits. The master only lists the files and cuts
// them into block descriptors (path, offset, length); workers read their blocks
// themselves with pread. Records are lines, with Hadoop's LineRecordReader rule: a line
// belongs to the block it starts in, so every line is read exactly once whatever the
// block size, and a line never spans two files. Everything here is MPI-free.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "job/job.hpp"

namespace CLI {
class App;
}

namespace taskfarm {

struct InputFile {
  std::string path;
  std::uint64_t size;
};

/// --input and --block-size, shared by every job that reads files.
struct InputOptions {
  std::vector<std::string> paths;
  std::string block_size_text = "64M";
  std::uint64_t block_size = 64ULL << 20;

  void add_to(CLI::App& command);
  /// Parses the block size; throws UsageError.
  void check();
};

/// "4096", "64K", "64M", "1G" -> bytes. Throws UsageError naming `option`.
std::uint64_t parse_byte_size(const std::string& text, const std::string& option);

/// Files given directly, and files under directories (recursively, in name order),
/// skipping names that start with '_' or '.'; each directory and file once, so symlink
/// loops end. Throws UsageError, naming the path, for a missing or unreadable one, a
/// FIFO, socket or device, a directory that cannot be listed, or no files at all.
std::vector<InputFile> list_input_files(const std::vector<std::string>& paths);

struct BlockRef {
  std::string_view path;
  std::uint64_t offset;
  std::uint64_t length;
};

/// Streams one task per block: every file cut into `block_size` pieces (empty files
/// give none).
std::unique_ptr<TaskSource> open_block_source(std::vector<InputFile> files, std::uint64_t block_size);
BlockRef decode_block(std::string_view payload);
std::string describe_block(std::string_view payload);

/// A byte buffer for file reads: it grows without zero-filling (a 64 MiB block is read,
/// not cleared first), and keeps `padding` readable bytes after its end, so that a kernel
/// may load 8 bytes at a time up to its last byte.
class ReadBuffer {
 public:
  static constexpr std::size_t padding = 16;
  const char* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }
  /// Makes room for `n` more bytes and returns where they go; commit() then counts them.
  char* reserve_more(std::size_t n);
  void commit(std::size_t n);

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// The lines that start inside a block, as one piece of text: from the first line start
/// in the block to the end of the last such line, its '\n' included (none if the file
/// ends without one). Kernels scan it whole, with no call per line.
struct BlockText {
  std::string_view text;      // into the buffer given to read_block_text, padded after
  std::uint64_t file_offset;  // where text begins in the file
  std::uint64_t bytes_read;   // from the file, for the report
};
/// Reads the block into `buffer` (reusing its capacity) and finds its lines.
BlockText read_block_text(const BlockRef& block, ReadBuffer& buffer);

/// Reads a block in pieces of `piece_bytes` that stay in the cache while `on_piece` scans
/// them (the lines that start in a block are those that start in its pieces, each once).
/// Returns the bytes read from the file.
std::uint64_t for_each_block_piece(const BlockRef& block, std::uint64_t piece_bytes, ReadBuffer& buffer,
                                   const std::function<void(const BlockText&)>& on_piece);

/// Calls `on_line(offset_in_file, line)` for every line that starts inside the block;
/// `line` is without its '\n'. Returns the bytes read from the file.
std::uint64_t for_each_line(const BlockRef& block,
                            const std::function<void(std::uint64_t, std::string_view)>& on_line);

}  // namespace taskfarm
