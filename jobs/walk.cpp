// walk: a directory tree walked in parallel, one task per directory (or per piece of a very
// large one), each task submitting the directories it finds. One line per regular file,
// "SIZE<TAB>PATH", as `find DIR -type f -printf '%s\t%p\n'` prints it (in another order):
// symlinks are not followed, other special files are skipped, and a directory that cannot
// be read fails its task with find's words ("'PATH': Permission denied"), once: a retry
// would meet the same permissions (transient errors, EIO say, are retried).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "taskfarm/error.hpp"
#include "taskfarm/job.hpp"
#include "taskfarm/text.hpp"

namespace taskfarm {
namespace {

// A directory with more entries than this is read by several tasks, each going on from
// where the one before it stopped (telldir/seekdir).
constexpr std::uint64_t entries_per_task = 100000;

/// A task: a directory, and where in it to start (a telldir position; 0: its start).
struct DirectoryPiece {
  std::uint64_t position = 0;
  std::string path;
};

std::string encode_piece(const DirectoryPiece& piece) {
  std::string payload;
  wire::put(payload, piece.position);
  payload.append(piece.path);
  return payload;
}

DirectoryPiece decode_piece(std::string_view payload) {
  DirectoryPiece piece;
  piece.position = wire::get<std::uint64_t>(payload);
  piece.path = std::string(payload);
  return piece;
}

/// The error as find words it: "'PATH': Permission denied". Permissions, and a path
/// that is gone or no longer a directory, stay so: such a task is not retried.
[[noreturn]] void fail(const std::string& path, int error) {
  const std::string message = "'" + path + "': " + std::strerror(error);
  switch (error) {
    case EACCES: case EPERM: case ENOENT: case ENOTDIR: case ELOOP: case ENAMETOOLONG:
      throw PermanentError(message);
    default:
      throw std::runtime_error(message);
  }
}

/// What one piece of a directory holds, and where the next piece starts.
struct Listing {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t directories = 0;  // submitted
  std::optional<std::uint64_t> next_position;
};

class WalkJob final : public JobCommand, public JobSource, public Kernel {
 public:
  JobRoles roles() override {
    JobRoles roles;
    roles.source = this;
    roles.kernel = this;
    roles.submits = true;
    return roles;
  }
  void add_options(CLI::App& command) override {
    command.add_option("--input", root_, "The directory to walk")->required();
  }
  void check_options(const JobSettings&) override {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) throw UsageError("walk: --input '" + root_ + "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw UsageError("walk: --input '" + root_ + "' is not a directory");
  }
  std::unique_ptr<TaskSource> open() override {
    class Root final : public TaskSource {
     public:
      explicit Root(std::string payload) : payload_(std::move(payload)) {}
      std::optional<std::uint64_t> size() const override { return 1; }
      bool next(std::string& payload) override {
        if (given_) return false;
        given_ = true;
        payload = payload_;
        return true;
      }

     private:
      std::string payload_;
      bool given_ = false;
    };
    return std::make_unique<Root>(encode_piece(DirectoryPiece{0, root_}));
  }
  std::string describe(std::string_view payload) const override {
    const DirectoryPiece piece = decode_piece(payload);
    return piece.position ? piece.path + " (from entry position " + std::to_string(piece.position) + ")" : piece.path;
  }
  nlohmann::json parameters() const override { return {{"input", root_}}; }
  void submit_into(detail::Submissions* to) override { submitted_ = to; }

  void run(const TaskView& task, std::string& out) override {
    const DirectoryPiece piece = decode_piece(task.payload);
    const Listing listing = list(piece, out);
    if (listing.next_position) submit(DirectoryPiece{*listing.next_position, piece.path});
    // Counted once the piece is read whole: a failed attempt counts nothing.
    files_ += listing.files;
    bytes_ += listing.bytes;
    directories_ += piece.position == 0 ? 1 : 0;
  }
  std::vector<std::pair<std::string, std::uint64_t>> counts() const override {
    return {{"files", files_}, {"directories", directories_}, {"bytes", bytes_}};
  }

 private:
  /// Lines for the regular files of one piece of a directory; its subdirectories become
  /// tasks. Sizes come from fstatat relative to the directory's descriptor.
  Listing list(const DirectoryPiece& piece, std::string& out) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(piece.path.c_str()), ::closedir);
    if (!dir) fail(piece.path, errno);
    if (piece.position) ::seekdir(dir.get(), static_cast<long>(piece.position));
    const int fd = ::dirfd(dir.get());
    const std::string prefix = piece.path.back() == '/' ? piece.path : piece.path + "/";
    Listing listing;
    for (std::uint64_t read = 0;; ++read) {
      if (read == entries_per_task) {
        listing.next_position = static_cast<std::uint64_t>(::telldir(dir.get()));
        break;
      }
      errno = 0;
      const dirent* entry = ::readdir(dir.get());
      if (!entry) {
        if (errno != 0) fail(piece.path, errno);
        break;
      }
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      unsigned char type = entry->d_type;
      struct stat st {};
      if (type == DT_REG || type == DT_UNKNOWN) {
        if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone since the listing
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        submit(DirectoryPiece{0, prefix + name});
        ++listing.directories;
      } else if (type == DT_REG) {
        append_decimal(out, static_cast<std::uint64_t>(st.st_size));
        out.push_back('\t');
        out.append(prefix).append(name).push_back('\n');
        ++listing.files;
        listing.bytes += static_cast<std::uint64_t>(st.st_size);
      }
    }
    return listing;
  }

  void submit(const DirectoryPiece& piece) {
    if (!submitted_) throw std::logic_error("walk: the engine gave no place for submitted tasks");
    submitted_->add(encode_piece(piece));
  }

  std::string root_;
  detail::Submissions* submitted_ = nullptr;
  std::uint64_t files_ = 0;
  std::uint64_t directories_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace

TASKFARM_REGISTER_JOB(WalkJob, "walk", "Every regular file under --input, as find DIR -type f -printf '%s\\t%p\\n'");

}  // namespace taskfarm
