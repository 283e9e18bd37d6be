#include <gtest/gtest.h>

#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <thread>

#include "core/sink.hpp"

namespace taskfarm {
namespace {

/// Everything readable from fd until end of file.
std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

TEST(FdSink, KeepsTheOrderOfSmallAndLargePiecesThroughItsWriterThread) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string read_back;
  std::thread reader([&] { read_back = read_all(fds[0]); });
  std::string expected;
  {
    FdSink sink(fds[1], 64);  // a tiny buffer: many hand-offs, and pieces past it go out directly
    for (int i = 0; i < 20000; ++i) {
      const std::string piece = std::to_string(i) + std::string(static_cast<std::size_t>(i % 151), 'x') + "\n";
      sink.write(piece);
      expected += piece;
      if (i % 7 == 0) sink.flush_if_due();
      if (i % 5000 == 0) sink.flush();
    }
    sink.flush();
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(read_back, expected);
}

TEST(FdSink, AFailedWriteIsThrownByTheNextFlush) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ::close(fds[0]);  // no reader: EPIPE
  struct sigaction ignore {}, before {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &before);
  {
    FdSink sink(fds[1], 64);
    sink.write(std::string(10, 'a'));  // buffered
    EXPECT_THROW(sink.flush(), std::system_error);
    EXPECT_THROW(sink.write(std::string(100, 'b')), std::system_error);  // and stays failed
  }
  sigaction(SIGPIPE, &before, nullptr);
  ::close(fds[1]);
}

/// The output flags of a terminal.
tcflag_t output_flags(int fd) {
  termios settings{};
  tcgetattr(fd, &settings);
  return settings.c_oflag;
}

TEST(FdSink, TurnsOffAByteNeutralTerminalsOutputProcessingAndRestoresIt) {
  int controller = -1, terminal = -1;
  ASSERT_EQ(openpty(&controller, &terminal, nullptr, nullptr, nullptr), 0);
  termios settings{};
  tcgetattr(terminal, &settings);
  settings.c_oflag = OPOST;  // as Open MPI sets a rank's stdout: processing on, -onlcr
  settings.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(terminal, TCSANOW, &settings);
  {
    FdSink sink(terminal, 16);
    sink.write("a\tb\n");
    sink.flush();
    EXPECT_EQ(output_flags(terminal) & OPOST, 0u);
    char got[8] = {};
    EXPECT_EQ(::read(controller, got, 4), 4);
    EXPECT_EQ(std::string(got), "a\tb\n");
  }
  EXPECT_EQ(output_flags(terminal), static_cast<tcflag_t>(OPOST));
  ::close(terminal);
  ::close(controller);
}

TEST(FdSink, LeavesATerminalThatChangesBytesAlone) {
  int controller = -1, terminal = -1;
  ASSERT_EQ(openpty(&controller, &terminal, nullptr, nullptr, nullptr), 0);
  termios settings{};
  tcgetattr(terminal, &settings);
  settings.c_oflag = OPOST | ONLCR;  // a user's terminal
  tcsetattr(terminal, TCSANOW, &settings);
  {
    FdSink sink(terminal, 16);
    sink.write("a\n");
    sink.flush();
    EXPECT_EQ(output_flags(terminal), static_cast<tcflag_t>(OPOST | ONLCR));
    char got[8] = {};
    EXPECT_EQ(::read(controller, got, 3), 3);
    EXPECT_EQ(std::string(got), "a\r\n");
  }
  ::close(terminal);
  ::close(controller);
}

/// In a process whose controlling terminal `terminal` is, in a background process group:
/// 0 if a sink's writes leave its settings alone, 1 if they changed them, 2 if the process
/// was stopped (SIGTTOU). The test's own process keeps its terminal and groups.
int background_job_on_its_terminal(int terminal) {
  setsid();
  ioctl(terminal, TIOCSCTTY, 0);  // ours now; our group is its foreground
  const pid_t job = fork();
  if (job == 0) {
    setpgid(0, 0);  // a group of its own: in the background
    {
      FdSink sink(terminal, 16);
      sink.write("a\n");
      sink.flush();
    }
    _exit(output_flags(terminal) == static_cast<tcflag_t>(OPOST) ? 0 : 1);
  }
  int status = 0;
  waitpid(job, &status, WUNTRACED);
  if (WIFSTOPPED(status)) {
    kill(job, SIGKILL);
    waitpid(job, &status, 0);
    return 2;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

TEST(FdSink, LeavesTheTerminalOfABackgroundJobAloneRatherThanBeStopped) {
  int controller = -1, terminal = -1;
  ASSERT_EQ(openpty(&controller, &terminal, nullptr, nullptr, nullptr), 0);
  termios settings{};
  tcgetattr(terminal, &settings);
  settings.c_oflag = OPOST;  // byte-neutral: a foreground job would turn processing off
  tcsetattr(terminal, TCSANOW, &settings);
  const pid_t session = fork();
  if (session == 0) _exit(background_job_on_its_terminal(terminal));
  int status = 0;
  waitpid(session, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);  // 2: stopped by SIGTTOU
  ::close(terminal);
  ::close(controller);
}

}  // namespace
}  // namespace taskfarm
