// Landlock mode (issue 3): `cordon run` on a host without user namespaces,
// forced here with CORDON_ASSUME_NO_USERNS=1. It says so on stderr, runs the
// command on the host's own tree under Landlock and seccomp, passes the exit
// status through, enforces --timeout and leaves no process behind, sweeps
// protected names created during the run aside (reporting them), and refuses
// to run at all (125) when the policy requires what this mode cannot give.
#include <signal.h>
#include <unistd.h>

#include "harness.h"

namespace cordon::test {
namespace {

class LandlockMode : public SandboxTest {
 protected:
  RunOptions lopts() const {
    RunOptions o = opts();
    o.extra_env.push_back("CORDON_ASSUME_NO_USERNS=1");
    o.extra_env.push_back("LC_ALL=C");
    return o;
  }
  RunResult lrun(const std::vector<std::string>& cmd, const std::vector<std::string>& flags = {}) {
    return run_in(cmd, flags, lopts());
  }
  RunResult lsh(const std::string& script, const std::vector<std::string>& flags = {}) {
    return lrun({"sh", "-c", script}, flags);
  }
  // A policy file outside the workspace (the run cannot edit it).
  std::string policy_file(const std::string& text) {
    pol.write("policy.toml", text);
    return pol.file("policy.toml");
  }
  static bool mentions_landlock_mode(const std::string& err) {
    return err.find("running in Landlock mode") != std::string::npos;
  }
  TempDir pol{true};
};

TEST_P(LandlockMode, NoticeIsPrintedAndWorkspaceWritesReachTheHost) {
  auto r = lsh("echo hello > made-inside && cat made-inside");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hello\n") << r;
  EXPECT_TRUE(mentions_landlock_mode(r.err)) << r;
  EXPECT_EQ(ws.read("made-inside"), "hello\n");
  // Without the variable, the same run is full mode and says nothing of it.
  auto full = run_in({"true"}, {}, opts());
  EXPECT_EQ(full.exit_code, 0) << full;
  EXPECT_FALSE(mentions_landlock_mode(full.err)) << full;
}

// The host's /dev/pts is closed to the command by default
// (TerminalEscape.OtherTerminalsOfTheUserAreOutOfReach): its own pty is
// still there by path, for `tty` and whatever reopens it, and ptys of its
// own (here `script`) work once the policy allows the host's devpts.
TEST_P(LandlockMode, OwnPtyOnlyUnlessHostPtysAreAllowed) {
  RunOptions o = lopts();
  o.stdin_tty = true;
  auto own = run_in({"sh", "-c", "exec 3<>\"$(tty)\" && echo reopened"}, {}, o);
  EXPECT_EQ(own.exit_code, 0) << own;
  EXPECT_NE(own.out.find("reopened"), std::string::npos) << own;

  const std::vector<std::string> make_pty{"script", "-qec", "echo in-a-new-pty", "/dev/null"};
  auto denied = run_in(make_pty, {}, o);
  EXPECT_NE(denied.exit_code, 0) << denied;
  EXPECT_EQ(denied.out.find("in-a-new-pty"), std::string::npos) << denied;
  auto allowed = run_in(make_pty, {"--host-ptys", "allow"}, o);
  EXPECT_EQ(allowed.exit_code, 0) << allowed;
  EXPECT_NE(allowed.out.find("in-a-new-pty"), std::string::npos) << allowed;
  // In full mode the sandbox's devpts is its own: ptys are made freely.
  auto full = run_in(make_pty, {}, [&] {
    RunOptions f = opts();
    f.stdin_tty = true;
    return f;
  }());
  EXPECT_EQ(full.exit_code, 0) << full;
  EXPECT_NE(full.out.find("in-a-new-pty"), std::string::npos) << full;
}

TEST_P(LandlockMode, ExitStatusPassesThrough) {
  auto seven = lsh("exit 7");
  EXPECT_EQ(seven.exit_code, 7) << seven;
  auto term = lsh("kill -TERM $$");
  EXPECT_EQ(term.exit_code, 128 + SIGTERM) << term;
}

TEST_P(LandlockMode, TimeoutIs124AndTheCommandIsGone) {
  const std::string secs = unique_sleep_seconds(30);
  auto r = lrun({"sleep", secs}, {"--timeout", "1s"});
  EXPECT_EQ(r.exit_code, 124) << r;
  EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                         std::chrono::seconds(5)))
      << "the sleep survived the timeout";
  for (auto& p : processes_started_as("sleep " + secs))
    if (alive(p)) kill(p.pid, SIGKILL);
}

TEST_P(LandlockMode, BackgroundChildIsGoneAfterTheRun) {
  const std::string secs = unique_sleep_seconds(300), daemon = unique_sleep_seconds(300);
  auto r = lsh("sleep " + secs + " >/dev/null 2>&1 & (setsid sleep " + daemon +
               " >/dev/null 2>&1 &) ; echo started");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "started\n") << r;
  for (const auto& s : {secs, daemon}) {
    EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + s).empty(); },
                           std::chrono::seconds(5)))
        << "sleep " << s << " survived the run";
    for (auto& p : processes_started_as("sleep " + s))
      if (alive(p)) kill(p.pid, SIGKILL);
  }
}

// Landlock cannot refuse a protected name inside the workspace: it is
// created, then renamed aside by the sweep and reported.
TEST_P(LandlockMode, ProtectedDirectoryCreatedInsideIsSweptAsideAndReported) {
  auto r = lsh("mkdir .vscode && echo '{}' > .vscode/settings.json && echo made");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "made\n") << r;
  EXPECT_FALSE(ws.exists(".vscode")) << "the protected name is still in place after the run";
  EXPECT_NE(r.err.find("protected path created during the run; renamed to"), std::string::npos)
      << r;
  EXPECT_NE(r.err.find(".vscode"), std::string::npos) << r;
}

// A requirement this mode cannot meet: nothing runs, 125, named.
TEST_P(LandlockMode, RequiredProtectedPathsRefusesToRun) {
  const std::string policy = policy_file("[sandbox]\nrequire = [\"protected-paths\"]\n");
  auto r = lsh("touch ran", {"--policy", policy});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_FALSE(ws.exists("ran")) << "the command ran";
  EXPECT_NE(r.err.find("protected-paths"), std::string::npos) << r;

  auto flag = lsh("touch ran", {"--require", "protected-paths"});
  EXPECT_EQ(flag.exit_code, 125) << flag;
  EXPECT_FALSE(ws.exists("ran")) << "the command ran";
  EXPECT_NE(flag.err.find("protected-paths"), std::string::npos) << flag;

  // The same requirement is met in full mode.
  auto full = run_in({"sh", "-c", "touch ran"}, {"--require", "protected-paths"}, opts());
  EXPECT_EQ(full.exit_code, 0) << full;
}

TEST_P(LandlockMode, ModeFullWithoutUserNamespacesRefusesToRun) {
  const std::string policy = policy_file("[sandbox]\nmode = \"full\"\n");
  auto r = lsh("touch ran", {"--policy", policy});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_FALSE(ws.exists("ran")) << "the command ran";
  EXPECT_FALSE(mentions_landlock_mode(r.err)) << r;

  auto flag = lsh("touch ran", {"--mode", "full"});
  EXPECT_EQ(flag.exit_code, 125) << flag;
  EXPECT_FALSE(ws.exists("ran")) << "the command ran";
  EXPECT_FALSE(mentions_landlock_mode(flag.err)) << flag;
}

INSTANTIATE_TEST_SUITE_P(Users, LandlockMode, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test
