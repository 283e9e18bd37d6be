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
#include <ostream>
#include <optional>
#include <utility>
#include <vector>
#include <stdexcept>
#include <string>


#include <taskfarm/taskfarm.hpp>

#include "core/wire.hpp"
#include "job/work_job.hpp"
#include "taskfarm/error.hpp"

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

/// Narration and the _failed file name a piece by its directory.
std::ostream& operator<<(std::ostream& out, const DirectoryPiece& piece) {
  out << piece.path;
  if (piece.position) out << " (from entry position " << piece.position << ")";
  return out;
}

}  // namespace

template <>
struct codec<DirectoryPiece> {
  static void encode(const DirectoryPiece& piece, std::string& out) {
    wire::put(out, piece.position);
    out.append(piece.path);
  }
  static DirectoryPiece decode(std::string_view& in) {
    DirectoryPiece piece;
    piece.position = wire::get<std::uint64_t>(in);
    piece.path = std::string(in);
    in = {};
    return piece;
  }
};

namespace {

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

/// The kernel: lists one piece of a directory, submitting its subdirectories (and the
/// directory's next piece); counts what it found.
class Walker {
 public:
  void operator()(const DirectoryPiece& piece, Task<DirectoryPiece>& task) {
    Listing listing = list(piece, task);
    if (listing.next_position) task.submit(DirectoryPiece{*listing.next_position, piece.path});
    // Counted once the piece is read whole: a failed attempt counts nothing.
    counts_.named[0].second += listing.files;
    counts_.named[1].second += piece.position == 0 ? 1 : 0;
    counts_.named[2].second += listing.bytes;
  }
  KernelCounts counts() const { return counts_; }

 private:
  /// Lines for the regular files of one piece of a directory; its subdirectories become
  /// tasks. Sizes come from fstatat relative to the directory's descriptor.
  static Listing list(const DirectoryPiece& piece, Task<DirectoryPiece>& task) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(piece.path.c_str()), ::closedir);
    if (!dir) fail(piece.path, errno);
    if (piece.position) ::seekdir(dir.get(), static_cast<long>(piece.position));
    const int fd = ::dirfd(dir.get());
    const std::string prefix = piece.path.back() == '/' ? piece.path : piece.path + "/";
    Out& out = task.out();
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
        task.submit(DirectoryPiece{0, prefix + name});
        ++listing.directories;
      } else if (type == DT_REG) {
        out << static_cast<std::uint64_t>(st.st_size) << '\t' << prefix << name << '\n';
        ++listing.files;
        listing.bytes += static_cast<std::uint64_t>(st.st_size);
      }
    }
    return listing;
  }

  KernelCounts counts_{0, {{"files", 0}, {"directories", 0}, {"bytes", 0}}};
};

class WalkJob final : public TypedJob {
 public:
  void add_options(CLI::App& command) override {
    option(command, "--input", root_, "The directory to walk")->required();
  }
  void check() override {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) throw UsageError("walk: --input '" + root_ + "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw UsageError("walk: --input '" + root_ + "' is not a directory");
  }
  detail::Work make_work() override {
    return detail::line_work(std::vector<DirectoryPiece>{DirectoryPiece{0, root_}}, Walker{});
  }

 private:
  std::string root_;
};

}  // namespace

TASKFARM_REGISTER_JOB(WalkJob, "walk", "Every regular file under --input, as find DIR -type f -printf '%s\\t%p\\n'");

}  // namespace taskfarm
