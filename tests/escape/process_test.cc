// Escape through processes and descriptors (THREATS.md, "Process and kernel
// surface"): file descriptors and a cwd leaked from the caller (runc
// CVE-2024-21626), /proc/PID/root and /proc/PID/exe of a process outside
// (CVE-2019-5736), ptrace and process_vm_readv of a process outside, signals
// to processes outside, and a sandbox that outlives its supervisor.
//
// "The supervisor" below is the cordon process itself: the tests start it as
// `sh -c 'exec cordon run -- probe ... $$'`, so that $$, expanded by the
// shell before exec, is the supervisor's host PID. The uncontained leg runs
// the same steps from `sh -c 'probe ... $$'`: there $$ is the shell, a live
// process of the same user, the way the supervisor is.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <chrono>
#include <thread>

#include "escape/escape.h"

namespace cordon::test::escape {
namespace {

class ProcessEscape : public testing::TestWithParam<As> {
 protected:
  ProcessEscape() : scene(GetParam() == As::Unprivileged) {}
  Scene scene;

  // A word for `sh -c`: single-quoted, except each "$$", which the shell
  // expands to its own PID.
  static std::string shell_word(const std::string& w) {
    std::string s = "'";
    for (size_t i = 0; i < w.size(); ++i) {
      if (w.compare(i, 2, "$$") == 0) {
        s += "'$$'";
        ++i;
      } else {
        s += w[i] == '\'' ? std::string("'\\''") : std::string(1, w[i]);
      }
    }
    return s + "'";
  }
  static std::string shell_line(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& w : argv) s += (s.empty() ? "" : " ") + shell_word(w);
    return s;
  }
  // Not `exec`: the shell stays alive as the target ("; exit" keeps a shell
  // from exec'ing its last command).
  std::string bare_from_shell(const std::vector<std::vector<std::string>>& steps) {
    return outcome(run({"/bin/sh", "-c", shell_line(probe_argv(scene.probe, steps)) + "; exit $?"},
                       scene.opts()));
  }
  // `exec`: the shell becomes the supervisor, so $$ is the supervisor's PID.
  std::string inside_from_shell(const std::vector<std::vector<std::string>>& steps,
                                const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv{cordon_bin()};
    for (auto& a : run_args(flags, probe_argv(scene.probe, steps))) argv.push_back(a);
    return outcome(run({"/bin/sh", "-c", "exec " + shell_line(argv)}, scene.opts()));
  }

  // Processes this test started through the probe's `hold TOKEN`.
  std::vector<HostProc> held(const std::string& token) const {
    std::vector<HostProc> mine;
    for (auto& p : processes_matching(token))
      if (p.cmdline.rfind(scene.probe + " hold " + token, 0) == 0) mine.push_back(p);
    return mine;
  }
  void kill_held(const std::string& token) const {
    for (auto& p : held(token))
      if (alive(p)) kill(p.pid, SIGKILL);
  }
};

// An fd the caller left open without O_CLOEXEC: a directory outside (the
// handle runc leaked) and a file. Inside, only 0, 1 and 2 exist.
TEST_P(ProcessEscape, LeakedFileDescriptorsFromCallerAreClosed) {
  scene.outside.write("secret", "outside secret\n");
  constexpr int kDirFd = 37, kFileFd = 38;
  int dir = open(scene.outside.path().c_str(), O_RDONLY | O_DIRECTORY);
  int file = open(scene.outside.file("secret").c_str(), O_RDONLY);
  ASSERT_GE(dir, 0);
  ASSERT_GE(file, 0);
  ASSERT_EQ(dup2(dir, kDirFd), kDirFd);
  ASSERT_EQ(dup2(file, kFileFd), kFileFd);
  close(dir);
  close(file);
  RunOptions o = scene.opts();
  o.inherit_fds = {kDirFd, kFileFd};

  const std::vector<std::vector<std::string>> steps = {
      {"ls-fds"}, {"fd-open", "37"}, {"fd-openat", "37", "secret"}, {"fd-open", "38"}};
  EXPECT_EQ(outcome(run(probe_argv(scene.probe, steps), o)), "0,1,2,37,38 OK OK OK")
      << "uncontained, the leaked descriptors must be usable";
  EXPECT_EQ(outcome(cordon(run_args({}, probe_argv(scene.probe, steps)), o)),
            "0,1,2 EBADF EBADF EBADF");
  close(kDirFd);
  close(kFileFd);
}

// The command starts inside the new root: its cwd climbs to the sandbox's
// own "/", never to a directory of the host.
TEST_P(ProcessEscape, CwdIsInsideTheNewRoot) {
  const std::vector<std::vector<std::string>> steps = {{"cwd"}, {"cwd-root"}};
  EXPECT_EQ(scene.bare(steps), scene.ws.path() + " OK");
  EXPECT_EQ(scene.inside(steps), scene.ws.path() + " OK");
}

// The caller stands in a directory outside the workspace: uncontained, a
// relative path reaches its files; contained, the cwd is not that directory
// (it is not even visible), a relative open finds nothing, and ".." leads to
// the sandbox's root. Refusing to start (125) would be safe too.
TEST_P(ProcessEscape, CallerCwdOutsideWorkspaceIsNotReachable) {
  scene.outside.write("secret", "outside secret\n");
  RunOptions o = scene.opts();
  o.cwd = scene.outside.path();
  const std::vector<std::vector<std::string>> steps = {
      {"open-read", "secret"}, {"cwd"}, {"cwd-root"}};

  EXPECT_EQ(outcome(run(probe_argv(scene.probe, steps), o)), "OK " + scene.outside.path() + " OK");

  auto r = cordon(run_args({"--workspace", scene.ws.path()}, probe_argv(scene.probe, steps)), o);
  if (r.exit_code == 125) return;  // refused: nothing ran
  auto words = split_words(outcome(r));
  ASSERT_EQ(words.size(), 3u) << r;
  EXPECT_EQ(words[0], "ENOENT") << "a file of the caller's cwd outside is reachable";
  EXPECT_EQ(words[1].front(), '/') << "cwd: " << words[1];
  EXPECT_NE(words[1], scene.outside.path());
  EXPECT_EQ(words[2], "OK") << "the cwd climbs out of the sandbox's root";
}

// /proc is the pid namespace's own: the command sees the sandbox's init and
// itself (and what it starts), never a host process.
TEST_P(ProcessEscape, OnlySandboxPidsAreVisibleInProc) {
  const std::string self = std::to_string(getpid());
  const auto host_view = split_words(scene.bare({{"proc-pids"}}));
  ASSERT_FALSE(host_view.empty());
  std::string host_list = "," + host_view[0] + ",";
  EXPECT_NE(host_list.find("," + self + ","), std::string::npos)
      << "uncontained, /proc must list this test process";

  // Inside: the sandbox's init (1) and the command (2, or 3 if cordon keeps
  // one more process of its own in there), nothing else.
  const std::string inside = scene.inside({{"proc-pids"}});
  EXPECT_TRUE(inside == "1,2" || inside == "1,3" || inside == "1,2,3") << inside;
  EXPECT_EQ(("," + inside + ",").find("," + self + ","), std::string::npos);
}

// CVE-2019-5736's way in: /proc/PID/exe and /proc/PID/root of a process
// outside. The supervisor's PID names nothing inside.
TEST_P(ProcessEscape, ProcRootAndExeOfSupervisorAreUnreachable) {
  scene.outside.write("secret", "outside secret\n");
  const std::vector<std::vector<std::string>> steps = {
      {"open-read", "/proc/$$/root" + scene.outside.file("secret")},
      {"open-read", "/proc/$$/exe"},
      {"readlink", "/proc/$$/cwd"}};
  EXPECT_EQ(bare_from_shell(steps), "OK OK " + scene.ws.path())
      << "uncontained, /proc/PID of a process of the same user must lead outside";
  EXPECT_EQ(inside_from_shell(steps, scene.show_outside()), "ENOENT ENOENT ENOENT");
}

// The sandbox's init (pid 1 inside) is cordon's own process: not dumpable,
// so /proc/1/exe cannot be opened (to overwrite the runtime, CVE-2019-5736),
// /proc/1/root cannot be walked, and it cannot be traced or read. The
// uncontained leg shows the same steps against an ordinary (dumpable)
// process of the same user: a copy of the probe, holding.
TEST_P(ProcessEscape, SandboxInitCannotBeOpenedTracedOrRead) {
  const std::string token = "escape-victim-" + unique_sleep_seconds(0);
  Process victim({scene.probe, "hold", token, "60"}, scene.opts());
  ASSERT_TRUE(eventually([&] { return held(token).size() == 2; }, std::chrono::seconds(10)));
  auto steps_for = [](const std::string& pid) {
    return std::vector<std::vector<std::string>>{
        {"readlink", "/proc/" + pid + "/exe"},
        {"open-read", "/proc/" + pid + "/exe"},
        {"open-write", "/proc/" + pid + "/exe"},
        {"open-read", "/proc/" + pid + "/root/etc/hostname"},
        {"ptrace-attach", pid},
        {"vm-read", pid}};
  };
  // ETXTBSY: the path leads to the (writable) binary; only its being run
  // stops the write, which CVE-2019-5736 waits out.
  EXPECT_EQ(scene.bare(steps_for(std::to_string(victim.pid()))),
            scene.probe + " OK ETXTBSY OK OK OK");
  kill_held(token);
  EXPECT_EQ(scene.inside(steps_for("1")), "EACCES EACCES EACCES EACCES EPERM EPERM");
}

// ptrace, process_vm_readv and kill(pid, 0) of the supervisor, and kill of a
// host process (this test): outside the pid namespace they do not exist
// (ESRCH). ptrace and process_vm_readv do not even get that far: the seccomp
// filter refuses both whatever the target (EPERM).
TEST_P(ProcessEscape, SupervisorAndHostProcessesCannotBeTracedReadOrSignalled) {
  const std::string host = std::to_string(getpid());
  const std::vector<std::vector<std::string>> steps = {
      {"kill", "$$"}, {"ptrace-attach", "$$"}, {"vm-read", "$$"}, {"kill", host}};
  // kill(this test, 0): allowed as root, EPERM (it exists, not ours) otherwise.
  const std::string host_kill = scene.unprivileged() ? "EPERM" : "OK";
  EXPECT_EQ(bare_from_shell(steps), "OK OK OK " + host_kill);
  EXPECT_EQ(inside_from_shell(steps), "ESRCH EPERM EPERM ESRCH");
}

// The supervisor dies by SIGKILL (no chance to clean up): everything in the
// sandbox dies with it, including a child that left the session the way a
// daemon would. Uncontained, the same pair outlives its killed parent.
TEST_P(ProcessEscape, NothingSurvivesTheSupervisor) {
  const std::string token = "escape-hold-" + unique_sleep_seconds(0);
  auto mine = [&] { return held(token); };
  auto kill_leftovers = [&] { kill_held(token); };

  {
    Process parent({"/bin/sh", "-c", "\"$0\" hold \"$1\" 60 & wait", scene.probe, token},
                   scene.opts());
    ASSERT_TRUE(eventually([&] { return mine().size() == 2; }, std::chrono::seconds(10)));
    parent.signal(SIGKILL);
    parent.wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto survivors = mine();
    EXPECT_EQ(std::count_if(survivors.begin(), survivors.end(), alive), 2)
        << "uncontained, the held pair must outlive its killed parent";
    kill_leftovers();
  }

  Process supervisor({cordon_bin(), "run", "--", scene.probe, "hold", token, "120"}, scene.opts());
  bool started = eventually([&] { return mine().size() == 2; }, std::chrono::seconds(20));
  if (!started) {
    kill_leftovers();
    FAIL() << "the contained pair never appeared" << supervisor.wait();
  }
  supervisor.signal(SIGKILL);
  auto r = supervisor.wait();
  EXPECT_EQ(r.term_signal, SIGKILL);
  bool gone = eventually([&] { return mine().empty(); }, std::chrono::seconds(5));
  std::string left;
  for (auto& p : mine()) left += std::to_string(p.pid) + " " + p.cmdline + "\n";
  kill_leftovers();
  EXPECT_TRUE(gone) << "sandboxed processes outlived their supervisor:\n" << left;
}

// cordon returns as soon as init has reported the command's status, without
// waiting for the kernel to tear init's namespaces down; init reports only
// once it has killed and reaped every other process of the namespace. So the
// moment cordon returns, a background child and a daemon that left the
// session are already gone. Each holds a FIFO of the workspace open for
// writing, and a non-blocking read of its other end sees end-of-file only
// when no writer is left: right after a bare shell returns, its background
// writer still runs (EAGAIN); right after cordon returns, none does. Were
// the status reported before the kill, the writers would still be alive
// then, dying with init a moment later (checked: that fails this test).
TEST_P(ProcessEscape, NothingOfTheSandboxRunsOnceCordonHasReturned) {
  const std::string fifo = scene.ws.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  if (scene.unprivileged()) ASSERT_EQ(chown(fifo.c_str(), test_uid(), test_gid()), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const std::string bg = unique_sleep_seconds(300), daemon = unique_sleep_seconds(300);
  auto kill_leftovers = [&] {
    for (const auto& secs : {bg, daemon})
      for (const auto& p : processes_started_as("sleep " + secs)) kill(p.pid, SIGKILL);
  };
  const std::string script = "sleep " + bg + " >fifo 2>/dev/null & (setsid sleep " + daemon +
                             " >fifo 2>/dev/null &); exit 7";
  char c;
  {
    // The shell returns before its background children have necessarily
    // opened the FIFO (or exec'd sleep): wait for a writer, then kill until
    // none is left.
    auto r = run({"/bin/sh", "-c", script}, scene.opts());
    const bool writer_outlived_shell = eventually(
        [&] { return read(reader, &c, 1) == -1 && errno == EAGAIN; }, std::chrono::seconds(5));
    const bool cleaned = eventually(
        [&] {
          kill_leftovers();
          return read(reader, &c, 1) == 0;
        },
        std::chrono::seconds(10));
    ASSERT_EQ(r.exit_code, 7) << r;
    ASSERT_TRUE(writer_outlived_shell) << "uncontained, the writers must outlive their shell";
    ASSERT_TRUE(cleaned) << "the uncontained writers could not be ended";
  }
  for (int round = 0; round < 20; ++round) {
    auto r = cordon(run_args({}, {"/bin/sh", "-c", script}), scene.opts());
    const ssize_t n = read(reader, &c, 1);
    const int err = errno;
    kill_leftovers();
    ASSERT_EQ(r.exit_code, 7) << r;
    ASSERT_EQ(n, 0) << "round " << round
                    << ": a writer of the FIFO still ran after cordon returned ("
                    << (n < 0 ? errno_name(err) : "data") << ")";
  }
  close(reader);
}

INSTANTIATE_TEST_SUITE_P(Users, ProcessEscape, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test::escape
