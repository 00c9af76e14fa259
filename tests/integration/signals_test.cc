// SIGTERM, SIGINT and SIGHUP sent to cordon reach the command; a command
// that does not handle them dies of them and cordon exits 128+N.
#include <signal.h>

#include <thread>

#include "harness.h"

namespace cordon::test {
namespace {

struct Forwarded {
  int sig;
  const char* name;  // as `trap` spells it
  int trap_status;   // what the trap exits with
};
const Forwarded kForwarded[] = {{SIGTERM, "TERM", 3}, {SIGINT, "INT", 4}, {SIGHUP, "HUP", 5}};

using Signals = SandboxTest;

TEST_P(Signals, TrappedSignalsAreForwardedToTheCommand) {
  for (const auto& f : kForwarded) {
    SCOPED_TRACE(f.name);
    const std::string secs = unique_sleep_seconds(100);
    const std::string script = std::string("trap 'echo got-") + f.name + "; exit " +
                               std::to_string(f.trap_status) + "' " + f.name +
                               "; echo ready; sleep " + secs + " & wait";
    Process p({cordon_bin(), "run", "--", "sh", "-c", script}, opts());
    ASSERT_TRUE(p.wait_for_output("ready")) << p.out() << p.err();
    p.signal(f.sig);
    auto r = p.wait();
    EXPECT_EQ(r.exit_code, f.trap_status) << r;
    EXPECT_NE(r.out.find(std::string("got-") + f.name), std::string::npos) << r;
    EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                           std::chrono::seconds(5)));
    for (const auto& l : processes_started_as("sleep " + secs)) kill(l.pid, SIGKILL);
  }
}

TEST_P(Signals, UnhandledSignalEndsTheCommandWith128PlusN) {
  for (const auto& f : kForwarded) {
    SCOPED_TRACE(f.name);
    const std::string secs = unique_sleep_seconds(100);
    Process p({cordon_bin(), "run", "--", "sleep", secs}, opts());
    // Signal only once the sleep runs inside (not cordon during its set-up).
    ASSERT_TRUE(eventually([&] { return !processes_started_as("sleep " + secs).empty(); },
                           std::chrono::seconds(10)))
        << p.out() << p.err();
    p.signal(f.sig);
    auto r = p.wait();
    EXPECT_EQ(r.exit_code, 128 + f.sig) << r;
    EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                           std::chrono::seconds(5)));
    for (const auto& l : processes_started_as("sleep " + secs)) kill(l.pid, SIGKILL);
  }
}

// A Ctrl-C that arrives while cordon is still setting up the sandbox must
// not be lost: either cordon dies of it before anything runs, or the command
// gets it. Sweeping the delay over the first milliseconds hits every phase
// of the set-up on this machine.
TEST_P(Signals, SignalDuringSetUpIsNotLost) {
  for (int delay_ms = 0; delay_ms <= 30; ++delay_ms) {
    SCOPED_TRACE("SIGINT " + std::to_string(delay_ms) + " ms after start");
    const std::string secs = unique_sleep_seconds(5);
    RunOptions o = opts();
    o.timeout_seconds = 20;
    const auto start = std::chrono::steady_clock::now();
    Process p({cordon_bin(), "run", "--", "sleep", secs}, o);
    std::this_thread::sleep_until(start + std::chrono::milliseconds(delay_ms));
    p.signal(SIGINT);
    auto r = p.wait();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const bool ended_by_it = r.exit_code == 128 + SIGINT || r.term_signal == SIGINT;
    EXPECT_TRUE(ended_by_it) << r;
    EXPECT_LT(elapsed, std::chrono::seconds(3))
        << "the command ran on as if no signal had come" << r;
    for (const auto& l : processes_started_as("sleep " + secs)) kill(l.pid, SIGKILL);
    if (!ended_by_it) break;  // one lost signal is enough to show it
  }
}

INSTANTIATE_TEST_SUITE_P(Users, Signals, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
