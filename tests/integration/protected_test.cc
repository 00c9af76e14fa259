// Protected paths inside the workspace (git hooks and config, agent and
// editor configuration, shell rc files, the names that would make the
// workspace a bare repository): a contained command can neither write,
// create, rename over nor delete them, nothing is left behind, and hooks
// planted in nested repositories created during the run are reported and
// neutralised when it ends.
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "harness.h"

namespace cordon::test {
namespace {

// The default deny_write list of DESIGN.md, relative to the workspace.
const std::vector<std::string> kProtectedFiles = {".git/config", ".gitmodules", ".mcp.json",
                                                  ".envrc",      ".npmrc",      ".bashrc",
                                                  ".profile",    ".zshrc",      "HEAD"};
const std::vector<std::string> kProtectedDirs = {
    ".git/hooks", ".cordon", ".claude", ".codex", ".gemini", ".vscode", ".idea", "objects", "refs"};

std::string dir_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? "." : rel.substr(0, slash);
}

class Protected : public SandboxTest {
 protected:
  // Git as the run's user on the host, with no global or system config.
  RunOptions git_opts(const std::string& cwd) const {
    RunOptions o = opts();
    o.cwd = cwd;
    o.extra_env.insert(o.extra_env.end(), {"GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t",
                                           "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
                                           "GIT_COMMITTER_EMAIL=t@example.com",
                                           "GIT_CEILING_DIRECTORIES=" + dir_of(cwd)});
    return o;
  }
  RunResult git(const std::vector<std::string>& args, const std::string& cwd) const {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, git_opts(cwd));
  }
  // Every path in the workspace with its type, sorted.
  std::string listing() const {
    return run({"sh", "-c", "find . -printf '%y %p\\n' | sort"}, git_opts(ws.path())).out;
  }
  // Lets the clock pass the ctime of everything written so far, the way a
  // user's files predate the run: cordon's post-run sweep looks at what
  // changed from (a second before) the start of the run.
  static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(2100)); }
  void make_repo() {
    auto r = git({"init", "-q", "-b", "main"}, ws.path());
    ASSERT_EQ(r.exit_code, 0) << r;
    ws.write("README", "readme\n");
    r = git({"add", "README"}, ws.path());
    ASSERT_EQ(r.exit_code, 0) << r;
    r = git({"commit", "-q", "-m", "init"}, ws.path());
    ASSERT_EQ(r.exit_code, 0) << r;
  }
};

TEST_P(Protected, ExistingProtectedPathsCannotBeWrittenRenamedOverOrDeleted) {
  make_repo();
  const std::string git_config = ws.read(".git/config");
  ASSERT_FALSE(git_config.empty());
  for (const auto& f : kProtectedFiles)
    if (f != ".git/config") ws.write(f, "original " + f + "\n");
  for (const auto& d : kProtectedDirs) ws.write(d + "/keep", "original " + d + "\n");
  const std::string before = listing();
  settle();

  std::string script = kTryShell;
  for (const auto& f : kProtectedFiles) {
    const std::string tmp = dir_of(f) + "/cordon-it-tmp";
    script += "t 'write " + f + "' sh -c 'echo x >> " + f + "'\n";
    script += "echo y > " + tmp + "; t 'rename-over " + f + "' mv -f " + tmp + " " + f +
              "; rm -f " + tmp + "\n";
    script += "t 'delete " + f + "' rm -f " + f + "\n";
    script += "t 'rename-away " + f + "' mv " + f + " " + f + ".moved\n";
  }
  for (const auto& d : kProtectedDirs) {
    const std::string tmp = dir_of(d) + "/cordon-it-tmpdir";
    script += "t 'create-in " + d + "' touch " + d + "/new\n";
    script += "t 'write-in " + d + "' sh -c 'echo x >> " + d + "/keep'\n";
    script += "mkdir " + tmp + "; t 'rename-over " + d + "' mv -fT " + tmp + " " + d + "; rmdir " +
              tmp + "\n";
    script += "t 'delete " + d + "' rmdir " + d + "\n";
    script += "t 'rename-away " + d + "' mv " + d + " " + d + ".moved\n";
  }
  script +=
      "printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit 2>/dev/null && echo "
      "hook-written\n";
  script += "t hookspath git config core.hooksPath /tmp/x\n";
  auto r = sh(script);
  auto t = tries(r.out);
  for (const auto& f : kProtectedFiles) {
    SCOPED_TRACE(f);
    EXPECT_EQ(t["write " + f], "Read-only file system") << r;
    EXPECT_EQ(t["rename-over " + f], "Device or resource busy") << r;
    EXPECT_EQ(t["delete " + f], "Device or resource busy") << r;
    EXPECT_EQ(t["rename-away " + f], "Device or resource busy") << r;
  }
  for (const auto& d : kProtectedDirs) {
    SCOPED_TRACE(d);
    EXPECT_EQ(t["create-in " + d], "Read-only file system") << r;
    EXPECT_EQ(t["write-in " + d], "Read-only file system") << r;
    EXPECT_EQ(t["rename-over " + d], "Device or resource busy") << r;
    EXPECT_EQ(t["delete " + d], "Device or resource busy") << r;
    EXPECT_EQ(t["rename-away " + d], "Device or resource busy") << r;
  }
  EXPECT_EQ(r.out.find("hook-written"), std::string::npos) << r;
  EXPECT_NE(t["hookspath"], "ok") << r;

  // On the host: every protected path has its original content, and the
  // workspace holds exactly what it held before.
  EXPECT_EQ(ws.read(".git/config"), git_config);
  for (const auto& f : kProtectedFiles)
    if (f != ".git/config") {
      EXPECT_EQ(ws.read(f), "original " + f + "\n") << f;
    }
  for (const auto& d : kProtectedDirs) EXPECT_EQ(ws.read(d + "/keep"), "original " + d + "\n") << d;
  EXPECT_EQ(listing(), before);
  EXPECT_EQ(git({"config", "--get", "core.hooksPath"}, ws.path()).out, "");
}

TEST_P(Protected, MissingProtectedNamesCannotBeCreatedAndLeaveNothingBehind) {
  ws.write("README", "plain directory, no repository\n");
  const std::string before = listing();
  std::string script = kTryShell;
  for (const auto& f : kProtectedFiles) {
    if (f == ".git/config")
      continue;  // .git itself is not protected; see the nested-repository tests
    script += "t 'create " + f + "' sh -c 'echo x > " + f + "'\n";
    script += "t 'mkdir " + f + "' mkdir " + f + "\n";
    script += "t 'symlink " + f + "' ln -s /tmp " + f + "\n";
    script += "echo y > cordon-it-tmp; t 'rename-onto " + f + "' mv cordon-it-tmp " + f +
              "; rm -f cordon-it-tmp\n";
  }
  for (const auto& d : kProtectedDirs) {
    if (d == ".git/hooks") continue;
    script += "t 'mkdir " + d + "' mkdir " + d + "\n";
    script += "t 'create-in " + d + "' sh -c 'mkdir -p " + d + " && echo x > " + d + "/file'\n";
    script += "t 'symlink " + d + "' ln -sT /tmp " + d + "\n";
    script += "mkdir cordon-it-tmpdir; t 'rename-onto " + d + "' mv -T cordon-it-tmpdir " + d +
              "; rmdir cordon-it-tmpdir\n";
  }
  // The workspace turned into a bare repository, the way git would do it.
  script += "t bare git init -q --bare .\n";
  auto r = sh(script);
  auto t = tries(r.out);
  for (const auto& f : kProtectedFiles) {
    if (f == ".git/config") continue;
    SCOPED_TRACE(f);
    if (f == "HEAD") continue;  // no placeholder: swept after the run (checked below)
    // Missing protected files are held by empty directory placeholders.
    // `ln -s` and `mv` then aim into that (read-only) directory.
    EXPECT_EQ(t["create " + f], "Is a directory") << r;
    EXPECT_EQ(t["mkdir " + f], "File exists") << r;
    EXPECT_EQ(t["symlink " + f], "Read-only file system") << r;
    EXPECT_EQ(t["rename-onto " + f], "Read-only file system") << r;
  }
  for (const auto& d : kProtectedDirs) {
    if (d == ".git/hooks") continue;
    SCOPED_TRACE(d);
    EXPECT_EQ(t["mkdir " + d], "File exists") << r;
    EXPECT_EQ(t["create-in " + d], "Read-only file system") << r;
    EXPECT_EQ(t["symlink " + d], "File exists") << r;
    EXPECT_EQ(t["rename-onto " + d], "Device or resource busy") << r;
  }

  // No placeholder, half-made bare repository or protected name survives.
  for (const auto& f : kProtectedFiles) EXPECT_FALSE(ws.exists(f)) << f << " left in the workspace";
  for (const auto& d : kProtectedDirs) EXPECT_FALSE(ws.exists(d)) << d << " left in the workspace";
  auto rev = git({"rev-parse", "--git-dir"}, ws.path());
  EXPECT_NE(rev.exit_code, 0) << "the host's git sees a repository in the workspace" << rev;
  // What `git init --bare` may have created besides the protected names
  // (config, description, info/, hooks/ at the top) is allowed to stay;
  // nothing else is.
  std::string after;
  for (const auto& line : split_lines(listing())) {
    const std::string p = line.substr(2);
    if (p == "./config" || p == "./description" || p.rfind("./info", 0) == 0 ||
        p.rfind("./hooks", 0) == 0 || p.rfind("./branches", 0) == 0)
      continue;
    // HEAD has no placeholder; the one the bare `git init` made is set
    // aside by the sweep, and reported.
    if (p.rfind("./HEAD.cordon-quarantined-", 0) == 0) {
      EXPECT_NE(r.err.find("HEAD: bare-repository marker created or changed during the run"),
                std::string::npos)
          << r;
      continue;
    }
    after += line + "\n";
  }
  EXPECT_EQ(after, before);
}

TEST_P(Protected, RunLeavesARepositoryWorkspaceUnchanged) {
  make_repo();
  ws.write("src/main.c", "int main(void) { return 0; }\n");
  const auto status_before = git({"status", "--porcelain=v1", "--ignored", "-uall"}, ws.path());
  ASSERT_EQ(status_before.exit_code, 0) << status_before;
  const std::string before = listing();
  auto r = sh("git status --porcelain=v1 --ignored -uall >/dev/null && echo done");
  EXPECT_EQ(r.exit_code, 0) << r;
  const auto status_after = git({"status", "--porcelain=v1", "--ignored", "-uall"}, ws.path());
  EXPECT_EQ(status_after.out, status_before.out) << status_after;
  EXPECT_EQ(listing(), before);
}

// An agent's everyday git inside the sandbox must not see, or commit, the
// placeholders that protect missing names: `git status` inside shows what
// it shows outside, `HEAD` names the commit (not an ambiguous file), and
// `git add -A && git commit` commits only the agent's own work.
TEST_P(Protected, GitInsideTheSandboxSeesNoPlaceholders) {
  make_repo();
  ws.write("src/main.c", "int main(void) { return 0; }\n");
  const auto status_outside = git({"status", "--porcelain=v1", "-uall"}, ws.path());
  ASSERT_EQ(status_outside.exit_code, 0) << status_outside;
  auto r =
      sh("git status --porcelain=v1 -uall; echo log=$(git log -1 --format=%s HEAD 2>&1); "
         "git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m agent && echo "
         "committed");
  EXPECT_EQ(r.out, status_outside.out + "log=init\ncommitted\n") << r;
  auto files = git({"show", "--name-only", "--format=", "HEAD"}, ws.path());
  EXPECT_EQ(files.out, "src/main.c\n")
      << "the agent's commit holds more than its own work" << files;
}

// The workspace's own .git/hooks is read-only for the whole run, so nothing
// in it can have been planted: a hook the user installed just before
// running cordon (`pre-commit install && cordon run ...`) stays as it is.
TEST_P(Protected, HookInstalledJustBeforeTheRunIsLeftAlone) {
  make_repo();
  ws.write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n", 0755);
  auto r = sh("true");
  EXPECT_EQ(r.exit_code, 0) << r;
  struct stat st {};
  ASSERT_EQ(lstat(ws.file(".git/hooks/pre-commit").c_str(), &st), 0)
      << "the user's own hook was moved away" << r;
  EXPECT_TRUE(S_ISREG(st.st_mode) && (st.st_mode & 0100))
      << "the user's own hook is no longer executable";
  EXPECT_EQ(r.err, "") << "cordon reported the user's own hook as planted" << r;
}

// A nested repository inside a tree the policy makes read-only (here
// vendor/, by --deny-write) could not change during the run, and its hooks
// and config are the user's: the walk before the run does not look at the
// files of such a tree, but it still records its git directories, so the
// sweep after the run leaves them alone instead of taking them for new.
TEST_P(Protected, RepositoryInsideAReadOnlyTreeIsLeftAlone) {
  make_repo();
  ws.mkdir("vendor/lib");
  auto init = git({"init", "-q", "."}, ws.file("vendor/lib"));
  ASSERT_EQ(init.exit_code, 0) << init;
  ws.write("vendor/lib/.git/hooks/pre-commit", "#!/bin/sh\nexit 0\n", 0755);
  const std::string config = ws.read("vendor/lib/.git/config");
  auto r = sh("true", {"--deny-write", "vendor"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "") << "cordon reported the user's own nested repository" << r;
  struct stat st {};
  ASSERT_EQ(lstat(ws.file("vendor/lib/.git/hooks/pre-commit").c_str(), &st), 0)
      << "the nested repository's hook was moved away" << r;
  EXPECT_TRUE(S_ISREG(st.st_mode) && (st.st_mode & 0100));
  EXPECT_EQ(ws.read("vendor/lib/.git/config"), config);
}

// The three ways a nested repository created during the run could run code
// in the user's next `git` outside: a hook, core.hooksPath, core.fsmonitor.
struct Plant {
  const char* name;
  const char* script;    // run in the workspace; $PWNED is the marker path
  const char* reported;  // what cordon's stderr must name
  const char* key;       // a git config key that must be unset outside afterwards, or nullptr
  bool proves_itself;    // the plant, uncontained, creates $PWNED on the next commit
};
const Plant kPlants[] = {
    {"hook",
     "git init -q sub && printf '#!/bin/sh\\necho pwned; touch %s\\n' \"$PWNED\" > "
     "sub/.git/hooks/pre-commit && "
     "chmod +x sub/.git/hooks/pre-commit && echo planted",
     "sub/.git/hooks", nullptr, true},
    {"hooks_path",
     "git init -q sub && mkdir -p hk && printf '#!/bin/sh\\necho pwned; touch %s\\n' \"$PWNED\" > "
     "hk/pre-commit && "
     "chmod +x hk/pre-commit && git -C sub config core.hooksPath \"$PWD/hk\" && echo planted",
     "sub/.git/config", "core.hooksPath", true},
    {"fsmonitor",
     "git init -q sub && git -C sub config core.fsmonitor \"touch $PWNED; false\" && echo planted",
     "sub/.git/config", "core.fsmonitor", true},
    // Hooks from the host's /tmp, which the test does not write to: only the
    // report and the neutralised setting are checked.
    {"hooks_path_tmp", "git init -q sub && git -C sub config core.hooksPath /tmp/x && echo planted",
     "sub/.git/config", "core.hooksPath", false},
};

class NestedRepository : public Protected {
 protected:
  // The user's next git commands in the nested repository, outside.
  void use_outside(const std::string& sub) {
    git({"status"}, sub);
    git({"commit", "-q", "--allow-empty", "-m", "after the run"}, sub);
  }
};

TEST_P(NestedRepository, HooksPlantedDuringTheRunAreReportedAndNeutralised) {
  for (const Plant& plant : kPlants) {
    SCOPED_TRACE(plant.name);
    // Uncontained, the plant works: the user's next commit runs it.
    if (plant.proves_itself) {
      TempDir control(unprivileged());
      RunOptions o = git_opts(control.path());
      const std::string marker = control.file("PWNED");
      o.extra_env.push_back("PWNED=" + marker);
      auto planted = run({"sh", "-c", plant.script}, o);
      ASSERT_EQ(planted.out, "planted\n") << planted;
      use_outside(control.file("sub"));
      ASSERT_TRUE(path_exists(marker))
          << "the uncontained plant did not run; the test proves nothing";
    }

    TempDir w(unprivileged());
    const std::string marker = w.file("PWNED");
    RunOptions o = git_opts(w.path());
    o.extra_env.push_back("PWNED=" + marker);
    auto r = cordon(run_args({}, {"sh", "-c", plant.script}), o);
    EXPECT_EQ(r.exit_code, 0) << r;
    if (r.out == "planted\n") {
      EXPECT_NE(r.err.find(plant.reported), std::string::npos) << "not reported" << r;
    }

    if (std::string(plant.name) == "hook") {
      struct stat st {};
      const std::string hook = w.file("sub/.git/hooks/pre-commit");
      const bool executable =
          lstat(hook.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
      EXPECT_FALSE(executable) << hook << " is still an executable hook";
    }
    if (plant.key && path_exists(w.file("sub/.git"))) {
      auto value = git({"config", "--get", plant.key}, w.file("sub"));
      EXPECT_EQ(value.out, "") << plant.key << " is still set in sub/.git/config" << value;
    }
    if (path_exists(w.file("sub/.git"))) use_outside(w.file("sub"));
    EXPECT_FALSE(path_exists(marker))
        << "the planted " << plant.name << " ran outside after the run" << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Users, Protected, testing::Values(As::Caller, As::Unprivileged), as_name);
INSTANTIATE_TEST_SUITE_P(Users, NestedRepository, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test
