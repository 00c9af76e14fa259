// Escape through the filesystem (THREATS.md, "Filesystem"): a symlink in the
// workspace pointing outside (Codex CVE-2025-55345), a hard link in the
// workspace to a file outside (srt documents it), and the agent choosing its
// own writable root (Codex CVE-2025-59532).
//
// "Outside" is a temporary directory next to the workspace. The sandbox has a
// private /tmp, so it does not see it at all unless a flag shows it; most
// tests show it read-only (`--allow-read`), which is the harder case: the
// target exists inside, and only the mount's read-only flag stops the write.
#include <sys/stat.h>
#include <unistd.h>

#include "escape/escape.h"

namespace cordon::test::escape {
namespace {

constexpr const char* kOriginal = "original content\n";

class FilesystemEscape : public testing::TestWithParam<As> {
 protected:
  FilesystemEscape() : scene(GetParam() == As::Unprivileged) {}
  Scene scene;

  // A fresh scene for the uncontained leg, so that what it changed does not
  // leak into the contained one.
  Scene fresh() const { return Scene(scene.unprivileged()); }
};

// ws/link -> OUTSIDE/target.txt: writing through it changes the file outside
// when uncontained; inside, the target is read-only (or absent).
TEST_P(FilesystemEscape, SymlinkToOutsideFileCannotBeWrittenThrough) {
  const std::vector<std::vector<std::string>> steps = {{"open-write", "link"}, {"create", "link"}};
  {
    Scene bare = fresh();
    bare.outside.write("target.txt", kOriginal);
    bare.ws.symlink(bare.outside.file("target.txt"), "link");
    EXPECT_EQ(bare.bare(steps), "OK OK");
    EXPECT_NE(bare.outside.read("target.txt"), kOriginal)
        << "uncontained, the write must land outside";
  }
  scene.outside.write("target.txt", kOriginal);
  scene.ws.symlink(scene.outside.file("target.txt"), "link");
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside(steps, scene.show_outside()), "EROFS EROFS");
  EXPECT_EQ(scene.inside(steps), "ENOENT ENOENT") << "not shown, the target does not exist inside";
  EXPECT_EQ(snapshot(scene.outside.path()), before);
  EXPECT_EQ(scene.outside.read("target.txt"), kOriginal);
}

// ws/dirlink -> OUTSIDE: creating, renaming and removing through it.
TEST_P(FilesystemEscape, SymlinkToOutsideDirectoryCannotBeWrittenThrough) {
  const std::vector<std::vector<std::string>> steps = {
      {"create", "dirlink/new.txt"},
      {"mkdir", "dirlink/newdir"},
      {"rename", "dirlink/target.txt", "dirlink/moved.txt"},
      {"unlink", "dirlink/moved.txt"}};
  {
    Scene bare = fresh();
    bare.outside.write("target.txt", kOriginal);
    bare.ws.symlink(bare.outside.path(), "dirlink");
    EXPECT_EQ(bare.bare(steps), "OK OK OK OK");
    EXPECT_TRUE(bare.outside.exists("new.txt"));
  }
  scene.outside.write("target.txt", kOriginal);
  scene.ws.symlink(scene.outside.path(), "dirlink");
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside(steps, scene.show_outside()), "EROFS EROFS EROFS EROFS");
  EXPECT_EQ(snapshot(scene.outside.path()), before);
}

// A dangling link whose target would be created outside by O_CREAT.
TEST_P(FilesystemEscape, DanglingSymlinkCannotCreateItsTargetOutside) {
  {
    Scene bare = fresh();
    bare.ws.symlink(bare.outside.file("planted.sh"), "dangling");
    EXPECT_EQ(bare.bare({{"create", "dangling"}}), "OK");
    EXPECT_TRUE(bare.outside.exists("planted.sh"));
  }
  scene.ws.symlink(scene.outside.file("planted.sh"), "dangling");
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside({{"create", "dangling"}}, scene.show_outside()), "EROFS");
  EXPECT_EQ(snapshot(scene.outside.path()), before);
  EXPECT_FALSE(scene.outside.exists("planted.sh"));
}

// The command plants the link itself (the workspace is writable, so that
// works) and writes through it, absolutely and relatively ("../" climbs from
// the workspace to its parent, where the outside directory lies).
TEST_P(FilesystemEscape, SymlinkPlantedInsideDoesNotReachOutside) {
  auto steps_for = [](const Scene& s) {
    const std::string name = s.outside.path().substr(s.outside.path().rfind('/') + 1);
    return std::vector<std::vector<std::string>>{{"symlink", s.outside.file("target.txt"), "abs"},
                                                 {"open-write", "abs"},
                                                 {"symlink", "../" + name + "/target.txt", "rel"},
                                                 {"open-write", "rel"}};
  };
  {
    Scene bare = fresh();
    bare.outside.write("target.txt", kOriginal);
    EXPECT_EQ(bare.bare(steps_for(bare)), "OK OK OK OK");
  }
  scene.outside.write("target.txt", kOriginal);
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside(steps_for(scene), scene.show_outside()), "OK EROFS OK EROFS");
  EXPECT_EQ(snapshot(scene.outside.path()), before);
}

// A hard link made before the run: the same inode as a file outside, reached
// through the writable workspace mount. Read-only mounts elsewhere do not
// help here; cordon must notice the link count.
TEST_P(FilesystemEscape, HardLinkToOutsideFileCannotBeWrittenThrough) {
  const std::vector<std::vector<std::string>> steps = {{"open-write", "hardlink"},
                                                       {"create", "hardlink"}};
  {
    Scene bare = fresh();
    bare.outside.write("target.txt", kOriginal);
    ASSERT_EQ(link(bare.outside.file("target.txt").c_str(), bare.ws.file("hardlink").c_str()), 0)
        << errno_name(errno);
    EXPECT_EQ(bare.bare(steps), "OK OK");
    EXPECT_NE(bare.outside.read("target.txt"), kOriginal)
        << "uncontained, the write must land outside";
  }
  scene.outside.write("target.txt", kOriginal);
  ASSERT_EQ(link(scene.outside.file("target.txt").c_str(), scene.ws.file("hardlink").c_str()), 0)
      << errno_name(errno);
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside(steps), "EROFS EROFS") << "outside not shown";
  EXPECT_EQ(scene.inside(steps, scene.show_outside()), "EROFS EROFS") << "outside shown read-only";
  EXPECT_EQ(snapshot(scene.outside.path()), before);
  EXPECT_EQ(scene.outside.read("target.txt"), kOriginal);
}

// The same links spread over a wide tree (600 directories side by side, as in
// a node_modules) walked by a cordon that may open only 256 files. A walk
// that kept every pending directory open ran out of descriptors part of the
// way through and skipped the rest of the tree without a word, links and all.
TEST_P(FilesystemEscape, HardLinksInAWideTreeAreFoundWithFewOpenFiles) {
  constexpr int kDirs = 600;
  constexpr int kEvery = 30;  // a link in every 30th directory: 20 links
  auto plant = [](Scene& s) {
    s.outside.write("target.txt", kOriginal);
    std::vector<std::vector<std::string>> steps;
    for (int i = 0; i < kDirs; ++i) {
      const std::string dir = "wide/d" + std::to_string(i);
      s.ws.mkdir(dir);
      if (i % kEvery != 0) continue;
      EXPECT_EQ(link(s.outside.file("target.txt").c_str(), s.ws.file(dir + "/link").c_str()), 0)
          << errno_name(errno);
      steps.push_back({"open-write", dir + "/link"});
    }
    return steps;
  };
  auto expect_all = [](const std::string& what) {
    std::string all;
    for (int i = 0; i < kDirs / kEvery; ++i) all += (all.empty() ? "" : " ") + what;
    return all;
  };
  {
    Scene bare = fresh();
    EXPECT_EQ(bare.bare(plant(bare)), expect_all("OK"));
    EXPECT_NE(bare.outside.read("target.txt"), kOriginal);
  }
  const auto steps = plant(scene);
  const auto before = snapshot(scene.outside.path());
  std::vector<std::string> argv{"prlimit", "--nofile=256:256", "--", cordon_bin()};
  for (const auto& a : run_args({}, probe_argv(scene.probe, steps))) argv.push_back(a);
  const RunResult r = run(argv, scene.opts());
  EXPECT_EQ(outcome(r), expect_all("EROFS")) << r;
  EXPECT_EQ(snapshot(scene.outside.path()), before);
  EXPECT_EQ(scene.outside.read("target.txt"), kOriginal);
}

// So many hard links, with long names, that the plan (each becomes a
// read-only mount and a Landlock rule) is several times what one message of
// the setup socket holds: it reaches the child in pieces (supervisor.cc
// send_plan), and every link must still be read-only inside. A plan cut at
// a piece would fail the run, or leave the links past the cut writable.
TEST_P(FilesystemEscape, HardLinksPastOneSetupMessageAreAllReadOnly) {
  constexpr int kLinks = 1200;
  const std::string long_name(100, 'n');
  auto plant = [&](Scene& s) {
    s.outside.write("target.txt", kOriginal);
    std::vector<std::vector<std::string>> steps;
    for (int i = 0; i < kLinks; ++i) {
      const std::string rel = "many/" + long_name + std::to_string(i);
      if (i == 0) s.ws.mkdir("many");
      EXPECT_EQ(link(s.outside.file("target.txt").c_str(), s.ws.file(rel).c_str()), 0)
          << errno_name(errno);
      steps.push_back({"open-write", rel});
    }
    return steps;
  };
  auto expect_all = [](const std::string& what) {
    std::string all;
    for (int i = 0; i < kLinks; ++i) all += (all.empty() ? "" : " ") + what;
    return all;
  };
  {
    Scene bare = fresh();
    EXPECT_EQ(bare.bare(plant(bare)), expect_all("OK"));
    EXPECT_NE(bare.outside.read("target.txt"), kOriginal);
  }
  const auto steps = plant(scene);
  const RunResult r = cordon(run_args({}, probe_argv(scene.probe, steps)), scene.opts());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(outcome(r), expect_all("EROFS")) << r;
  EXPECT_EQ(scene.outside.read("target.txt"), kOriginal);
}

// More hard-linked files than cordon makes read-only one by one (4,096): the
// run is refused before the command starts, unless the tree that holds them
// is read-only as a whole (--deny-write), which the walk then skips. A pnpm
// node_modules, every file a link into pnpm's store, is such a tree.
TEST_P(FilesystemEscape, TooManyHardLinksRefuseTheRunUnlessTheirTreeIsReadOnly) {
  constexpr int kFiles = 4097;
  scene.ws.mkdir("node_modules");
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "f" + std::to_string(i);
    scene.outside.write("store/" + name, kOriginal);
    ASSERT_EQ(link(scene.outside.file("store/" + name).c_str(),
                   scene.ws.file("node_modules/" + name).c_str()),
              0)
        << errno_name(errno);
  }
  const std::vector<std::vector<std::string>> steps = {{"open-write", "node_modules/f0"}};
  const RunResult refused = scene.inside_run(steps);
  EXPECT_EQ(refused.exit_code, 125) << refused;
  EXPECT_NE(refused.err.find("more than 4096 hard-linked files"), std::string::npos) << refused;
  EXPECT_NE(refused.err.find("--deny-write"), std::string::npos) << refused;
  EXPECT_EQ(scene.inside(steps, {"--deny-write", "node_modules"}), "EROFS");
  EXPECT_EQ(scene.outside.read("store/f0"), kOriginal);
  // Uncontained, the same write lands in the store.
  EXPECT_EQ(scene.bare(steps), "OK");
  EXPECT_NE(scene.outside.read("store/f0"), kOriginal);
}

// A filesystem mounted inside the workspace (here a bind of the outside
// directory, as `mount --bind ~/.aws proj/aws` would make) travels into the
// sandbox with the workspace, and would be writable there under a name no
// path rule mentions. cordon refuses the run until the policy names the
// mount. Making the mount needs root: each leg runs in a private mount
// namespace (nothing changes on the host), dropping to the test user with
// setpriv for the unprivileged case.
TEST_P(FilesystemEscape, AMountInsideTheWorkspaceIsRefusedUntilNamed) {
  if (!is_root()) GTEST_SKIP() << "making a bind mount needs root; the suite runs as root in CI";
  auto with_mount = [](const Scene& s, std::vector<std::string> argv) {
    std::string script = "dst=\"$1\"; shift; mount --bind \"$0\" \"$dst\" && exec ";
    if (s.unprivileged())
      script += "setpriv --reuid=" + std::to_string(test_uid()) +
                " --regid=" + std::to_string(test_gid()) + " --clear-groups ";
    script += "\"$@\"";
    std::vector<std::string> full = {"unshare", "--mount", "--propagation",  "private",       "sh",
                                     "-c",      script,    s.outside.path(), s.ws.file("mnt")};
    full.insert(full.end(), argv.begin(), argv.end());
    RunOptions o = s.opts();
    o.unprivileged = false;  // root makes the mount, setpriv drops to the user
    return run(full, o);
  };
  auto contained = [&](const Scene& s, const std::vector<std::string>& flags,
                       const std::vector<std::vector<std::string>>& steps) {
    std::vector<std::string> argv{cordon_bin()};
    for (const auto& a : run_args(flags, probe_argv(s.probe, steps))) argv.push_back(a);
    return with_mount(s, argv);
  };
  const std::vector<std::vector<std::string>> steps = {{"open-write", "mnt/secret.txt"}};
  {
    Scene bare = fresh();
    bare.outside.write("secret.txt", kOriginal);
    bare.ws.mkdir("mnt");
    EXPECT_EQ(outcome(with_mount(bare, probe_argv(bare.probe, steps))), "OK");
    EXPECT_NE(bare.outside.read("secret.txt"), kOriginal) << "uncontained, the write lands outside";
  }
  scene.outside.write("secret.txt", kOriginal);
  scene.ws.mkdir("mnt");
  const auto before = snapshot(scene.outside.path());
  const RunResult refused = contained(scene, {}, steps);
  EXPECT_EQ(refused.exit_code, 125) << refused;
  EXPECT_NE(refused.err.find("is a mount point inside the writable tree"), std::string::npos)
      << refused;
  EXPECT_EQ(outcome(contained(scene, {"--deny-write", "mnt"}, steps)), "EROFS");
  EXPECT_EQ(outcome(contained(scene, {"--deny-read", "mnt"},
                              {{"open-write", "mnt/secret.txt"}, {"create", "mnt/secret.txt"}})),
            "ENOENT EROFS")
      << "hidden: an empty read-only tree";
  // Landlock mode (forced: in auto mode the full-mode plan, which comes
  // first, refuses already): refused the same way, with the remedies this
  // mode can honour. (Whether the mount is then out of
  // reach when hidden cannot be shown with this layout: Landlock mode grants
  // the host's /tmp, where the outside directory of these tests lies, and
  // Landlock's rules follow the inode into the bind.)
  const RunResult landlock = contained(scene, {"--mode", "landlock"}, steps);
  EXPECT_EQ(landlock.exit_code, 125) << landlock;
  EXPECT_NE(landlock.err.find("is a mount point inside the writable tree"), std::string::npos)
      << landlock;
  EXPECT_NE(landlock.err.find("(writable) or --deny-read"), std::string::npos)
      << "the Landlock-mode check, which cannot offer --deny-write" << landlock;
  EXPECT_EQ(snapshot(scene.outside.path()), before);
}

// Making the hard link from inside: the outside file is on a read-only mount,
// the workspace on another, and link(2) does not cross mounts.
TEST_P(FilesystemEscape, HardLinkToOutsideCannotBeCreatedInside) {
  auto steps_for = [](const Scene& s) {
    return std::vector<std::vector<std::string>>{{"link", s.outside.file("target.txt"), "hardlink"},
                                                 {"open-write", "hardlink"}};
  };
  {
    Scene bare = fresh();
    bare.outside.write("target.txt", kOriginal);
    EXPECT_EQ(bare.bare(steps_for(bare)), "OK OK");
  }
  scene.outside.write("target.txt", kOriginal);
  const auto before = snapshot(scene.outside.path());
  EXPECT_EQ(scene.inside(steps_for(scene), scene.show_outside()), "EXDEV ENOENT");
  EXPECT_EQ(snapshot(scene.outside.path()), before);
}

// The workspace is the one directory the command may write; it must not be
// the whole system or the home directory because someone (an agent writing
// its own command line) asked. Nothing runs: exit 125 and no output.
TEST_P(FilesystemEscape, RootOrSystemDirectoryAsWorkspaceIsRefused) {
  scene.outside.symlink("/", "rootlink");
  const std::vector<std::string> workspaces = {"/",
                                               "/usr",
                                               "/etc",
                                               "/tmp/..",
                                               scene.outside.file("rootlink"),
                                               scene.outside.file("rootlink") + "/"};
  for (const auto& w : workspaces) {
    auto r = scene.inside_run({{"cwd"}}, {"--workspace", w});
    EXPECT_EQ(r.exit_code, 125) << "--workspace " << w << r;
    EXPECT_EQ(r.out, "") << "--workspace " << w;
  }
}

TEST_P(FilesystemEscape, HomeAsWorkspaceIsRefusedUnlessForced) {
  const std::string home = scene.home.path();
  const std::string base = home.substr(home.rfind('/') + 1);
  const std::vector<std::vector<std::string>> steps = {{"create", home + "/planted"}};
  // The probe lies in the usual workspace, which is then not the workspace.
  const std::vector<std::string> show_probe = {"--allow-read", scene.ws.path()};

  for (const auto& w : {home, home + "/", home + "/../" + base, home + "/."}) {
    auto flags = show_probe;
    flags.insert(flags.end(), {"--workspace", w});
    auto r = scene.inside_run(steps, flags);
    EXPECT_EQ(r.exit_code, 125) << "--workspace " << w << r;
    EXPECT_FALSE(scene.home.exists("planted")) << "--workspace " << w;
  }
  // The default workspace is the caller's cwd: standing in $HOME is the same.
  RunOptions o = scene.opts();
  o.cwd = home;
  auto r = cordon(run_args(show_probe, probe_argv(scene.probe, steps)), o);
  EXPECT_EQ(r.exit_code, 125) << "cwd = $HOME" << r;
  EXPECT_FALSE(scene.home.exists("planted"));

  // What the refusal prevents: forced, the home directory is writable.
  auto forced_flags = show_probe;
  forced_flags.insert(forced_flags.end(), {"--workspace", home, "--force-workspace"});
  auto forced = scene.inside_run(steps, forced_flags);
  EXPECT_EQ(outcome(forced), "OK");
  EXPECT_TRUE(scene.home.exists("planted"));
}

INSTANTIATE_TEST_SUITE_P(Users, FilesystemEscape, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test::escape
