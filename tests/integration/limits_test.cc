// Resource limits through the real binary: `cordon run --pids/--memory`
// puts the sandbox in a cgroup of its own (docs/resources.md), a fork bomb
// and a memory hog hit their limits, cordon says which limit ended the
// command, nothing of the run is left, and the host is unaffected. Where the
// host gives the user no cgroup (cgroup v1 is root's only, as on this
// project's machines), the run is refused with the remedy and nothing runs.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "harness.h"

namespace cordon::test {
namespace {

using Limits = SandboxTest;

// The limits are enforced, or the run is refused before anything ran.
// Returns true when the run was refused (the caller's assertions then stop).
bool refused_without_a_cgroup(const RunResult& r, const TempDir& ws, const std::string& marker) {
  if (r.exit_code != 125) return false;
  EXPECT_NE(r.err.find("the policy sets resource limits, but cannot create a cgroup"),
            std::string::npos)
      << r;
  EXPECT_FALSE(ws.exists(marker)) << "the command ran although its limits could not be enforced";
  return true;
}

TEST_P(Limits, ForkBombStopsAtThePidsLimitAndNothingIsLeft) {
  const std::string secs = unique_sleep_seconds(60);
  const std::string bomb =
      "touch ran; n=0; while [ $n -lt 60 ]; do sleep " + secs + " & n=$((n+1)); done; wait";
  // Uncontained, the loop starts all 60 (the test can fail).
  {
    TempDir scratch(unprivileged());
    RunOptions o = opts();
    o.cwd = scratch.path();
    auto r =
        run({"sh", "-c",
             "n=0; while [ $n -lt 60 ]; do sleep " + secs + " >/dev/null 2>&1 & n=$((n+1)); done"},
            o);
    EXPECT_EQ(r.exit_code, 0) << r;
    const auto started = processes_started_as("sleep " + secs);
    EXPECT_EQ(started.size(), 60u);
    for (const auto& p : started) kill(p.pid, SIGKILL);
    EXPECT_TRUE(eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                           std::chrono::seconds(5)));
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = sh(bomb, {"--pids", "20"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto left = processes_started_as("sleep " + secs);
  for (const auto& p : left) kill(p.pid, SIGKILL);
  if (refused_without_a_cgroup(r, ws, "ran")) return;
  EXPECT_TRUE(ws.exists("ran")) << r;
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("the process limit (20) refused"), std::string::npos) << r;
  EXPECT_LT(elapsed, std::chrono::seconds(30)) << "the bomb was not stopped";
  EXPECT_TRUE(left.empty()) << left.size() << " sleeps of the run were left on the host";
  // The host forks as before.
  auto after = run({"sh", "-c", "true & wait; echo ok"}, opts());
  EXPECT_EQ(after.out, "ok\n") << after;
}

TEST_P(Limits, MemoryHogIsKilledAtTheMemoryLimitAndCordonSaysWhy) {
  const std::string hog =
      "import pathlib; pathlib.Path('ran').touch(); b = bytearray(256 << 20); b[::4096] = b'x' * "
      "len(b[::4096]); print('allocated')";
  // Uncontained, it allocates (the test can fail).
  {
    TempDir scratch(unprivileged());
    RunOptions o = opts();
    o.cwd = scratch.path();
    auto r = run({"/usr/bin/python3", "-c", hog}, o);
    EXPECT_EQ(r.out, "allocated\n") << r;
  }
  auto r = run_in({"python3", "-c", hog}, {"--memory", "64M"});
  if (refused_without_a_cgroup(r, ws, "ran")) return;
  EXPECT_TRUE(ws.exists("ran")) << r;
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_NE(r.err.find("out of memory: the memory limit (67108864 bytes) was reached"),
            std::string::npos)
      << r;
}

TEST_P(Limits, WithinItsLimitsTheCommandRunsAsUsual) {
  auto r = sh("touch ran; echo fine", {"--pids", "64", "--memory", "256M"});
  if (refused_without_a_cgroup(r, ws, "ran")) return;
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "fine\n") << r;
  EXPECT_EQ(r.err, "") << r;
}

INSTANTIATE_TEST_SUITE_P(Users, Limits, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
