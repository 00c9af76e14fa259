// The workspace is chosen by cordon from the caller, canonicalised, and
// never `/`, the home directory itself or a system directory unless forced
// (THREATS.md: the agent choosing its own writable root).
#include "harness.h"

namespace cordon::test {
namespace {

using Workspace = SandboxTest;

// Directories that must never become the writable workspace by accident.
const std::vector<std::string> kSystemDirs = {
    "/usr", "/usr/bin", "/usr/lib", "/etc", "/bin", "/lib", "/sbin", "/var", "/boot", "/usr/share"};

void expect_refused(const RunResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 125) << what << r;
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << what << ": the command ran" << r;
  EXPECT_FALSE(r.err.empty()) << what << ": refused without a message" << r;
}

TEST_P(Workspace, RootAsWorkspaceIsRefused) {
  RunOptions o = opts();
  o.cwd = "/";
  expect_refused(run_in({"echo", "ran"}, {}, o), "cwd /");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", "/"}), "--workspace /");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", "/usr/.."}), "--workspace /usr/..");
}

TEST_P(Workspace, HomeItselfAsWorkspaceIsRefused) {
  TempDir links(unprivileged());
  links.symlink(home.path(), "home-link");
  RunOptions o = opts();
  o.cwd = home.path();
  expect_refused(run_in({"echo", "ran"}, {}, o), "cwd $HOME");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", home.path()}), "--workspace $HOME");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", home.path() + "/."}),
                 "--workspace $HOME/.");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", links.file("home-link")}),
                 "--workspace link-to-$HOME");
  o.cwd = links.file("home-link");
  expect_refused(run_in({"echo", "ran"}, {}, o), "cwd link-to-$HOME");
}

TEST_P(Workspace, SystemDirectoriesAsWorkspaceAreRefused) {
  for (const auto& dir : kSystemDirs) {
    RunOptions o = opts();
    o.cwd = dir;
    expect_refused(run_in({"echo", "ran"}, {}, o), "cwd " + dir);
    expect_refused(run_in({"echo", "ran"}, {"--workspace", dir}), "--workspace " + dir);
  }
}

TEST_P(Workspace, ForceWorkspaceAcceptsTheHomeDirectory) {
  RunOptions o = opts();
  o.cwd = home.path();
  auto r = run_in({"sh", "-c", "pwd -P; touch forced && echo ran"}, {"--force-workspace"}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, home.path() + "\nran\n") << r;
  EXPECT_TRUE(home.exists("forced"));
}

// Where the sandbox has its own tree (a private /dev/shm, a fresh /proc and
// /sys), a workspace could not be shown even when forced: refused up front,
// saying why, instead of failing half-way through the mounts.
TEST_P(Workspace, ForcedWorkspaceWhereTheSandboxHasItsOwnTreeIsRefused) {
  for (const char* dir : {"/dev/shm", "/proc", "/sys"}) {
    const RunResult r = run_in({"echo", "ran"}, {"--workspace", dir, "--force-workspace"});
    expect_refused(r, dir);
    EXPECT_NE(r.err.find("the sandbox has its own"), std::string::npos) << r;
  }
}

TEST_P(Workspace, NonexistentWorkspaceIsRefused) {
  expect_refused(run_in({"echo", "ran"}, {"--workspace", ws.file("does/not/exist")}),
                 "nonexistent");
}

TEST_P(Workspace, RegularFileAsWorkspaceIsRefused) {
  ws.write("file", "x");
  expect_refused(run_in({"echo", "ran"}, {"--workspace", ws.file("file")}), "a regular file");
}

INSTANTIATE_TEST_SUITE_P(Users, Workspace, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
