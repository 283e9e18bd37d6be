#include "jobkit/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <system_error>

#include "core/clock.hpp"
#include "core/test_hook.hpp"
#include "jobkit/devices.hpp"

extern char** environ;

namespace taskfarm {

namespace {

[[noreturn]] void fail(int error, const std::string& what) { throw std::system_error(error, std::generic_category(), what); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// A file descriptor that becomes readable when the process ends (Linux 5.3 and later);
/// -1 elsewhere, and the reaper then polls with short waits.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

/// posix_spawn's setup, released on every path.

}  // namespace

struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

ProcessSlots::ProcessSlots(double timeout_s, double grace_s) : timeout_s_(timeout_s), grace_s_(grace_s) {
  for (char** e = environ; e && *e; ++e) base_env_.emplace_back(*e);
  // Caught signals revert to their defaults at exec anyway; ignored ones (MPI libraries
  // may ignore SIGPIPE, say) stay ignored unless reset.
  sigemptyset(&ignored_signals_);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action {};
    if (sig != SIGKILL && sig != SIGSTOP && ::sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN)
      sigaddset(&ignored_signals_, sig);
  }
}

ProcessSlots::~ProcessSlots() {
  for (Child& child : children_) {
    ::kill(-child.pid, SIGKILL);
    ::waitpid(child.pid, nullptr, 0);
    close_fd(child.pidfd);
    for (int& fd : child.pipes) close_fd(fd);
    for (int& fd : child.files) close_fd(fd);
  }
}

void ProcessSlots::drop_environment(const std::function<bool(std::string_view)>& drop) {
  base_env_.erase(std::remove_if(base_env_.begin(), base_env_.end(), [&](const std::string& entry) { return drop(entry); }),
                  base_env_.end());
  filtered_env_.clear();  // rebuilt from base_env_ for the next command
}

/// Our environment, with the task's variables replacing any of the same name;
/// `task_vars` holds the strings the result points into.
std::vector<char*> ProcessSlots::environment_for(const ProcessSpec& spec, std::vector<std::string>& task_vars) {
  std::vector<std::string> names;
  for (const auto& var : spec.env) names.push_back(var.first);
  if (names != filtered_names_ || filtered_env_.empty()) {
    filtered_names_ = names;
    filtered_env_.clear();
    for (std::string& entry : base_env_) {
      const bool replaced = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
        return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=';
      });
      if (!replaced) filtered_env_.push_back(entry.data());
    }
  }
  for (const auto& [name, value] : spec.env) task_vars.push_back(name + "=" + value);
  std::vector<char*> envp(filtered_env_);
  for (std::string& entry : task_vars) envp.push_back(entry.data());
  envp.push_back(nullptr);
  return envp;
}

/// The child's stdin from /dev/null; its stdout and stderr to the spec's files, or to
/// pipes whose read ends `child` keeps (the write ends go to `child_ends`). Throws
/// std::system_error, with every descriptor closed.
void ProcessSlots::redirect(Child& child, const ProcessSpec& spec, posix_spawn_file_actions_t& actions,
                            int (&child_ends)[2]) {
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::optional<std::string>* paths[2] = {&spec.stdout_path, &spec.stderr_path};
  for (int stream = 0; stream < 2; ++stream) {
    if (*paths[stream]) {
      child.files[stream] = ::open((*paths[stream])->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (child.files[stream] < 0) {
        const int error = errno;
        release(child, child_ends);
        fail(error, "cannot create " + **paths[stream]);
      }
      posix_spawn_file_actions_adddup2(&actions, child.files[stream], stream + 1);
    } else {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) {
        const int error = errno;
        release(child, child_ends);
        fail(error, "pipe");
      }
      child.pipes[stream] = fds[0];
      child_ends[stream] = fds[1];
      ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
      posix_spawn_file_actions_adddup2(&actions, fds[1], stream + 1);
    }
  }
}

void ProcessSlots::release(Child& child, int (&child_ends)[2]) {
  for (int& fd : child_ends) close_fd(fd);
  for (int& fd : child.pipes) close_fd(fd);
  for (int& fd : child.files) close_fd(fd);
}

/// posix_spawn of `sh -c COMMAND`, pinned to the spec's cores: posix_spawn has no hook in
/// the child, but the child inherits the spawning thread's affinity, so this thread is
/// pinned for the spawn, then restored. Returns posix_spawn's error (0: started).
int ProcessSlots::spawn_pinned(Child& child, const ProcessSpec& spec, SpawnSetup& setup, std::vector<char*>& envp,
                               int (&child_ends)[2]) {
  const char* argv[] = {"sh", "-c", spec.command.c_str(), nullptr};
  // The test hook stands for a process limit reached (EAGAIN), for the commands marked.
  const std::string_view mark = "# spawn-fails";
  const bool injected = test_hook("spawn-fails") && spec.command.size() >= mark.size() &&
                        spec.command.compare(spec.command.size() - mark.size(), mark.size(), mark) == 0;
  cpu_set_t own_cpus;
  const bool pin = !spec.cpus.empty() && ::sched_getaffinity(0, sizeof own_cpus, &own_cpus) == 0;
  if (pin) {
    cpu_set_t task_cpus;
    CPU_ZERO(&task_cpus);
    for (int cpu : spec.cpus) CPU_SET(cpu, &task_cpus);
    if (::sched_setaffinity(0, sizeof task_cpus, &task_cpus) != 0) {
      const int pin_error = errno;
      release(child, child_ends);
      fail(pin_error, "cannot pin to cores " + join_list(spec.cpus));
    }
  }
  const int error = injected ? EAGAIN
                             : ::posix_spawn(&child.pid, "/bin/sh", &setup.actions, &setup.attr,
                                             const_cast<char**>(argv), envp.data());
  if (pin) ::sched_setaffinity(0, sizeof own_cpus, &own_cpus);
  return error;
}

void ProcessSlots::start(std::uint64_t ticket, const ProcessSpec& spec) {
  std::vector<std::string> task_vars;
  std::vector<char*> envp = environment_for(spec, task_vars);
  Child child;
  child.outcome.ticket = ticket;
  SpawnSetup setup;
  int child_ends[2] = {-1, -1};
  redirect(child, spec, setup.actions, child_ends);
  // Its own process group, so that a timeout kills its children too; default signal
  // handling and an empty mask, whatever this process (or MPI) set up.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigdefault(&setup.attr, &ignored_signals_);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  child.outcome.start_epoch_s = epoch_now();
  child.started = clock::now();
  const int error = spawn_pinned(child, spec, setup, envp, child_ends);
  for (int& fd : child_ends) close_fd(fd);
  if (error != 0) {
    release(child, child_ends);
    fail(error, "cannot start /bin/sh");
  }
  child.pidfd = open_pidfd(child.pid);
  children_.push_back(std::move(child));
}

void ProcessSlots::capture(Child& child, int stream, const char* data, std::size_t size) {
  ProcessOutcome& o = child.outcome;
  if (stream == 1) {
    const std::size_t kept = std::min(size, max_stderr_bytes - std::min(max_stderr_bytes, o.stderr_text.size()));
    o.stderr_text.append(data, kept);
    child.stderr_dropped += size - kept;
    return;
  }
  o.stdout_bytes += size;
  if (!o.spill_error.empty()) return;  // the attempt fails: its output is lost anyway
  try {
    if (!o.stdout_spill.open() && o.stdout_text.size() + size > spill_above_bytes) {
      o.stdout_spill.create();
      o.stdout_spill.append(o.stdout_text);
      o.stdout_text = std::string();  // its memory too
    }
    if (o.stdout_spill.open()) o.stdout_spill.append({data, size});
    else o.stdout_text.append(data, size);
  } catch (const std::system_error& e) {
    o.spill_error = e.what();
    o.stdout_text = std::string();
    o.stdout_spill = SpillFile();
  }
}

void ProcessSlots::read_available(Child& child, int stream) {
  int& fd = child.pipes[stream];
  char buf[65536];
  while (fd >= 0) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      capture(child, stream, buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      close_fd(fd);
    } else if (errno != EINTR) {
      if (errno != EAGAIN) close_fd(fd);
      return;
    }
  }
}

void ProcessSlots::enforce_timeout(Child& child, clock::time_point now) {
  if (timeout_s_ <= 0) return;
  if (child.signals_sent == 0 && now - child.started >= seconds(timeout_s_)) {
    ::kill(-child.pid, SIGTERM);
    child.outcome.timed_out = true;
    child.signals_sent = 1;
    child.next_signal_at = now + seconds(grace_s_);
  } else if (child.signals_sent == 1 && now >= child.next_signal_at) {
    ::kill(-child.pid, SIGKILL);
    child.signals_sent = 2;
  }
}

bool ProcessSlots::try_finish(Child& child, std::vector<ProcessOutcome>& ended) {
  int status = 0;
  struct rusage usage {};
  const pid_t r = ::wait4(child.pid, &status, WNOHANG, &usage);
  if (r == 0 || (r < 0 && errno == EINTR)) return false;
  ProcessOutcome& outcome = child.outcome;
  outcome.run_s = seconds_since(child.started);
  if (r > 0) {
    outcome.peak_rss_kib = static_cast<std::uint64_t>(usage.ru_maxrss);  // Linux: KiB
    outcome.user_s = static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) * 1e-6;
    outcome.sys_s = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) * 1e-6;
    outcome.read_bytes = static_cast<std::uint64_t>(usage.ru_inblock) * 512;
    outcome.write_bytes = static_cast<std::uint64_t>(usage.ru_oublock) * 512;
  }
  if (r > 0 && WIFEXITED(status)) {
    outcome.exit_value = WEXITSTATUS(status);
  } else if (r > 0 && WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  if (outcome.timed_out) {
    ::kill(-child.pid, SIGKILL);  // children that outlived the shell
    outcome.exit_value = -1;
    if (outcome.signal == 0) outcome.signal = child.signals_sent == 2 ? SIGKILL : SIGTERM;
  }
  // What is in the pipes now belongs to the task; background children that still hold
  // them open are not waited for.
  for (int stream = 0; stream < 2; ++stream) {
    read_available(child, stream);
    close_fd(child.pipes[stream]);
    struct stat st {};
    if (stream == 0 && child.files[stream] >= 0 && ::fstat(child.files[stream], &st) == 0)
      outcome.stdout_bytes = static_cast<std::uint64_t>(st.st_size);
    close_fd(child.files[stream]);
  }
  if (child.stderr_dropped > 0)
    outcome.stderr_text += "\ntaskfarm: " + std::to_string(child.stderr_dropped) + " more bytes of stderr dropped (" +
                           std::to_string(max_stderr_bytes) + " kept)\n";
  close_fd(child.pidfd);
  ended.push_back(std::move(outcome));
  return true;
}

void ProcessSlots::reap(std::vector<ProcessOutcome>& ended, double wait_s) {
  const std::size_t before = ended.size();
  const auto deadline = clock::now() + seconds(wait_s);
  std::vector<pollfd> fds;
  std::vector<std::pair<std::size_t, int>> owner;  // per entry of fds: child index, stream (-1: pidfd)
  while (true) {
    auto now = clock::now();
    for (Child& child : children_) enforce_timeout(child, now);
    for (std::size_t i = 0; i < children_.size();) {
      if (try_finish(children_[i], ended)) {
        children_.erase(children_.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
    if (ended.size() > before || now >= deadline || children_.empty()) return;

    // Sleep until a process ends, output arrives, a signal is due or the wait is over.
    auto wake = deadline;
    bool without_pidfd = false;
    fds.clear();
    owner.clear();
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Child& child = children_[i];
      if (child.pidfd >= 0) {
        fds.push_back(pollfd{child.pidfd, POLLIN, 0});
        owner.emplace_back(i, -1);
      } else {
        without_pidfd = true;
      }
      for (int stream = 0; stream < 2; ++stream) {
        if (child.pipes[stream] < 0) continue;
        fds.push_back(pollfd{child.pipes[stream], POLLIN, 0});
        owner.emplace_back(i, stream);
      }
      if (timeout_s_ > 0 && child.signals_sent == 0)
        wake = std::min(wake, child.started + seconds(timeout_s_));
      else if (child.signals_sent == 1)
        wake = std::min(wake, child.next_signal_at);
    }
    double wait_ms = std::chrono::duration<double, std::milli>(wake - now).count();
    if (without_pidfd) wait_ms = std::min(wait_ms, 5.0);
    ::poll(fds.data(), fds.size(), static_cast<int>(std::ceil(std::max(wait_ms, 0.0))));
    for (std::size_t k = 0; k < fds.size(); ++k)
      if (fds[k].revents != 0 && owner[k].second >= 0) read_available(children_[owner[k].first], owner[k].second);
  }
}

}  // namespace taskfarm
