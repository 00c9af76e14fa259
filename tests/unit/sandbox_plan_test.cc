// The pure parts of the sandbox layer: mount ordering, workspace safety,
// and the git-config danger check used by the post-run sweep; and the
// workspace walk, on a tree in a temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

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

// /dev/shm, /proc and /sys are the sandbox's own: even --force-workspace
// cannot show a workspace there (it would be covered by the private tmpfs or
// the fresh procfs), so it is refused with a reason rather than failing while
// the mounts are made.
TEST(Workspace, ForcingCannotPutTheWorkspaceWhereTheSandboxHasItsOwn) {
  for (const char* dir : {"/dev/shm", "/proc", "/sys"}) {
    auto r = choose_workspace(dir, "/", "/home/u", true);
    ASSERT_FALSE(r.ok()) << dir;
    EXPECT_NE(r.error().what().find("the sandbox has its own"), std::string::npos)
        << r.error().what();
  }
  auto tmp = choose_workspace("/tmp", "/", "/home/u", true);
  EXPECT_TRUE(tmp.ok()) << "a shared root is still accepted when forced";
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

// A tree big enough for the walk to start its helper threads: every file is
// seen once, with its link count; the nested repository's config and hook
// are found; nothing is reported unreadable.
TEST(WalkWorkspace, SeesEveryFileOnceInAWideAndDeepTree) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/cordon-walk-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::set<std::string> want;
  auto put = [&](const std::string& rel) {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    std::ofstream(root + "/" + rel) << rel;
    want.insert(root + "/" + rel);
  };
  for (int i = 0; i < 300; ++i)
    for (int j = 0; j < 3; ++j) put("wide/d" + std::to_string(i) + "/f" + std::to_string(j));
  std::string deep = "deep";
  for (int i = 0; i < 40; ++i) deep += "/l" + std::to_string(i);
  put(deep + "/bottom");
  put("nested/.git/config");
  put("nested/.git/hooks/pre-commit");
  ASSERT_EQ(::link((root + "/wide/d7/f0").c_str(), (root + "/linked").c_str()), 0);
  want.insert(root + "/linked");

  std::map<std::string, int> seen;  // path -> times seen
  std::map<std::string, nlink_t> links;
  std::set<std::string> git_items;
  std::vector<std::string> errors;
  WalkVisitor v;
  v.on_file = [&](const std::string& path, const struct stat& st) {
    ++seen[path];
    links[path] = st.st_nlink;
  };
  v.on_git_item = [&](const GitItem& item) { git_items.insert(item.path); };
  v.on_error = [&](const std::string& path, int) { errors.push_back(path); };
  walk_workspace(root, v);

  std::set<std::string> got;
  for (const auto& [path, n] : seen) {
    got.insert(path);
    EXPECT_EQ(n, 1) << path << " seen " << n << " times";
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(links[root + "/linked"], 2U);
  EXPECT_EQ(links[root + "/wide/d7/f0"], 2U);
  EXPECT_EQ(links[root + "/wide/d8/f0"], 1U);
  EXPECT_TRUE(git_items.count(root + "/nested/.git/config")) << "nested repository's config";
  EXPECT_TRUE(git_items.count(root + "/nested/.git/hooks/pre-commit"))
      << "nested repository's hook";
  EXPECT_TRUE(errors.empty()) << errors.front();
  fs::remove_all(root);
}

// Below a no_files_below directory the walk reports no files, but still
// every git directory, for the sweep's baseline.
TEST(WalkWorkspace, NoFilesBelowStillFindsGitDirectories) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/cordon-walk-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  for (const char* rel :
       {"rw/f", "ro/f", "ro/deep/g", "ro/lib/.git/config", "ro/lib/.git/hooks/pre-commit"}) {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    std::ofstream(root + "/" + rel) << rel;
  }
  std::set<std::string> files, git_items;
  WalkVisitor v;
  v.on_file = [&](const std::string& path, const struct stat&) { files.insert(path); };
  v.on_git_item = [&](const GitItem& item) { git_items.insert(item.path); };
  v.no_files_below = [&](const std::string& path) { return path == root + "/ro"; };
  walk_workspace(root, v);
  EXPECT_EQ(files, std::set<std::string>{root + "/rw/f"});
  EXPECT_EQ(git_items, (std::set<std::string>{root + "/ro/lib/.git/config",
                                              root + "/ro/lib/.git/hooks/pre-commit"}));
  fs::remove_all(root);
}

}  // namespace
}  // namespace cordon::sandbox
