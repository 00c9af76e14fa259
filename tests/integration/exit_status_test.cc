// The exit status of `cordon run`: the command's own, 128+N for a signal,
// 126/127 as a shell would, 124 on --timeout, 125 when cordon itself fails,
// and then nothing is run.
#include <signal.h>

#include <algorithm>
#include <regex>

#include "harness.h"

namespace cordon::test {
namespace {

using ExitStatus = SandboxTest;

TEST_P(ExitStatus, CommandsOwnStatusPassesThrough) {
  auto r = sh("exit 7");
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_EQ(r.term_signal, 0) << r;
  EXPECT_EQ(sh("exit 0").exit_code, 0);
}

TEST_P(ExitStatus, DeathBySignalIs128PlusN) {
  auto r = sh("kill -TERM $$");
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r;
  auto k = sh("kill -KILL $$");
  EXPECT_EQ(k.exit_code, 128 + SIGKILL) << k;
}

TEST_P(ExitStatus, CommandNotFoundIs127WithAMessage) {
  auto r = run_in({"cordon-it-no-such-command", "arg"});
  EXPECT_EQ(r.exit_code, 127) << r;
  EXPECT_NE(r.err.find("cordon-it-no-such-command"), std::string::npos) << r;
}

TEST_P(ExitStatus, NonExecutableFileIs126WithAMessage) {
  ws.write("script.sh", "#!/bin/sh\necho ran\n", 0644);
  auto r = run_in({"./script.sh"});
  EXPECT_EQ(r.exit_code, 126) << r;
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << r;
  EXPECT_NE(r.err.find("script.sh"), std::string::npos) << r;
}

TEST_P(ExitStatus, InvalidFlagIs125AndNothingRuns) {
  auto r = run_in({"touch", "marker"}, {"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_FALSE(r.err.empty()) << r;
  EXPECT_FALSE(ws.exists("marker")) << "the command ran despite the invalid flag";
  // The same command without the bad flag does create the marker.
  auto ok = run_in({"touch", "marker"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  EXPECT_TRUE(ws.exists("marker"));
}

TEST_P(ExitStatus, InvalidPolicyFileIs125NamingFileLineColumnAndNothingRuns) {
  TempDir policies(unprivileged());
  policies.write("bad.toml", "# a policy with a syntax error on line 2\nfilesystem = = 1\n");
  auto r = run_in({"touch", "marker"}, {"--policy", policies.file("bad.toml")});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(bad\.toml:2:[0-9]+)")))
      << "no file:line:col" << r;
  EXPECT_FALSE(ws.exists("marker")) << "the command ran despite the invalid policy";
}

TEST_P(ExitStatus, MissingPolicyFileIs125AndNothingRuns) {
  auto r = run_in({"touch", "marker"}, {"--policy", ws.file("no-such-policy.toml")});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find("no-such-policy.toml"), std::string::npos) << r;
  EXPECT_FALSE(ws.exists("marker"));
}

TEST_P(ExitStatus, TimeoutEndsTheCommandWith124) {
  const std::string secs = unique_sleep_seconds(30);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_in({"sleep", secs}, {"--timeout", "1s"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 124) << r;
  EXPECT_LT(elapsed, std::chrono::seconds(6)) << r;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900)) << "ended before the timeout" << r;
  std::string err = r.err;
  std::transform(err.begin(), err.end(), err.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(err.find("timed out"), std::string::npos) << r;
  const bool gone = eventually([&] { return processes_started_as("sleep " + secs).empty(); },
                               std::chrono::seconds(3));
  EXPECT_TRUE(gone) << "the sleep survived the timeout";
  for (const auto& p : processes_started_as("sleep " + secs)) kill(p.pid, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(Users, ExitStatus, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
