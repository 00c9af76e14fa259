// The contained process: a session of its own, no fd but stdio, an
// environment scrubbed of secrets.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <set>

#include "harness.h"

namespace cordon::test {
namespace {

using ProcessBoundary = SandboxTest;

// Field 6 of /proc/PID/stat, as the host sees it.
pid_t host_sid(pid_t pid) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  auto f = split_words(s.substr(close + 1));
  return f.size() > 3 ? atoi(f[3].c_str()) : -1;
}

TEST_P(ProcessBoundary, CommandRunsInANewSession) {
  // Inside: a session whose leader is outside the pid namespace reads as 0.
  auto r = sh("cut -d' ' -f6 /proc/self/stat");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(split_words(r.out), std::vector<std::string>{"0"})
      << "the command shares the caller's session" << r;

  // From the host: the sandboxed processes are in another session than cordon.
  const std::string secs = unique_sleep_seconds(100);
  RunOptions o = opts();
  Process p({cordon_bin(), "run", "--", "sh", "-c", "sleep " + secs + " & echo ready; wait"}, o);
  ASSERT_TRUE(p.wait_for_output("ready")) << p.out() << p.err();
  std::vector<HostProc> sleeps;
  ASSERT_TRUE(eventually(
      [&] {
        sleeps = processes_started_as("sleep " + secs);
        return !sleeps.empty();
      },
      std::chrono::seconds(10)));
  // cordon's own session may read as 0 here too (CI runs the suite in a pid
  // namespace whose session leader is outside it); the sandbox's session
  // leader is visible, so its sid is a real pid either way.
  const pid_t cordon_sid = host_sid(p.pid());
  ASSERT_GE(cordon_sid, 0);
  for (const auto& s : sleeps) {
    EXPECT_GT(host_sid(s.pid), 0) << "sleep " << s.pid;
    EXPECT_NE(host_sid(s.pid), cordon_sid) << "sleep " << s.pid << " in cordon's session";
  }
}

// The supervisor keeps the sandbox's process off its own CPU while it plans
// (supervisor.cc); the command must still run on every CPU the caller
// allows, no more and no fewer: all of them, and a single one under taskset.
TEST_P(ProcessBoundary, CommandRunsOnTheCpusTheCallerAllows) {
  auto host = run({"grep", "Cpus_allowed_list", "/proc/self/status"}, opts());
  ASSERT_EQ(host.exit_code, 0) << host;
  auto r = run_in({"grep", "Cpus_allowed_list", "/proc/self/status"});
  EXPECT_EQ(r.out, host.out) << r;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "one CPU: nothing to restrict";
  auto one = run({"taskset", "-c", "1", cordon_bin(), "run", "--", "grep", "Cpus_allowed_list",
                  "/proc/self/status"},
                 opts());
  EXPECT_EQ(one.out, "Cpus_allowed_list:\t1\n") << one;
}

TEST_P(ProcessBoundary, OnlyStdioIsOpenEvenWhenTheCallerLeaksAnFd) {
  int leaked = open("/etc/hostname", O_RDONLY);  // no O_CLOEXEC: a leak
  ASSERT_GE(leaked, 0);
  int high = fcntl(leaked, F_DUPFD, 50);
  ASSERT_GE(high, 50);
  RunOptions o = opts();
  o.inherit_fds = {leaked, high};
  // Uncontained, the fds do reach the command (the test can fail).
  auto outside = run({"ls", "/proc/self/fd"}, o);
  auto fds_outside = split_words(outside.out);
  EXPECT_NE(std::find(fds_outside.begin(), fds_outside.end(), std::to_string(high)),
            fds_outside.end())
      << outside;

  auto r = run_in({"ls", "/proc/self/fd"}, {}, o);
  close(leaked);
  close(high);
  ASSERT_EQ(r.exit_code, 0) << r;
  // 0 1 2, and 3: the directory ls itself is reading.
  EXPECT_EQ(split_words(r.out), (std::vector<std::string>{"0", "1", "2", "3"})) << r;
}

const std::vector<std::pair<std::string, std::string>> kSecrets = {
    {"FOO_TOKEN", "s3cr3t-foo-token"},
    {"AWS_SECRET_ACCESS_KEY", "s3cr3t-aws"},
    {"AWS_ACCESS_KEY_ID", "s3cr3t-aws-id"},
    {"SSH_AUTH_SOCK", "/tmp/s3cr3t-agent.sock"},
    {"GITHUB_TOKEN", "s3cr3t-github"},
    {"MY_API_KEY", "s3cr3t-api-key"},
    {"DB_SECRET", "s3cr3t-db"},
};

RunOptions with_env(RunOptions o) {
  for (const auto& [k, v] : kSecrets) o.extra_env.push_back(k + "=" + v);
  o.extra_env.push_back("LANG=C.UTF-8");
  o.extra_env.push_back("FOO=bar");
  return o;
}

std::set<std::string> env_names(const std::string& out) {
  std::set<std::string> names;
  for (const auto& line : split_lines(out))
    if (auto eq = line.find('='); eq != std::string::npos) names.insert(line.substr(0, eq));
  return names;
}

TEST_P(ProcessBoundary, SecretsAreScrubbedFromTheEnvironment) {
  auto r = run_in({"env"}, {}, with_env(opts()));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto names = env_names(r.out);
  for (const auto& [k, v] : kSecrets) {
    EXPECT_FALSE(names.count(k)) << k << " reached the command" << r;
    EXPECT_EQ(r.out.find(v), std::string::npos)
        << "the value of " << k << " reached the command" << r;
  }
  const auto lines = split_lines(r.out);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "LANG=C.UTF-8"), lines.end()) << r;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "FOO=bar"), lines.end()) << r;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "HOME=" + home.path()), lines.end()) << r;
  EXPECT_TRUE(names.count("PATH")) << r;
}

TEST_P(ProcessBoundary, PassEnvLetsANamedVariableThrough) {
  auto r = run_in({"env"}, {"--pass-env", "FOO_TOKEN"}, with_env(opts()));
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto lines = split_lines(r.out);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "FOO_TOKEN=s3cr3t-foo-token"), lines.end()) << r;
  auto names = env_names(r.out);
  EXPECT_FALSE(names.count("GITHUB_TOKEN")) << r;
  EXPECT_FALSE(names.count("MY_API_KEY")) << r;
}

INSTANTIATE_TEST_SUITE_P(Users, ProcessBoundary, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test
