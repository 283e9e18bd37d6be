#include "resume/output_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "taskfarm/error.hpp"

namespace taskfarm {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t flush_bytes = 1 << 20;

bool is_result_file(const std::string& name) {
  return name.rfind("part-", 0) == 0 || name == "_SUCCESS" || name == "_report.json" || name == "_temporary" ||
         name == "_failed" || name == "_journal" || name == "tasks";
}

std::string part_name(std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu", index);
  return name;
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}
}  // namespace

void check_can_write(const std::string& path, const std::string& option) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError(option + ": '" + path + "' is a directory");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  const fs::path probe = parent / ("." + fs::path(path).filename().string() + ".probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError(option + ": cannot write '" + path + "': " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void prepare_output_dir(const std::string& dir, bool overwrite) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw UsageError("--output: cannot create directory '" + dir + "'" + (ec ? ": " + ec.message() : ""));
  std::vector<fs::path> ours;
  std::string finished, unfinished;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!is_result_file(name)) continue;
    ours.push_back(entry.path());
    if (name == "_SUCCESS" || name.rfind("part-", 0) == 0) finished = name;
    if (name == "_journal") unfinished = name;
  }
  if (!overwrite && !finished.empty())
    throw UsageError("--output: '" + dir + "' already holds results (" + finished +
                     "); use --overwrite to replace them, or another directory");
  if (!overwrite && !unfinished.empty())
    throw UsageError("--output: '" + dir + "' holds an unfinished run (_journal); use --resume to continue it, "
                     "or --overwrite to start again");
  for (const auto& path : ours) fs::remove_all(path);
  fs::create_directory(fs::path(dir) / "_temporary", ec);
  if (ec) throw UsageError("--output: cannot create '" + dir + "/_temporary': " + ec.message());
}

namespace {
/// DIR/_temporary/KIND-RRRRR.run-NNN
std::string temporary_path(const std::string& dir, const char* kind, int rank, std::uint32_t run) {
  char name[48];
  std::snprintf(name, sizeof name, "%s-%05d.run-%03u", kind, rank, run);
  return (fs::path(dir) / "_temporary" / name).string();
}
}  // namespace

std::string temporary_reduce_path(const std::string& dir, int rank, std::uint32_t run) {
  return temporary_path(dir, "reduce", rank, run);
}

std::string temporary_part_path(const std::string& dir, int rank, std::uint32_t run) {
  return temporary_path(dir, "rank", rank, run);
}

std::string stop_marker_path(const std::string& dir, int rank, std::uint32_t run) {
  return temporary_path(dir, "stopped", rank, run);
}

bool is_stop_marker(const std::string& name) { return name.rfind("stopped-", 0) == 0; }

namespace {
std::string group_list_path(const std::string& dir, int leader, std::uint32_t run) {
  return stop_marker_path(dir, leader, run) + ".group";
}
}  // namespace

void write_group_list(const std::string& dir, int leader, std::uint32_t run, const std::vector<int>& ranks) {
  std::ofstream out(group_list_path(dir, leader, run));
  for (const int rank : ranks) out << rank << '\n';
  if (!out.flush()) fail("cannot write", group_list_path(dir, leader, run));
}

bool stopped_in_time(const std::string& dir, int rank, std::uint32_t run) {
  if (!fs::exists(stop_marker_path(dir, rank, run))) return false;
  std::ifstream group(group_list_path(dir, rank, run));
  for (int member = 0; group >> member;)
    if (!fs::exists(stop_marker_path(dir, member, run))) return false;
  return true;
}

std::string journal_path(const std::string& dir) { return (fs::path(dir) / "_journal").string(); }

std::string submitted_log_path(const std::string& dir) { return (fs::path(dir) / "_temporary" / "submitted").string(); }

void truncate_part(const std::string& path, std::uint64_t bytes) {
  if (::truncate(path.c_str(), static_cast<off_t>(bytes)) != 0) fail("cannot truncate", path);
}

namespace {
/// Copies the first `bytes` of `from` to a new file `to` (through a temporary name).
void copy_prefix(const std::string& from, const std::string& to, std::uint64_t bytes) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("cannot open", from);
  const std::string tmp = to + ".tmp";
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    fail("cannot create", tmp);
  }
  std::uint64_t left = bytes;
  while (left > 0) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, left, 0);
    if (n <= 0) break;
    left -= static_cast<std::uint64_t>(n);
  }
  const bool ok = left == 0 && ::fsync(out) == 0;
  ::close(in);
  ::close(out);
  if (!ok) fail("cannot copy", from);
  fs::rename(tmp, to);
}
}  // namespace

void publish_parts(const std::string& dir, const std::vector<PartToPublish>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const fs::path final_path = fs::path(dir) / part_name(i);
    if (parts[i].copy_bytes) copy_prefix(parts[i].path, final_path.string(), *parts[i].copy_bytes);
    else fs::rename(parts[i].path, final_path);
  }
  fs::remove_all(fs::path(dir) / "_temporary");
}

void mark_success(const std::string& dir) {
  const std::string success = (fs::path(dir) / "_SUCCESS").string();
  const int fd = ::open(success.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot create", success);
  ::close(fd);
}

PartFile::PartFile(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644)) {
  if (fd_ < 0) fail("cannot create", path_);
  buffer_.reserve(flush_bytes + (flush_bytes >> 2));
}

PartFile::~PartFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PartFile::write_buffer() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path_);
    done += static_cast<std::size_t>(n);
  }
  bytes_ += buffer_.size();
  buffer_.clear();
}

std::uint64_t PartFile::flush() {
  write_buffer();
  return bytes_;
}

void PartFile::flush_if_full() {
  if (buffer_.size() >= flush_bytes) write_buffer();
}

std::uint64_t PartFile::close() {
  write_buffer();
  if (::fsync(fd_) != 0) fail("cannot sync", path_);
  if (::close(fd_) != 0) fail("cannot close", path_);
  fd_ = -1;
  return bytes_;
}

}  // namespace taskfarm
