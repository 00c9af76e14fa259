// Escape through the caller's terminal (THREATS.md, "Process and kernel
// surface"): TIOCSTI pushes bytes into a terminal's input queue, where the
// caller's shell reads them as typed commands once the sandbox exits
// (bubblewrap CVE-2017-5226; CVE-2019-10063 with bits above 32 set in the
// request); TIOCLINUX reaches the console's paste machinery (ttyjack).
//
// The harness's pty mode hands the child a terminal on stdin, stdout and
// stderr alike, and does not let a test look at the terminal's input queue;
// these tests need both, so they start the child themselves: a fresh pty in
// raw mode (so that FIONREAD counts every queued byte) becomes the child's
// controlling terminal and stdin, and stdout is either a pipe (cordon passes
// the terminal through as fd 0) or the same terminal (cordon gives the command
// a pty of its own and relays).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "escape/escape.h"

extern char** environ;

namespace cordon::test::escape {
namespace {

// A pty pair that the test keeps both ends of.
struct Pty {
  int master = -1;
  int slave = -1;
  Pty() {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
      throw std::runtime_error("posix_openpt: " + errno_name(errno));
    const char* name = ptsname(master);
    slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0) throw std::runtime_error("open pty slave: " + errno_name(errno));
    termios t{};
    tcgetattr(slave, &t);
    cfmakeraw(&t);
    tcsetattr(slave, TCSANOW, &t);
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 80;
    ioctl(master, TIOCSWINSZ, &ws);
  }
  ~Pty() {
    close(master);
    close(slave);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  // What waits in the terminal's input queue: what the caller's shell would
  // read next as if typed.
  std::string pending_input() const {
    int n = 0;
    if (ioctl(slave, FIONREAD, &n) != 0 || n <= 0) return "";
    std::string data(static_cast<size_t>(n), '\0');
    ssize_t got = read(slave, data.data(), data.size());
    data.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return data;
  }

  // "DEV:RDEV:INO" of the slave, as `probe stat-fd` prints it.
  std::string identity() const {
    struct stat st {};
    fstat(slave, &st);
    char buf[96];
    snprintf(buf, sizeof buf, "%lx:%lx:%lx", static_cast<unsigned long>(st.st_dev),
             static_cast<unsigned long>(st.st_rdev), static_cast<unsigned long>(st.st_ino));
    return buf;
  }
};

enum class Stdout { Pipe, Terminal };

// Runs argv in a new session with `stdin_fd` as stdin (and as controlling
// terminal with `make_ctty`, as a login shell's job would have it); stdout is
// the same terminal when `master` (its other end, read here) is given, else a
// pipe; stderr a pipe. In the scene's workspace, with its HOME. Waits at most
// 60 s, then kills the child it started by PID.
RunResult run_with_stdin(const Scene& scene, bool unprivileged, int stdin_fd, bool make_ctty,
                         int master, const std::vector<std::string>& argv) {
  RunOptions o = scene.opts();
  o.unprivileged = unprivileged;
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& kv : o.extra_env) {
    const auto name = kv.substr(0, kv.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    env.push_back(kv);
  }
  std::vector<char*> c_argv, c_env;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);
  const bool drop = o.unprivileged && is_root();
  const uid_t uid = drop ? test_uid() : 0;
  const gid_t gid = drop ? test_gid() : 0;

  int out_p[2], err_p[2];
  if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2: " + errno_name(errno));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + errno_name(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (setsid() < 0 || (make_ctty && ioctl(stdin_fd, TIOCSCTTY, 0) != 0)) _exit(120);
    if (dup2(stdin_fd, 0) < 0) _exit(121);
    if (dup2(master >= 0 ? stdin_fd : out_p[1], 1) < 0) _exit(121);
    if (dup2(err_p[1], 2) < 0) _exit(121);
    if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(122);
    if (chdir(o.cwd.c_str()) != 0) _exit(123);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(124);
  }
  close(out_p[1]);
  close(err_p[1]);

  RunResult r;
  r.pid = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool reaped = false;
  int status = 0;
  int fds[3] = {out_p[0], err_p[0], master};
  std::string* sinks[3] = {&r.out, &r.err, &r.out};
  for (;;) {
    pollfd p[3];
    int n = 0;
    for (int i = 0; i < 3; ++i) p[n++] = {fds[i], POLLIN, 0};
    poll(p, n, 20);
    for (int i = 0; i < 3; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t got = read(fds[i], buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (i < 2) {
        close(fds[i]);
        fds[i] = -1;
      }
    }
    if (!reaped && waitpid(pid, &status, WNOHANG) == pid) reaped = true;
    if (reaped && fds[0] < 0 && fds[1] < 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      if (!reaped) {
        kill(pid, SIGKILL);  // the child this test started, still unreaped
        waitpid(pid, &status, 0);
        reaped = true;
      }
      r.timed_out = true;
      break;
    }
  }
  for (int i = 0; i < 2; ++i)
    if (fds[i] >= 0) close(fds[i]);
  // What the child wrote to the terminal last may still sit in the master.
  if (master >= 0) {
    pollfd p{master, POLLIN, 0};
    char buf[4096];
    while (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
      ssize_t got = read(master, buf, sizeof buf);
      if (got <= 0) break;
      r.out.append(buf, static_cast<size_t>(got));
    }
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  // With the terminal as stdout, the probe's line arrives through the pty
  // (raw mode: no "\r\n" translation on our side, but a relay may add some).
  std::erase(r.out, '\r');
  return r;
}

// The pty as controlling terminal and stdin; stdout per `where`.
RunResult run_on_terminal(const Scene& scene, const Pty& pty, Stdout where,
                          const std::vector<std::string>& argv) {
  return run_with_stdin(scene, scene.unprivileged(), pty.slave, true,
                        where == Stdout::Terminal ? pty.master : -1, argv);
}

class TerminalEscape : public testing::TestWithParam<As> {
 protected:
  TerminalEscape() : scene(GetParam() == As::Unprivileged) {}
  Scene scene;

  RunResult bare_on(const Pty& pty, Stdout where,
                    const std::vector<std::vector<std::string>>& steps) {
    return run_on_terminal(scene, pty, where, probe_argv(scene.probe, steps));
  }
  RunResult inside_on(const Pty& pty, Stdout where,
                      const std::vector<std::vector<std::string>>& steps) {
    std::vector<std::string> argv{cordon_bin()};
    for (auto& a : run_args({}, probe_argv(scene.probe, steps))) argv.push_back(a);
    return run_on_terminal(scene, pty, where, argv);
  }
};

// The caller's terminal is passed to the command as fd 0 (stdout is not a
// terminal, so cordon relays nothing): exactly bubblewrap's CVE-2017-5226.
// setsid() makes it not the command's controlling terminal any more, and
// without CAP_SYS_ADMIN in the initial user namespace the kernel refuses
// TIOCSTI on a terminal that is not the caller's own.
TEST_P(TerminalEscape, TiocstiIntoCallerTerminalIsRefused) {
  {
    Pty pty;
    auto r = bare_on(pty, Stdout::Pipe, {{"tiocsti", "0", "id\n"}});
    ASSERT_EQ(outcome(r), "OK") << "uncontained TIOCSTI must work for this test to mean anything";
    EXPECT_EQ(pty.pending_input(), "id\n");
  }
  Pty pty;
  auto r = inside_on(pty, Stdout::Pipe, {{"tiocsti", "0", "id\n"}});
  EXPECT_EQ(outcome(r), "EPERM");
  EXPECT_EQ(pty.pending_input(), "") << "bytes reached the caller's terminal input";
}

// CVE-2019-10063: the same request with bits above 32 set. The kernel reads
// the request as 32 bits, so this is TIOCSTI to the kernel, but a seccomp
// rule comparing 64 bits would not match it.
TEST_P(TerminalEscape, TiocstiWithHighBitsSetIsRefused) {
  {
    Pty pty;
    auto r = bare_on(pty, Stdout::Pipe, {{"tiocsti-high", "0", "id\n"}});
    ASSERT_EQ(outcome(r), "OK") << "the kernel must take the high-bits request as TIOCSTI";
    EXPECT_EQ(pty.pending_input(), "id\n");
  }
  Pty pty;
  auto r = inside_on(pty, Stdout::Pipe, {{"tiocsti-high", "0", "id\n"}});
  EXPECT_EQ(outcome(r), "EPERM");
  EXPECT_EQ(pty.pending_input(), "");
}

// ttyjack: TIOCLINUX on the caller's terminal reaches the virtual console's
// selection and paste machinery. On this kernel only a virtual console
// answers it (a pty says ENOTTY), so the caller's terminal here is the
// console /dev/tty0, opened read-only and never made anyone's controlling
// terminal; the probe only reads the shift state through it. The kernel's gate
// for every subcode is "your controlling terminal, or CAP_SYS_ADMIN": the
// uncontained leg runs as root, which passes it; inside, root's capabilities
// do not count (they are not in the initial user namespace) and the console
// is not the command's controlling terminal.
TEST_P(TerminalEscape, TioclinuxOnCallerConsoleIsRefused) {
  if (!is_root()) GTEST_SKIP() << "needs /dev/tty0, which only root can open";
  int console = open("/dev/tty0", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (console < 0)
    GTEST_SKIP() << "no virtual console on this host: /dev/tty0: " << errno_name(errno);
  EXPECT_EQ(outcome(run_with_stdin(scene, false, console, false, -1,
                                   probe_argv(scene.probe, {{"tioclinux", "0"}}))),
            "OK")
      << "uncontained (root), TIOCLINUX must reach the console for this test to mean anything";
  std::vector<std::string> argv{cordon_bin()};
  for (auto& a : run_args({}, probe_argv(scene.probe, {{"tioclinux", "0"}}))) argv.push_back(a);
  EXPECT_EQ(outcome(run_with_stdin(scene, scene.unprivileged(), console, false, -1, argv)),
            "EPERM");
  close(console);
}

// With a terminal on stdin and stdout, cordon gives the command a pty of its
// own (in the sandbox's devpts) and relays: the command's fd 0 is then not
// the caller's terminal at all, so whatever it could push would land in its
// own pty, never in the caller's input queue; and the seccomp filter refuses
// TIOCSTI (low 32 bits compared) even there.
TEST_P(TerminalEscape, TiocstiWithRelayedTerminalNeverReachesCaller) {
  {
    Pty pty;
    auto r = bare_on(pty, Stdout::Terminal, {{"stat-fd", "0"}, {"tiocsti", "0", "id\n"}});
    ASSERT_EQ(outcome(r), pty.identity() + " OK");
    EXPECT_EQ(pty.pending_input(), "id\n");
  }
  Pty pty;
  auto r = inside_on(pty, Stdout::Terminal,
                     {{"stat-fd", "0"}, {"tiocsti", "0", "id\n"}, {"tiocsti-high", "0", "id\n"}});
  ASSERT_EQ(r.exit_code, 0) << r;
  // The relay echoes what the command's own pty received; the probe's
  // outcome line is the last line of the output.
  auto lines = split_lines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  auto words = split_words(lines.back());
  ASSERT_EQ(words.size(), 3u) << r;
  RecordProperty("inside", lines.back());
  EXPECT_NE(words[0], pty.identity()) << "the command's stdin is the caller's terminal itself";
  EXPECT_EQ(words[1], "EPERM") << "TIOCSTI";
  EXPECT_EQ(words[2], "EPERM") << "TIOCSTI with high bits";
  EXPECT_EQ(pty.pending_input(), "") << "bytes reached the caller's terminal input";
}

// OSC 52 ("ESC ] 52 ; c ; BASE64 BEL") puts its payload on the clipboard of
// the terminals that honour it (kitty, WezTerm, Alacritty, tmux with
// set-clipboard), for the user to paste into a shell outside later; tmux's
// passthrough carries it to the terminal around tmux. Uncontained, both
// reach the terminal; through cordon's relay they are dropped, and the text
// around them is not.
TEST_P(TerminalEscape, ClipboardWriteNeverReachesTheCallersTerminal) {
  const std::string script =
      "printf 'before\\033]52;c;ZWNobyBwd25lZAo=\\007middle"
      "\\033Ptmux;\\033\\033]52;c;ZWNobyBwd25lZAo=\\007\\033\\\\after\\n'";
  RunOptions o = scene.opts();
  o.stdin_tty = true;
  const RunResult bare = run({"sh", "-c", script}, o);
  EXPECT_NE(bare.out.find("\x1b]52;c;ZWNobyBwd25lZAo=\x07"), std::string::npos) << bare;
  EXPECT_NE(bare.out.find("\x1bPtmux;"), std::string::npos) << bare;
  const RunResult r = cordon(run_args({}, {"sh", "-c", script}), o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("52;"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("tmux;"), std::string::npos) << r;
  EXPECT_NE(r.out.find("beforemiddleafter"), std::string::npos) << r;
}

INSTANTIATE_TEST_SUITE_P(Users, TerminalEscape, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test::escape
