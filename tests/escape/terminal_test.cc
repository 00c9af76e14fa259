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
// controlling terminal and stdin, and stdout is either a pipe or the same
// terminal. Either way cordon gives the command a pty of its own in place of
// each terminal among its stdio, and relays.
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

// How the child's stdio is wired to the terminal under test: `in` is its
// stdin; stdout is `out`, or a pipe when -1; stderr is a pipe. `ctty`, when
// given, becomes its controlling terminal (as a login shell's job has it).
// `master` is the terminal's other end, read here as the screen, when
// stdout is the terminal.
// `job` says how a shell would have started it: as the terminal's
// foreground job; with `&` (a process group of its own, not the terminal's
// foreground); or with `&` and then `fg` once it has printed its first line.
enum class Job { Foreground, Background, BroughtBack };
struct Wiring {
  int in = -1;
  int out = -1;
  int ctty = -1;
  int master = -1;
  Job job = Job::Foreground;
};

// Exit status of the stand-in shell when its background job was stopped by
// the terminal (SIGTTIN or SIGTTOU), as `cmd &` then `jobs` shows "Stopped".
constexpr int kJobStopped = 99;

// In the child, as the session leader that owns the terminal: runs the
// command the way a shell runs `cmd &` (and then `fg`), and exits with its
// status. Only async-signal-safe calls: the test process has threads.
[[noreturn]] void run_as_job(const Wiring& w, char* const* argv, char* const* envp) {
  // With `fg` to come, the job's stdout is a memory file (a regular file,
  // as `cmd > log &` would have, not a pipe): read here with pread, which
  // leaves the offset the job writes at alone.
  int out = -1;
  if (w.job == Job::BroughtBack) {
    out = static_cast<int>(syscall(SYS_memfd_create, "job-stdout", 0));
    if (out < 0) _exit(125);
  }
  const pid_t job = fork();
  if (job < 0) _exit(125);
  if (job == 0) {
    setpgid(0, 0);
    if (out >= 0) {
      dup2(out, 1);
      close(out);
    }
    execve(argv[0], argv, envp);
    _exit(124);
  }
  setpgid(job, job);
  char buf[4096];
  ssize_t have = 0;
  if (out >= 0) {
    // Once its first line is out, `fg`: its process group becomes the
    // terminal's foreground, and it is continued. At most 20 s.
    for (int i = 0; i < 2000; ++i) {
      have = pread(out, buf, sizeof buf, 0);
      if (have > 0 && memchr(buf, '\n', static_cast<size_t>(have)) != nullptr) break;
      if (waitpid(job, nullptr, WNOHANG | WNOWAIT) == job) break;
      usleep(10000);
    }
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(w.ctty, job);
    kill(-job, SIGCONT);
  }
  int status = 0;
  for (;;) {
    if (waitpid(job, &status, WUNTRACED) != job) _exit(125);
    if (!WIFSTOPPED(status)) break;
    kill(job, SIGKILL);  // our own child, stopped by the terminal
    waitpid(job, &status, 0);
    _exit(kJobStopped);
  }
  if (out >= 0) {
    have = pread(out, buf, sizeof buf, 0);
    if (have > 0) (void)!write(1, buf, static_cast<size_t>(have));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

// Runs argv in a new session, wired as `w`, in the scene's workspace with
// its HOME. Waits at most 60 s, then kills the child it started by PID.
RunResult run_wired(const Scene& scene, bool unprivileged, const Wiring& w,
                    const std::vector<std::string>& argv) {
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
    if (setsid() < 0 || (w.ctty >= 0 && ioctl(w.ctty, TIOCSCTTY, 0) != 0)) _exit(120);
    if (dup2(w.in, 0) < 0) _exit(121);
    if (dup2(w.out >= 0 ? w.out : out_p[1], 1) < 0) _exit(121);
    if (dup2(err_p[1], 2) < 0) _exit(121);
    if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(122);
    if (chdir(o.cwd.c_str()) != 0) _exit(123);
    if (w.job != Job::Foreground) run_as_job(w, c_argv.data(), c_env.data());
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(124);
  }
  close(out_p[1]);
  close(err_p[1]);
  const int master = w.master;

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
  Wiring w{.in = pty.slave, .ctty = pty.slave};
  if (where == Stdout::Terminal) {
    w.out = pty.slave;
    w.master = pty.master;
  }
  return run_wired(scene, scene.unprivileged(), w, argv);
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

// The caller's terminal as stdin, stdout a pipe: bubblewrap's CVE-2017-5226,
// where the sandbox held the caller's terminal as fd 0. Inside, fd 0 is the
// command's own pty (CommandNeverHoldsTheCallersTerminal below), and the
// seccomp filter refuses TIOCSTI on any terminal.
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
// uncontained leg runs as root, which passes it. Inside, the console never
// reaches the command: like any terminal on stdin it is replaced by the
// command's own pty (CommandNeverHoldsTheCallersTerminal), and the seccomp
// filter refuses TIOCLINUX on that (and would on any terminal); were the
// console passed through, root's capabilities would not count there (they
// are not in the initial user namespace) and it is not the command's
// controlling terminal.
TEST_P(TerminalEscape, TioclinuxOnCallerConsoleIsRefused) {
  if (!is_root()) GTEST_SKIP() << "needs /dev/tty0, which only root can open";
  int console = open("/dev/tty0", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (console < 0)
    GTEST_SKIP() << "no virtual console on this host: /dev/tty0: " << errno_name(errno);
  EXPECT_EQ(outcome(run_wired(scene, false, Wiring{.in = console},
                              probe_argv(scene.probe, {{"tioclinux", "0"}}))),
            "OK")
      << "uncontained (root), TIOCLINUX must reach the console for this test to mean anything";
  // cordon reads a terminal on stdin that is not its controlling one, in
  // raw mode, and puts its modes back when it ends; should it not, this
  // test does, so that the console is left as it was found.
  termios saved{};
  const bool have_modes = tcgetattr(console, &saved) == 0;
  std::vector<std::string> argv{cordon_bin()};
  for (auto& a : run_args({}, probe_argv(scene.probe, {{"tioclinux", "0"}}))) argv.push_back(a);
  EXPECT_EQ(outcome(run_wired(scene, scene.unprivileged(), Wiring{.in = console}, argv)), "EPERM");
  if (have_modes) {
    termios after{};
    EXPECT_EQ(tcgetattr(console, &after), 0);
    EXPECT_EQ(after.c_lflag, saved.c_lflag) << "cordon left the console's modes changed";
    tcsetattr(console, TCSANOW, &saved);
  }
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

// Whichever of stdin, stdout and stderr is the caller's terminal, the
// command holds a pty of its own in its place, never the terminal itself.
// Holding it, a command could change the terminal's modes for the shell
// after it, write to it past the output filter, and read it through any fd
// (a login's terminal is open read-write) whether or not it is the
// foreground job (BackgroundJobNeitherStopsNorTakesTheTerminal). Shown
// uncontained, and refused inside (full and Landlock mode), in the two ways
// a terminal is shared with a pipe: `agent < file` (stdin a pipe, stdout the
// terminal) and `agent > log` (stdin the terminal, stdout a pipe). The
// keystrokes typed ahead reach the command either way, as they reach a
// foreground job uncontained: relayed by cordon into the command's pty.
TEST_P(TerminalEscape, CommandNeverHoldsTheCallersTerminal) {
  struct Case {
    const char* name;
    bool stdin_is_terminal;
    const char* fd;  // the command's fd that is the caller's terminal uncontained
  };
  for (const Case& c : {Case{"stdin a pipe, stdout the terminal", false, "1"},
                        Case{"stdin the terminal, stdout a pipe", true, "0"}}) {
    SCOPED_TRACE(c.name);
    const std::vector<std::vector<std::string>> steps = {
        {"stat-fd", c.fd}, {"tty-read", c.fd}, {"tty-tostop", c.fd}};
    // Uncontained, then in full mode, then in Landlock mode.
    for (const char* leg : {"uncontained", "", "landlock"}) {
      SCOPED_TRACE(leg);
      const bool contained = std::string_view(leg) != "uncontained";
      Pty pty;
      // Typed ahead, for the caller's shell to read once the command ends.
      ASSERT_EQ(write(pty.master, "typeahead\n", 10), 10);
      int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
      ASSERT_GE(devnull, 0);
      Wiring w{.ctty = pty.slave};
      if (c.stdin_is_terminal) {
        w.in = pty.slave;
      } else {
        w.in = devnull;
        w.out = pty.slave;
        w.master = pty.master;
      }
      std::vector<std::string> argv = probe_argv(scene.probe, steps);
      if (contained) {
        argv = run_args(*leg ? std::vector<std::string>{"--mode", leg} : std::vector<std::string>{},
                        argv);
        argv.insert(argv.begin(), cordon_bin());
      }
      const RunResult r = run_wired(scene, scene.unprivileged(), w, argv);
      close(devnull);
      ASSERT_EQ(r.exit_code, 0) << r;
      const auto lines = split_lines(r.out);
      ASSERT_FALSE(lines.empty()) << r;
      const auto words = split_words(lines.back());
      ASSERT_EQ(words.size(), 3u) << r;
      termios after{};
      ASSERT_EQ(tcgetattr(pty.slave, &after), 0);
      RecordProperty(contained ? (*leg ? "landlock" : "full") : "bare", lines.back());
      if (!contained) {
        ASSERT_EQ(words[0], pty.identity()) << "uncontained, the fd must be the terminal";
        EXPECT_EQ(words[1], "READ:10") << "uncontained, the typeahead must be readable";
        EXPECT_EQ(words[2], "OK");
        EXPECT_NE(after.c_lflag & TOSTOP, 0u) << "uncontained, the mode must stick";
        EXPECT_EQ(pty.pending_input(), "");
        continue;
      }
      EXPECT_NE(words[0], pty.identity()) << "the command holds the caller's terminal";
      if (c.stdin_is_terminal) {
        // stdout a pipe: an early stage of a pipeline, whose later stage
        // (a pager) owns the keystrokes. cordon leaves them queued.
        EXPECT_EQ(words[1], "NOTHING") << "cordon took the keystrokes of a later stage";
        EXPECT_EQ(pty.pending_input(), "typeahead\n") << "the typeahead is gone";
      } else {
        EXPECT_EQ(words[1], "READ:10") << "the keystrokes must reach the command's own pty";
      }
      EXPECT_EQ(words[2], "OK") << "the command may set the modes of its own pty";
      EXPECT_EQ(after.c_lflag & TOSTOP, 0u) << "the caller's terminal modes changed";
    }
  }
}

// Another terminal of the user's (here a pty the test holds, as the
// caller's own terminal or an ssh session would be), opened by path: read,
// it yields the keystrokes typed into it before its shell reads them.
// Uncontained that works. In full mode the sandbox's /dev/pts is a devpts
// of its own, where the host's terminals do not exist; in Landlock mode
// /dev/pts is the host's, and Landlock refuses it unless the policy allows
// the host's ptys (which is what `host_ptys = "allow"` costs).
TEST_P(TerminalEscape, OtherTerminalsOfTheUserAreOutOfReach) {
  Pty other;
  if (scene.unprivileged() && is_root()) {
    // The unprivileged user's own terminal: theirs to open, uncontained.
    ASSERT_EQ(fchown(other.slave, test_uid(), test_gid()), 0) << errno_name(errno);
  }
  const std::string path = ptsname(other.master);
  // Typed into the other terminal, not yet read by its shell.
  auto typed = [&] { ASSERT_EQ(write(other.master, "typed\n", 6), 6); };
  typed();
  ASSERT_EQ(scene.bare({{"tty-open", path}}), "READ:6")
      << "uncontained, the user's terminal must be theirs to read";
  typed();
  EXPECT_EQ(scene.inside({{"tty-open", path}}), "ENOENT") << "full mode";
  EXPECT_EQ(scene.inside({{"tty-open", path}}, {"--mode", "landlock"}), "EACCES")
      << "Landlock mode";
  EXPECT_EQ(other.pending_input(), "typed\n") << "the keystrokes were taken";
  typed();
  EXPECT_EQ(scene.inside({{"tty-open", path}}, {"--mode", "landlock", "--host-ptys", "allow"}),
            "READ:6")
      << "Landlock mode with host_ptys = \"allow\"";
}

// `cordon run -- cmd &` in a terminal: a background job whose stdin and
// stdout are the terminal. cordon neither puts the terminal in raw mode
// (SIGTTOU would stop it, and the shell's terminal would change under it)
// nor reads it (the keystrokes are the shell's): the command runs, and its
// own pty gets nothing. (Before, with stdout a pipe, cordon passed the
// terminal itself as the command's fd 0, outside its session, so no SIGTTIN
// stopped it: it read "READ:10", the shell's typeahead; with both terminals,
// cordon itself was stopped at start.)
TEST_P(TerminalEscape, BackgroundJobNeitherStopsNorTakesTheTerminal) {
  for (const char* mode : {"", "landlock"}) {
    SCOPED_TRACE(*mode ? "Landlock mode" : "full mode");
    Pty pty;
    ASSERT_EQ(write(pty.master, "typeahead\n", 10), 10);
    std::vector<std::string> argv{cordon_bin()};
    for (auto& a :
         run_args(*mode ? std::vector<std::string>{"--mode", mode} : std::vector<std::string>{},
                  probe_argv(scene.probe, {{"tty-read", "0"}})))
      argv.push_back(a);
    const RunResult r = run_wired(scene, scene.unprivileged(),
                                  Wiring{.in = pty.slave,
                                         .out = pty.slave,
                                         .ctty = pty.slave,
                                         .master = pty.master,
                                         .job = Job::Background},
                                  argv);
    ASSERT_NE(r.exit_code, kJobStopped) << "cordon was stopped by the terminal\n" << r;
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(outcome(r), "NOTHING");
    EXPECT_EQ(pty.pending_input(), "typeahead\n") << "the shell's typeahead is gone";
  }
}

// `cordon run -- cmd &`, then `fg`: brought to the foreground (SIGCONT),
// cordon starts relaying the keystrokes, typeahead included.
TEST_P(TerminalEscape, BroughtToTheForegroundTheJobGetsItsKeystrokes) {
  for (const char* mode : {"", "landlock"}) {
    SCOPED_TRACE(*mode ? "Landlock mode" : "full mode");
    Pty pty;
    ASSERT_EQ(write(pty.master, "typeahead\n", 10), 10);
    std::vector<std::string> flags{"--timeout", "20"};
    if (*mode) flags.insert(flags.end(), {"--mode", mode});
    std::vector<std::string> argv{cordon_bin()};
    for (auto& a : run_args(flags, {"sh", "-c", "echo waiting; read line; echo got:$line"}))
      argv.push_back(a);
    const RunResult r =
        run_wired(scene, scene.unprivileged(),
                  Wiring{.in = pty.slave, .ctty = pty.slave, .job = Job::BroughtBack}, argv);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, "waiting\ngot:typeahead\n") << r;
  }
}

// `... | cordon run -- less`: stdin a pipe, so the pager reads its keys
// from its terminal (/dev/tty), which inside is the command's pty. cordon,
// the terminal's foreground job, relays the caller's keystrokes there from
// the terminal on stdout.
TEST_P(TerminalEscape, PagerFedByAPipeGetsKeystrokes) {
  Pty pty;
  ASSERT_EQ(write(pty.master, "typeahead\n", 10), 10);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(devnull, 0);
  std::vector<std::string> argv{cordon_bin()};
  for (auto& a :
       run_args({"--timeout", "20"}, {"sh", "-c", "read line < /dev/tty; echo got:$line"}))
    argv.push_back(a);
  const RunResult r = run_wired(
      scene, scene.unprivileged(),
      Wiring{.in = devnull, .out = pty.slave, .ctty = pty.slave, .master = pty.master}, argv);
  close(devnull);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("got:typeahead"), std::string::npos) << r;
}

// Not an escape, the other side of the two above: a harness that hands
// cordon a pty as stdin and stdout without making it cordon's controlling
// terminal (no session, no job control) gets the keystrokes relayed, as
// from the terminal of a foreground job.
TEST_P(TerminalEscape, PtyThatIsNotTheControllingTerminalIsRelayed) {
  Pty pty;
  ASSERT_EQ(write(pty.master, "typeahead\n", 10), 10);
  std::vector<std::string> argv{cordon_bin()};
  for (auto& a : run_args({"--timeout", "20"}, {"sh", "-c", "read line; echo got:$line"}))
    argv.push_back(a);
  const RunResult r =
      run_wired(scene, scene.unprivileged(),
                Wiring{.in = pty.slave, .out = pty.slave, .master = pty.master}, argv);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("got:typeahead"), std::string::npos) << r;
}

INSTANTIATE_TEST_SUITE_P(Users, TerminalEscape, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test::escape
