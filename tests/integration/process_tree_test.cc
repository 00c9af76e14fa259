// The whole process tree goes when the command ends and when cordon itself
// dies, even by SIGKILL: nothing started inside outlives the run.
#include <signal.h>

#include "harness.h"

namespace cordon::test {
namespace {

using ProcessTree = SandboxTest;

// Kills leftovers of a failed test by PID, so that the suite leaves nothing.
void kill_leftovers(const std::string& needle) {
  for (const auto& p : processes_started_as(needle)) kill(p.pid, SIGKILL);
}

bool all_gone(const std::vector<HostProc>& procs) {
  for (const auto& p : procs)
    if (alive(p)) return false;
  return true;
}

std::string describe(const std::vector<HostProc>& procs) {
  std::string s;
  for (const auto& p : procs)
    s += "  " + std::to_string(p.pid) + (alive(p) ? " alive: " : " gone: ") + p.cmdline + "\n";
  return s;
}

TEST_P(ProcessTree, BackgroundChildrenAreKilledWhenTheCommandExits) {
  // Uncontained, the background sleep outlives its shell, and the scan finds
  // it (the test can fail).
  {
    const std::string secs = unique_sleep_seconds(300);
    auto r = run({"sh", "-c", "sleep " + secs + " >/dev/null 2>&1 & echo $!"}, opts());
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_FALSE(processes_started_as("sleep " + secs).empty())
        << "the scan does not see a leftover sleep";
    kill_leftovers("sleep " + secs);
  }
  // Contained: a plain background child, one that keeps stdout open, and a
  // daemon that left the session with setsid.
  const std::string quiet = unique_sleep_seconds(300), loud = unique_sleep_seconds(300),
                    daemon = unique_sleep_seconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = sh("sleep " + quiet + " >/dev/null 2>&1 & sleep " + loud + " & (setsid sleep " + daemon +
              " >/dev/null 2>&1 &); echo $!");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_LT(elapsed, std::chrono::seconds(5)) << "cordon waited for the background children" << r;
  for (const auto& secs : {quiet, loud, daemon}) {
    const bool gone = eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                                 std::chrono::seconds(5));
    EXPECT_TRUE(gone) << "sleep " << secs << " survived the command"
                      << describe(processes_started_as("sleep " + secs));
    kill_leftovers("sleep " + secs);
  }
}

TEST_P(ProcessTree, SigkillOfCordonTakesTheWholeSandboxWithIt) {
  const std::string secs = unique_sleep_seconds(300), inner = unique_sleep_seconds(300);
  RunOptions o = opts();
  Process p({cordon_bin(), "run", "--", "sh", "-c",
             "sleep " + secs + " & sh -c 'sleep " + inner + " & wait' & echo ready; wait"},
            o);
  ASSERT_TRUE(p.wait_for_output("ready")) << p.out() << p.err();
  // Every process of the sandbox, as the host sees them, before the kill.
  std::vector<HostProc> tree;
  ASSERT_TRUE(eventually(
      [&] {
        tree = descendants(p.pid());
        int found = 0;
        for (const auto& t : tree)
          found += t.cmdline == "sleep " + secs || t.cmdline == "sleep " + inner;
        return found == 2;
      },
      std::chrono::seconds(10)))
      << "the sandbox's sleeps are not descendants of cordon:\n"
      << describe(tree);
  p.signal(SIGKILL);
  auto r = p.wait();
  EXPECT_EQ(r.term_signal, SIGKILL) << r;
  const bool gone = eventually([&] { return all_gone(tree); }, std::chrono::seconds(5));
  EXPECT_TRUE(gone) << "processes survived cordon's SIGKILL:\n" << describe(tree);
  for (const auto& t : tree)
    if (alive(t)) kill(t.pid, SIGKILL);
}

TEST_P(ProcessTree, TimeoutKillsTheWholeTree) {
  const std::string secs = unique_sleep_seconds(300), bg = unique_sleep_seconds(300);
  auto r = sh("sleep " + bg + " & (setsid sleep " + bg + " &); sleep " + secs, {"--timeout", "1s"});
  EXPECT_EQ(r.exit_code, 124) << r;
  for (const auto& s : {secs, bg}) {
    const bool gone = eventually([&] { return processes_started_as("sleep " + s).empty(); },
                                 std::chrono::seconds(5));
    EXPECT_TRUE(gone) << "sleep " << s << " survived the timeout"
                      << describe(processes_started_as("sleep " + s));
    kill_leftovers("sleep " + s);
  }
}

INSTANTIATE_TEST_SUITE_P(Users, ProcessTree, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test
