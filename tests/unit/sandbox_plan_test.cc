// The pure parts of the sandbox layer: mount ordering, workspace safety,
// and the git-config danger check used by the post-run sweep.
#include <gtest/gtest.h>

#include "sandbox/plan.h"
#include "sandbox/sweep.h"
#include "sandbox/workspace.h"

namespace cordon::sandbox {
namespace {

std::vector<std::pair<MountKind, std::string>> flat(const std::vector<MountEntry>& v) {
  std::vector<std::pair<MountKind, std::string>> out;
  for (const auto& e : v) out.emplace_back(e.kind, e.path);
  return out;
}

TEST(OrderMounts, AncestorsComeBeforeDescendants) {
  auto out = order_mounts({{MountKind::Protected, "/home/u/proj/.git/hooks"},
                           {MountKind::ReadWrite, "/home/u/proj"},
                           {MountKind::ReadOnly, "/home/u"},
                           {MountKind::Pin, "/home/u/proj/.git"}});
  std::vector<std::pair<MountKind, std::string>> want = {
      {MountKind::ReadOnly, "/home/u"},
      {MountKind::ReadWrite, "/home/u/proj"},
      {MountKind::Pin, "/home/u/proj/.git"},
      {MountKind::Protected, "/home/u/proj/.git/hooks"}};
  EXPECT_EQ(flat(out), want);
}

TEST(OrderMounts, ComponentOrderNotStringOrder) {
  // "/a-b" sorts between "/a" and "/a/b" as a string; by components it must
  // not separate "/a" from its child.
  auto out = order_mounts(
      {{MountKind::ReadWrite, "/a/b"}, {MountKind::ReadOnly, "/a-b"}, {MountKind::ReadOnly, "/a"}});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].path, "/a");
  EXPECT_EQ(out[1].path, "/a/b");
}

TEST(OrderMounts, StrongestRestrictionWinsAtOnePath) {
  auto out = order_mounts({{MountKind::ReadOnly, "/home/u"},
                           {MountKind::ReadOnly, "/home/u/.ssh"},
                           {MountKind::HideDir, "/home/u/.ssh"}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].kind, MountKind::HideDir);
}

TEST(OrderMounts, RedundantReadOnlyInsideReadOnlyIsDropped) {
  auto out = order_mounts({{MountKind::ReadOnly, "/usr"}, {MountKind::ReadOnly, "/usr/lib"}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, "/usr");
}

TEST(OrderMounts, ReadAllowedInsideHiddenTreeIsKept) {
  auto out = order_mounts({{MountKind::ReadOnly, "/home/u"},
                           {MountKind::HideDir, "/home/u/.config/gh"},
                           {MountKind::ReadOnly, "/home/u/.config/gh/config.yml"}});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].kind, MountKind::ReadOnly);
}

TEST(OrderMounts, WriteInsideHiddenOrProtectedTreeIsDropped) {
  auto out = order_mounts({{MountKind::ReadWrite, "/w"},
                           {MountKind::HideDir, "/w/secret"},
                           {MountKind::ReadWrite, "/w/secret/x"},
                           {MountKind::Protected, "/w/.vscode"},
                           {MountKind::ReadWrite, "/w/.vscode/y"}});
  for (const auto& e : out) {
    EXPECT_NE(e.path, "/w/secret/x");
    EXPECT_NE(e.path, "/w/.vscode/y");
  }
}

TEST(OrderMounts, ProtectingWhatIsNotWritableIsANoOp) {
  auto out = order_mounts({{MountKind::ReadOnly, "/etc"}, {MountKind::Protected, "/etc/x"}});
  ASSERT_EQ(out.size(), 1u);
}

TEST(Workspace, RefusesRootHomeAndSystemDirectories) {
  EXPECT_NE(unsafe_workspace_reason("/", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/home/u", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/home", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/etc", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/usr", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/usr/sbin", "/home/u"), "");  // /sbin, canonical
  EXPECT_NE(unsafe_workspace_reason("/etc/ssh", "/home/u"), "");
  EXPECT_NE(unsafe_workspace_reason("/tmp", "/home/u"), "");
  EXPECT_EQ(unsafe_workspace_reason("/usr/local/src/proj", "/home/u"), "");
  EXPECT_EQ(unsafe_workspace_reason("/etcetera", "/home/u"), "");
  EXPECT_EQ(unsafe_workspace_reason("/home/u/src/proj", "/home/u"), "");
  EXPECT_EQ(unsafe_workspace_reason("/tmp/x", "/home/u"), "");
}

TEST(GitConfig, InitAndCloneConfigIsSafe) {
  std::string key;
  EXPECT_FALSE(git_config_is_dangerous(
      "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
      "\tlogallrefupdates = true\n[remote \"origin\"]\n\turl = https://x/y.git\n"
      "\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n"
      "\tmerge = refs/heads/main\n",
      &key))
      << key;
}

TEST(GitConfig, KeysThatRunProgramsAreDangerous) {
  for (const char* text :
       {"[core]\n\thooksPath = /tmp/h\n", "[core]\nfsmonitor = /tmp/x\n",
        "[core]\n\tsshCommand = sh -c x\n", "[filter \"lfs\"]\n\tclean = sh x\n",
        "[diff \"x\"]\n\ttextconv = ./run\n", "[alias]\n\tst = !sh -c x\n",
        "[include]\n\tpath = ../evil\n", "[includeIf \"gitdir:/\"]\n\tpath = x\n",
        "[credential]\n\thelper = !x\n", "[core] hooksPath = /x\n", "[CORE]\n\tHOOKSPATH=/x\n",
        "[core.x]\n\ty = 1\n"}) {
    std::string key;
    EXPECT_TRUE(git_config_is_dangerous(text, &key)) << text;
    EXPECT_FALSE(key.empty());
  }
}

}  // namespace
}  // namespace cordon::sandbox
