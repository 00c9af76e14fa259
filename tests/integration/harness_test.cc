// The harness itself, checked on plain programs (no cordon): if these fail,
// the sandbox tests' results mean nothing.
#include <fcntl.h>
#include <gtest/gtest-spi.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

namespace cordon::test {
namespace {

TEST(Harness, CapturesStdoutStderrAndExitCode) {
  auto r = run({"sh", "-c", "echo out; echo err >&2; exit 5"});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_EQ(r.out, "out\n") << r;
  EXPECT_EQ(r.err, "err\n") << r;
}

TEST(Harness, ReportsDeathBySignal) {
  auto r = run({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.exit_code, -1) << r;
  EXPECT_EQ(r.term_signal, SIGTERM) << r;
}

TEST(Harness, LargeOutputOnBothStreamsDoesNotDeadlock) {
  auto r = run({"sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.size(), 1000000u);
  EXPECT_EQ(r.err.size(), 1000000u);
}

TEST(Harness, FeedsStdinThroughAPipeThenClosesIt) {
  RunOptions o;
  o.stdin_data = std::string(300000, 'x');
  auto r = run({"sh", "-c", "test -t 0 && echo tty; wc -c"}, o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_words(r.out), std::vector<std::string>{"300000"}) << r;
}

TEST(Harness, PtyHasTheSizeSetAndCarriesKeystrokes) {
  RunOptions o;
  o.stdin_tty = true;
  o.tty_rows = 33;
  o.tty_cols = 111;
  o.stdin_data = "hello\n";
  auto r = run({"sh", "-c", "test -t 0 && test -t 1 && stty size; read x; echo got:$x"}, o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("33 111"), std::string::npos) << r;
  EXPECT_NE(r.out.find("got:hello"), std::string::npos) << r;
}

TEST(Harness, PtyIsTheControllingTerminalOfANewSession) {
  RunOptions o;
  o.stdin_tty = true;
  auto r = run({"sh", "-c", "exec 3</dev/tty && echo ctty-ok; cut -d' ' -f6 /proc/self/stat"}, o);
  EXPECT_NE(r.out.find("ctty-ok"), std::string::npos) << r;
  auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 2u) << r;
  EXPECT_NE(atoi(lines.back().c_str()), getsid(0)) << r;
}

TEST(Harness, OnlyStdioAndInheritedFdsReachTheChild) {
  int leaked = open("/etc/hostname", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 0);
  int kept = fcntl(leaked, F_DUPFD_CLOEXEC, 40);
  ASSERT_GE(kept, 40);
  RunOptions o;
  o.inherit_fds = {kept};
  auto r = run({"ls", "/proc/self/fd"}, o);
  close(leaked);
  close(kept);
  auto fds = split_words(r.out);
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2", "3", std::to_string(kept)})) << r;
}

TEST(Harness, EnvironmentReplacedOrExtended) {
  RunOptions o;
  o.env = {"A=1", "PATH=/usr/bin:/bin"};
  o.extra_env = {"B=2", "A=3"};
  auto r = run({"env"}, o);
  auto lines = split_lines(r.out);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"A=3", "B=2", "PATH=/usr/bin:/bin"})) << r;
}

TEST(Harness, TimeoutKillsTheProcessGroupAndFails) {
  RunResult r;
  const std::string secs = unique_sleep_seconds(300);
  EXPECT_NONFATAL_FAILURE(
      {
        RunOptions o;
        o.timeout_seconds = 1;
        r = run({"sh", "-c", "sleep " + secs + " & sleep " + secs}, o);
      },
      "timed out");
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                         std::chrono::seconds(5)));
}

TEST(Harness, MissingProgramFailsTheTestWithAMessage) {
  RunResult r;
  EXPECT_NONFATAL_FAILURE(r = run({"/nonexistent/cordon-it-program"}), "execve failed");
  EXPECT_NE(r.err.find("ENOENT"), std::string::npos) << r;
}

TEST(Harness, ProcessStartedInBackgroundCanBeSignalledAndWatched) {
  const std::string secs = unique_sleep_seconds(100);
  Process p(
      {"sh", "-c", "trap 'echo got-usr1; exit 9' USR1; echo ready; sleep " + secs + " & wait"}, {});
  ASSERT_TRUE(p.wait_for_output("ready")) << p.out();
  // "ready" comes before the background sleep has necessarily exec'd.
  bool found = eventually(
      [&] {
        for (const auto& k : descendants(p.pid()))
          if (k.cmdline == "sleep " + secs) return true;
        return false;
      },
      std::chrono::seconds(5));
  EXPECT_TRUE(found) << "descendants() did not find the background sleep";
  EXPECT_FALSE(processes_started_as("sleep " + secs).empty());
  p.signal(SIGUSR1);
  auto r = p.wait();
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_NE(r.out.find("got-usr1"), std::string::npos) << r;
  // The orphaned sleep is still ours to clean up, by PID.
  for (const auto& k : processes_started_as("sleep " + secs)) kill(k.pid, SIGKILL);
}

TEST(Harness, TempDirWritesAndRemovesReadOnlyTrees) {
  std::string path;
  {
    TempDir d;
    path = d.path();
    d.write("a/b/c.txt", "content", 0400);
    d.mkdir("ro/inner");
    d.write("ro/inner/f", "x");
    d.symlink("/etc/passwd", "link");
    ASSERT_EQ(chmod(d.file("ro/inner").c_str(), 0500), 0);
    ASSERT_EQ(chmod(d.file("ro").c_str(), 0500), 0);
    EXPECT_EQ(d.read("a/b/c.txt"), "content");
    EXPECT_TRUE(d.exists("link"));
    EXPECT_EQ(path.rfind("/tmp/", 0), 0u);
  }
  EXPECT_FALSE(path_exists(path));
  EXPECT_TRUE(path_exists("/etc/passwd"));
}

TEST(Harness, UnprivilegedRunIsTheTestUserWithATempHome) {
  TempDir d(/*for_unprivileged=*/true);
  d.write("f", "x");
  RunOptions o;
  o.unprivileged = true;
  o.cwd = d.path();
  auto r = run({"sh", "-c", "id -u; id -g; id -G; echo $HOME; touch g && echo wrote"}, o);
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r;
  EXPECT_EQ(lines[0], std::to_string(test_uid()));
  EXPECT_EQ(lines[1], std::to_string(test_gid()));
  EXPECT_EQ(lines[2], std::to_string(test_gid())) << "supplementary groups were not dropped";
  EXPECT_EQ(lines[3].rfind("/tmp/cordon-it-home-", 0), 0u) << r;
  EXPECT_FALSE(path_exists(lines[3])) << "the temporary HOME was not removed";
  EXPECT_EQ(lines[4], "wrote") << r;
}

}  // namespace
}  // namespace cordon::test
