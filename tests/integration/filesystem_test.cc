// The filesystem a contained command sees: the system readable and not
// writable, the workspace read-write, the home readable except the credential
// stores, a private /tmp and /dev/shm, a minimal /dev, a /proc of its own pid
// namespace, nosuid and nodev everywhere.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "harness.h"

namespace cordon::test {
namespace {

using Filesystem = SandboxTest;

std::string canonical(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? buf : p;
}

// Removes a file that a broken sandbox could have left outside the temp
// dirs, so that a failing run still changes nothing; true if it was there.
bool remove_if_leaked(const std::string& path) {
  if (!path_exists(path)) return false;
  unlink(path.c_str());
  rmdir(path.c_str());
  return true;
}

TEST_P(Filesystem, SystemDirectoriesAreReadableButNotWritable) {
  auto r = sh(std::string(kTryShell) +
              "t read-etc cat /etc/passwd\n"
              "t list-usr ls /usr/bin\n"
              "t run-usr /usr/bin/true\n"
              "t new-etc touch /etc/cordon-it-new\n"
              "t new-usr touch /usr/cordon-it-new\n"
              "t mkdir-usr-lib mkdir /usr/lib/cordon-it-new\n"
              "t new-root touch /cordon-it-new\n"
              "t append-passwd sh -c ': >> /etc/passwd'\n");
  bool leaked = false;
  for (const char* p :
       {"/etc/cordon-it-new", "/usr/cordon-it-new", "/usr/lib/cordon-it-new", "/cordon-it-new"})
    leaked |= remove_if_leaked(p);
  EXPECT_FALSE(leaked) << "a write reached the host's system directories" << r;
  auto t = tries(r.out);
  EXPECT_EQ(t["read-etc"], "ok") << r;
  EXPECT_EQ(t["list-usr"], "ok") << r;
  EXPECT_EQ(t["run-usr"], "ok") << r;
  EXPECT_EQ(t["new-etc"], "Read-only file system") << r;
  EXPECT_EQ(t["new-usr"], "Read-only file system") << r;
  EXPECT_EQ(t["mkdir-usr-lib"], "Read-only file system") << r;
  EXPECT_EQ(t["new-root"], "Read-only file system") << r;
  // Opening an existing file for writing checks permissions first: root owns
  // /etc/passwd and reaches the read-only mount; anyone else is refused before.
  EXPECT_EQ(t["append-passwd"], unprivileged() ? "Permission denied" : "Read-only file system")
      << r;
}

TEST_P(Filesystem, CommandStartsInTheWorkspaceAndItsWritesAppearOnTheHost) {
  auto r =
      sh("pwd -P; echo hello > created.txt && mkdir -p d/e && echo nested > d/e/f && echo done");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_lines(r.out), (std::vector<std::string>{canonical(ws.path()), "done"})) << r;
  EXPECT_EQ(ws.read("created.txt"), "hello\n");
  EXPECT_EQ(ws.read("d/e/f"), "nested\n");
  struct stat st {};
  ASSERT_EQ(stat(ws.file("created.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, expected_uid(unprivileged()))
      << "the file is not owned by the caller on the host";
}

TEST_P(Filesystem, WorkspaceReachedThroughASymlinkIsCanonicalised) {
  TempDir links(unprivileged());
  links.symlink(ws.path(), "ws-link");
  RunOptions o = opts();
  o.cwd = links.file("ws-link");
  auto r =
      run_in({"sh", "-c", "pwd -P; readlink /proc/self/cwd; touch via-link && echo done"}, {}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_lines(r.out),
            (std::vector<std::string>{canonical(ws.path()), canonical(ws.path()), "done"}))
      << r;
  EXPECT_TRUE(ws.exists("via-link"));

  auto flag = cordon(run_args({"--workspace", links.file("ws-link") + "/."},
                              {"sh", "-c", "pwd -P; touch via-flag"}),
                     opts());
  ASSERT_EQ(flag.exit_code, 0) << flag;
  EXPECT_EQ(split_lines(flag.out), std::vector<std::string>{canonical(ws.path())}) << flag;
  EXPECT_TRUE(ws.exists("via-flag"));
}

TEST_P(Filesystem, WorkspaceFlagChoosesTheWritableDirectory) {
  TempDir elsewhere(unprivileged());
  RunOptions o = opts();
  o.cwd = elsewhere.path();
  auto r = run_in({"sh", "-c",
                   std::string(kTryShell) + "pwd -P; t ws touch in-ws; t cwd touch " +
                       elsewhere.file("in-cwd")},
                  {"--workspace", ws.path()}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  EXPECT_EQ(lines[0], canonical(ws.path())) << r;
  auto t = tries(r.out);
  EXPECT_EQ(t["ws"], "ok") << r;
  EXPECT_NE(t["cwd"], "ok") << r;
  EXPECT_TRUE(ws.exists("in-ws"));
  EXPECT_FALSE(elsewhere.exists("in-cwd"))
      << "the caller's cwd was writable although --workspace named another";
}

TEST_P(Filesystem, HomeIsReadableButNotWritable) {
  home.write("notes.txt", "my notes\n");
  home.write(".config/tool/settings", "color=blue\n");
  auto r = sh(std::string(kTryShell) +
              "cat ~/notes.txt ~/.config/tool/settings\n"
              "t new touch ~/new-file\n"
              "t mkdir mkdir ~/new-dir\n"
              "t append sh -c ': >> ~/notes.txt'\n"
              "t config sh -c 'echo x > ~/.config/tool/settings'\n"
              "t rm rm -f ~/notes.txt\n");
  auto t = tries(r.out);
  EXPECT_EQ(r.out.rfind("my notes\ncolor=blue\n", 0), 0u) << r;
  EXPECT_EQ(t["new"], "Read-only file system") << r;
  EXPECT_EQ(t["mkdir"], "Read-only file system") << r;
  EXPECT_EQ(t["append"], "Read-only file system") << r;
  EXPECT_EQ(t["config"], "Read-only file system") << r;
  EXPECT_EQ(t["rm"], "Read-only file system") << r;
  EXPECT_FALSE(home.exists("new-file"));
  EXPECT_FALSE(home.exists("new-dir"));
  EXPECT_EQ(home.read("notes.txt"), "my notes\n");
  EXPECT_EQ(home.read(".config/tool/settings"), "color=blue\n");
}

TEST_P(Filesystem, DefaultCredentialStoresAppearEmpty) {
  const std::vector<std::string> dirs = {".ssh",  ".aws",           ".gnupg",
                                         ".kube", ".config/gcloud", ".azure"};
  const std::vector<std::string> files = {".netrc", ".docker/config.json", ".git-credentials"};
  home.write(".ssh/id_ed25519", "SECRET-ssh-key\n", 0600);
  home.write(".ssh/config", "Host x\n  IdentityFile SECRET-ssh-config\n");
  home.write(".aws/credentials", "[default]\naws_secret_access_key = SECRET-aws\n", 0600);
  home.write(".gnupg/private-keys-v1.d/k.key", "SECRET-gpg\n", 0600);
  home.write(".kube/config", "token: SECRET-kube\n");
  home.write(".config/gcloud/credentials.db", "SECRET-gcloud\n");
  home.write(".azure/accessTokens.json", "SECRET-azure\n");
  home.write(".netrc", "machine example.com password SECRET-netrc\n", 0600);
  home.write(".docker/config.json", "{\"auths\":{\"x\":{\"auth\":\"SECRET-docker\"}}}\n");
  home.write(".git-credentials", "https://user:SECRET-git@example.com\n", 0600);
  home.write(".gitconfig", "[user]\n\tname = Test\n");  // an ordinary file next to them

  std::string script = std::string(kTryShell);
  for (const auto& d : dirs)
    script += "echo \"" + d + "=[$(test -d ~/" + d + " && ls -A ~/" + d + " 2>&1)]\"\n";
  for (const auto& f : files)
    script += "echo \"" + f + "=[$(test -f ~/" + f + " && cat ~/" + f + " 2>&1)]\"\n";
  script +=
      "echo \"gitconfig=[$(cat ~/.gitconfig | tr -d '\\n\\t')]\"\n"
      "t ssh-key cat ~/.ssh/id_ed25519\n"
      "t ssh-write touch ~/.ssh/authorized_keys\n"
      "echo \"grep=[$(grep -rl SECRET ~ 2>/dev/null)]\"\n";
  auto r = sh(script);
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  for (const auto& d : dirs)
    EXPECT_NE(std::find(lines.begin(), lines.end(), d + "=[]"), lines.end())
        << "~/" << d << " is not an empty directory inside" << r;
  for (const auto& f : files)
    EXPECT_NE(std::find(lines.begin(), lines.end(), f + "=[]"), lines.end())
        << "~/" << f << " is not an empty file inside" << r;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "gitconfig=[[user]name = Test]"), lines.end())
      << r;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "grep=[]"), lines.end()) << r;
  auto t = tries(r.out);
  EXPECT_EQ(t["ssh-key"], "No such file or directory") << r;
  EXPECT_EQ(t["ssh-write"], "Read-only file system") << r;
  EXPECT_EQ(r.out.find("SECRET"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("SECRET"), std::string::npos) << r;
  // And the host's files are untouched.
  EXPECT_EQ(home.read(".ssh/id_ed25519"), "SECRET-ssh-key\n");
}

TEST_P(Filesystem, DenyReadHidesADirectoryAndAFile) {
  home.write("private/secret.txt", "SECRET-private\n");
  home.write("diary.txt", "SECRET-diary\n");
  auto r =
      sh("echo \"dir=[$(ls -A ~/private 2>&1)]\"; echo \"file=[$(cat ~/diary.txt 2>&1)]\"; "
         "echo \"hostname=[$(cat /etc/hostname 2>&1)]\"",
         {"--deny-read", home.file("private"), "--deny-read", home.file("diary.txt"), "--deny-read",
          "/etc/hostname"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_lines(r.out), (std::vector<std::string>{"dir=[]", "file=[]", "hostname=[]"}))
      << r;
  // Without the flags, the same reads see the contents (the test can fail).
  auto open = sh("ls -A ~/private; cat ~/diary.txt");
  EXPECT_EQ(open.out, "secret.txt\nSECRET-diary\n") << open;
}

TEST_P(Filesystem, AllowReadReopensAPathInsideADeniedTree) {
  home.write("private/secret.txt", "SECRET-private\n");
  home.write("private/public/readme", "visible\n");
  auto r = sh("cat ~/private/public/readme; echo \"secret=[$(cat ~/private/secret.txt 2>&1)]\"",
              {"--deny-read", home.file("private"), "--allow-read", home.file("private/public")});
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0], "visible") << r;
  EXPECT_EQ(lines[1].find("SECRET"), std::string::npos) << r;
  EXPECT_NE(lines[1], "secret=[]") << "secret.txt should be absent (an error), not present" << r;
}

TEST_P(Filesystem, AllowReadReopensAFileInsideADefaultCredentialStore) {
  home.write(".ssh/id_ed25519", "SECRET-ssh-key\n", 0600);
  home.write(".ssh/known_hosts", "example.com ssh-ed25519 AAAA\n");
  auto r = sh("cat ~/.ssh/known_hosts; echo \"key=[$(cat ~/.ssh/id_ed25519 2>/dev/null)]\"",
              {"--allow-read", home.file(".ssh/known_hosts")});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_lines(r.out),
            (std::vector<std::string>{"example.com ssh-ed25519 AAAA", "key=[]"}))
      << r;
}

TEST_P(Filesystem, AllowReadOutsideHomeMakesADirectoryVisibleReadOnly) {
  TempDir extra(unprivileged());
  extra.write("data.txt", "shared data\n");
  const std::string script = std::string(kTryShell) + "t read cat " + extra.file("data.txt") +
                             "\nt write touch " + extra.file("new") + "\n";
  auto hidden = sh(script);
  EXPECT_EQ(tries(hidden.out)["read"], "No such file or directory")
      << "a /tmp dir is visible without --allow-read" << hidden;
  auto r = sh("cat " + extra.file("data.txt") + "; " + script, {"--allow-read", extra.path()});
  EXPECT_EQ(r.out.rfind("shared data\n", 0), 0u) << r;
  auto t = tries(r.out);
  EXPECT_EQ(t["read"], "ok") << r;
  EXPECT_EQ(t["write"], "Read-only file system") << r;
  EXPECT_FALSE(extra.exists("new"));
}

TEST_P(Filesystem, AllowWriteMakesADirectoryWritable) {
  TempDir extra(unprivileged());
  auto r =
      sh("echo out > " + extra.file("written") + " && echo done", {"--allow-write", extra.path()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(extra.read("written"), "out\n") << r;
  // Without the flag it is not.
  auto denied = sh("echo out > " + extra.file("written2"));
  EXPECT_NE(denied.exit_code, 0) << denied;
  EXPECT_FALSE(extra.exists("written2"));
}

TEST_P(Filesystem, DenyWriteMakesAWorkspacePathReadOnly) {
  ws.write("locked/file", "orig\n");
  ws.write("free/file", "orig\n");
  auto r = sh(std::string(kTryShell) +
                  "t read cat locked/file\n"
                  "t append sh -c 'echo x >> locked/file'\n"
                  "t create touch locked/new\n"
                  "t rm rm -f locked/file\n"
                  "t free sh -c 'echo x >> free/file'\n",
              {"--deny-write", ws.file("locked")});
  auto t = tries(r.out);
  EXPECT_EQ(t["read"], "ok") << r;
  EXPECT_EQ(t["append"], "Read-only file system") << r;
  EXPECT_EQ(t["create"], "Read-only file system") << r;
  EXPECT_EQ(t["rm"], "Read-only file system") << r;
  EXPECT_EQ(t["free"], "ok") << r;
  EXPECT_EQ(ws.read("locked/file"), "orig\n");
  EXPECT_FALSE(ws.exists("locked/new"));
  EXPECT_EQ(ws.read("free/file"), "orig\nx\n");
}

TEST_P(Filesystem, TmpIsPrivateAndWritable) {
  TempDir host_tmp;  // something in the host's /tmp
  host_tmp.write("marker", "host\n");
  const std::string inside_name = "/tmp/cordon-it-inside-" + unique_sleep_seconds(0);
  auto r = sh("test -e " + host_tmp.path() + " && echo host-visible; echo data > " + inside_name +
              " && cat " + inside_name + "; ls -A /tmp");
  const bool leaked = remove_if_leaked(inside_name);
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  EXPECT_EQ(lines[0], "data") << r;
  EXPECT_FALSE(leaked) << "a file written in /tmp inside appeared in the host's /tmp";
  // /tmp holds what the sandbox wrote and, at most, the way to the
  // workspace and home (both temp dirs here); nothing else of the host's.
  std::set<std::string> allowed = {inside_name.substr(5), ws.path().substr(5),
                                   home.path().substr(5)};
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_TRUE(allowed.count(lines[i])) << "host /tmp entry visible inside: " << lines[i] << r;
}

TEST_P(Filesystem, DevShmIsPrivateAndWritable) {
  const std::string name = "/dev/shm/cordon-it-" + unique_sleep_seconds(0);
  auto r = sh("echo shm > " + name + " && cat " + name);
  const bool leaked = remove_if_leaked(name);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "shm\n") << r;
  EXPECT_FALSE(leaked) << "a file written in /dev/shm inside appeared in the host's /dev/shm";
}

TEST_P(Filesystem, DevIsMinimalWithItsOwnDevpts) {
  // A host pty exists while the sandbox runs, so that a shared devpts would show it.
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  auto host_pts = run({"ls", "/dev/pts"});
  auto r = sh(std::string(kTryShell) +
              "echo \"dev=[$(ls /dev | tr '\\n' ' ')]\"\n"
              "echo \"pts=[$(ls /dev/pts | tr '\\n' ' ')]\"\n"
              "echo \"blk=[$(find /dev -type b 2>&1)]\"\n"
              "t null sh -c 'echo x > /dev/null'\n"
              "t full sh -c 'head -c 1 /dev/zero > /dev/full'\n"
              "echo zero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')\n"
              "echo random=$(head -c 16 /dev/random | wc -c)\n"
              "echo urandom=$(head -c 16 /dev/urandom | wc -c)\n"
              "test -c /dev/tty && echo tty=char\n");
  close(master);
  ASSERT_NE(split_words(host_pts.out).size(), 1u)
      << "the host pty did not appear in the host's /dev/pts" << host_pts;
  auto lines = split_lines(r.out);
  auto has = [&](const std::string& l) {
    return std::find(lines.begin(), lines.end(), l) != lines.end();
  };
  std::set<std::string> dev;
  for (const auto& l : lines)
    if (l.rfind("dev=[", 0) == 0)
      for (const auto& w : split_words(l.substr(5, l.size() - 6))) dev.insert(w);
  for (const char* needed : {"null", "zero", "full", "random", "urandom", "tty", "pts"})
    EXPECT_TRUE(dev.count(needed)) << "/dev/" << needed << " missing" << r;
  const std::set<std::string> minimal = {
      "null", "zero", "full",  "random", "urandom", "tty",     "pts",    "ptmx",
      "shm",  "fd",   "stdin", "stdout", "stderr",  "console", "mqueue", "core"};
  for (const auto& d : dev)
    EXPECT_TRUE(minimal.count(d)) << "/dev/" << d << " is not part of a minimal /dev" << r;
  for (const auto& l : lines) {
    if (l.rfind("pts=[", 0) != 0) continue;
    for (const auto& w : split_words(l.substr(5, l.size() - 6)))
      EXPECT_EQ(w, "ptmx") << "a host pty is visible in /dev/pts inside" << r;
  }
  EXPECT_TRUE(has("blk=[]")) << r;
  auto t = tries(r.out);
  EXPECT_EQ(t["null"], "ok") << r;
  EXPECT_EQ(t["full"], "No space left on device") << r;
  EXPECT_TRUE(has("zero=00000000")) << r;
  EXPECT_TRUE(has("random=16")) << r;
  EXPECT_TRUE(has("urandom=16")) << r;
  EXPECT_TRUE(has("tty=char")) << r;
}

TEST_P(Filesystem, ProcShowsOnlyTheSandboxsProcesses) {
  auto r = sh("echo $$; ls /proc");
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  EXPECT_LE(atoi(lines[0].c_str()), 3) << "the command is not a low pid of its own namespace" << r;
  std::vector<int> pids;
  for (size_t i = 1; i < lines.size(); ++i) {
    char* end = nullptr;
    long v = strtol(lines[i].c_str(), &end, 10);
    if (end && *end == '\0') pids.push_back(static_cast<int>(v));
  }
  EXPECT_GE(pids.size(), 2u) << "not a working /proc" << r;
  EXPECT_LE(pids.size(), 4u) << "/proc lists more than the sandbox's few processes" << r;
  for (int p : pids) EXPECT_NE(p, getpid()) << "the test's own pid is visible inside" << r;
}

TEST_P(Filesystem, EveryMountIsNosuidAndNodevOutsideDev) {
  auto r = sh("cat /proc/self/mountinfo");
  ASSERT_EQ(r.exit_code, 0) << r;
  const std::set<std::string> device_mounts = {"/dev",         "/dev/pts",  "/dev/null",
                                               "/dev/zero",    "/dev/full", "/dev/random",
                                               "/dev/urandom", "/dev/tty",  "/dev/console"};
  int mounts = 0;
  std::string root_fstype;
  for (const auto& line : split_lines(r.out)) {
    auto f = split_words(line);
    if (f.size() < 7) continue;
    ++mounts;
    const std::string& point = f[4];
    std::set<std::string> o;
    std::stringstream ss(f[5]);
    for (std::string x; std::getline(ss, x, ',');) o.insert(x);
    EXPECT_TRUE(o.count("nosuid")) << point << " lacks nosuid: " << line;
    if (!device_mounts.count(point)) {
      EXPECT_TRUE(o.count("nodev")) << point << " lacks nodev: " << line;
    }
    auto dash = std::find(f.begin(), f.end(), "-");
    if (point == "/" && dash != f.end() && dash + 1 != f.end()) root_fstype = *(dash + 1);
  }
  EXPECT_GT(mounts, 3) << r;
  EXPECT_EQ(root_fstype, "tmpfs")
      << "the new root is not a fresh tmpfs (or the old root is still attached)" << r;
}

INSTANTIATE_TEST_SUITE_P(Users, Filesystem, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
