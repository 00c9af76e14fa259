// rlimits, each applied in a forked child (they cannot be undone in the
// test process) and checked by what the child could and could not do.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "sandbox/rlimits.h"

namespace cordon::sandbox {
namespace {

// Exit codes the children use to say what went wrong.
constexpr int kApplyFailed = 90;
constexpr int kWrongOutcome = 91;

// Runs `body` in a forked child and returns its wait status.
int in_child(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

class Rlimits : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-rlimits-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    unlink((dir_ + "/big").c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(Rlimits, CoreDumpsAreOffByDefault) {
  int status = in_child([] {
    if (!apply_rlimits({}).ok()) return kApplyFailed;
    struct rlimit r {};
    getrlimit(RLIMIT_CORE, &r);
    return r.rlim_cur == 0 && r.rlim_max == 0 ? 0 : kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST_F(Rlimits, CrashWritesNoCore) {
  // SIGABRT dumps core by default; with the limit at 0 the kernel writes no
  // core file. (A core_pattern that pipes to a helper is the exception: the
  // kernel runs the helper regardless and leaves the limit to it, which
  // systemd-coredump and apport honour; see docs/resources.md.)
  std::ifstream pattern("/proc/sys/kernel/core_pattern");
  if (pattern.peek() == '|') GTEST_SKIP() << "core_pattern pipes to a helper, which decides itself";
  int status = in_child([] {
    if (!apply_rlimits({}).ok()) return kApplyFailed;
    abort();
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << describe(status);
  EXPECT_EQ(WTERMSIG(status), SIGABRT);
  EXPECT_FALSE(WCOREDUMP(status)) << "a core was dumped despite RLIMIT_CORE=0";
}

TEST_F(Rlimits, WritingBeyondFileSizeKillsWithSigxfsz) {
  std::string file = dir_ + "/big";
  int status = in_child([&] {
    RlimitSettings s;
    s.file_size = 4096;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char buf[1024] = {};
    // The write that reaches the limit is cut short; the next one signals.
    for (int i = 0; i < 16; ++i) (void)!write(fd, buf, sizeof buf);
    return kWrongOutcome;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << describe(status);
  EXPECT_EQ(WTERMSIG(status), SIGXFSZ);
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);
}

TEST_F(Rlimits, WritingBeyondFileSizeWithSigxfszIgnoredGivesEfbig) {
  std::string file = dir_ + "/big";
  int status = in_child([&] {
    signal(SIGXFSZ, SIG_IGN);
    RlimitSettings s;
    s.file_size = 4096;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char buf[8192] = {};
    if (write(fd, buf, sizeof buf) != 4096) return kWrongOutcome;  // short write up to the limit
    if (write(fd, buf, 1) != -1 || errno != EFBIG) return kWrongOutcome;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST_F(Rlimits, OpeningBeyondOpenFilesGivesEmfile) {
  int status = in_child([] {
    RlimitSettings s;
    s.open_files = 16;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    int last = -1;
    for (int i = 0; i < 64; ++i) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd < 0) return errno == EMFILE && last == 15 ? 0 : kWrongOutcome;
      last = fd;
    }
    return kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST_F(Rlimits, TheHardLimitIsSetTooSoTheCommandCannotRaiseIt) {
  int status = in_child([] {
    RlimitSettings s;
    s.open_files = 32;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    struct rlimit r {};
    getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur == 32 && r.rlim_max == 32 ? 0 : kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST_F(Rlimits, AboveTheCurrentHardLimitIsLoweredNotRefused) {
  int status = in_child([] {
    struct rlimit low {
      64, 64
    };
    setrlimit(RLIMIT_NOFILE, &low);
    RlimitSettings s;
    s.open_files = 100000;
    s.file_size = RLIM_INFINITY;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    struct rlimit r {};
    getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur == 64 && r.rlim_max == 64 ? 0 : kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST_F(Rlimits, UnsetFieldsAreLeftAsInherited) {
  int status = in_child([] {
    struct rlimit before {};
    getrlimit(RLIMIT_NOFILE, &before);
    RlimitSettings s;
    s.core.reset();
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    struct rlimit after {};
    getrlimit(RLIMIT_NOFILE, &after);
    return before.rlim_cur == after.rlim_cur && before.rlim_max == after.rlim_max ? 0
                                                                                  : kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

// An uid (and gid) of no one, for a test that counts the processes of its
// uid: one per test process, so that two such tests running side by side
// (ctest -j) do not count each other's (pid_max is at most 2^22).
uid_t scratch_uid() { return 0x7f000000u + static_cast<uid_t>(getpid()); }

bool become_scratch_user() {
  const uid_t id = scratch_uid();
  return setgroups(0, nullptr) == 0 && setgid(id) == 0 && setuid(id) == 0;
}

// RLIMIT_NPROC is checked at fork against the processes of the real uid.
// As a user with no other processes, a limit of 5 lets the child start 4
// more.
TEST_F(Rlimits, ProcessesLimitStopsForksWithEagain) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an otherwise unused uid";
  int status = in_child([] {
    if (!become_scratch_user()) return kApplyFailed;
    RlimitSettings s;
    s.processes = 5;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    std::vector<pid_t> kids;
    int err = 0;
    for (int i = 0; i < 20; ++i) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p < 0) {
        err = errno;
        break;
      }
      kids.push_back(p);
    }
    for (pid_t k : kids) kill(k, SIGKILL);
    for (pid_t k : kids) waitpid(k, nullptr, 0);
    // Other processes of this uid on the host would lower the count: the
    // caveat of RLIMIT_NPROC (docs/resources.md).
    return err == EAGAIN && kids.size() <= 4 && !kids.empty() ? 0 : kWrongOutcome;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

// Since Linux 5.15 the count is kept per user namespace: set inside a new
// one (as cordon's child does), only that namespace's processes count, not
// the same uid's processes elsewhere on the host.
TEST_F(Rlimits, ProcessesLimitInsideAUserNamespaceCountsOnlyItsOwnProcesses) {
  int status = in_child([] {
    // As root, become an uid of no one else (root is exempt, see below).
    if (geteuid() == 0 && !become_scratch_user()) return kApplyFailed;
    // Changing uid made us non-dumpable, which leaves /proc/self (and the id
    // maps there) owned by root.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    // Five processes of the same uid outside the namespace.
    std::vector<pid_t> outside;
    for (int i = 0; i < 5; ++i) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      outside.push_back(p);
    }
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    int inner = in_child([&] {
      if (unshare(CLONE_NEWUSER) != 0) return kApplyFailed;
      auto put = [](const char* file, const std::string& s) {
        int fd = open(file, O_WRONLY);
        bool ok = fd >= 0 && write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
        if (fd >= 0) close(fd);
        return ok;
      };
      if (!put("/proc/self/setgroups", "deny") ||
          !put("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
          !put("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1"))
        return kApplyFailed;
      RlimitSettings s;
      s.processes = 3;
      if (!apply_rlimits(s).ok()) return kApplyFailed;
      std::vector<pid_t> kids;
      for (int i = 0; i < 10; ++i) {
        pid_t p = fork();
        if (p == 0) {
          pause();
          _exit(0);
        }
        if (p < 0) break;
        kids.push_back(p);
      }
      for (pid_t k : kids) kill(k, SIGKILL);
      for (pid_t k : kids) waitpid(k, nullptr, 0);
      return static_cast<int>(kids.size());  // itself + 2 = 3
    });
    for (pid_t p : outside) kill(p, SIGKILL);
    for (pid_t p : outside) waitpid(p, nullptr, 0);
    return WIFEXITED(inner) ? WEXITSTATUS(inner) : kWrongOutcome;
  });
  ASSERT_TRUE(WIFEXITED(status)) << describe(status);
  EXPECT_EQ(WEXITSTATUS(status), 2)
      << "forks allowed under RLIMIT_NPROC=3 in a fresh user namespace";
}

// The documented caveat: the kernel never applies RLIMIT_NPROC to real
// uid 0, so as a fallback for pids it protects nothing when cordon runs as
// root (which has cgroups anyway).
TEST_F(Rlimits, ProcessesLimitDoesNotApplyToRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "shows a property of uid 0";
  int status = in_child([] {
    RlimitSettings s;
    s.processes = 1;
    if (!apply_rlimits(s).ok()) return kApplyFailed;
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p < 0) return kWrongOutcome;
    waitpid(p, nullptr, 0);
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
}

TEST(RlimitFallbacks, PidsBecomeNprocOnlyWithoutACgroup) {
  ResourceLimits limits;
  limits.pids = 64;
  EXPECT_EQ(rlimit_fallbacks({}, limits, CgroupVersion::None).processes, rlim_t{64});
  EXPECT_FALSE(rlimit_fallbacks({}, limits, CgroupVersion::V1).processes.has_value());
  EXPECT_FALSE(rlimit_fallbacks({}, limits, CgroupVersion::V2).processes.has_value());
  // An explicit setting is kept.
  RlimitSettings s;
  s.processes = 8;
  EXPECT_EQ(rlimit_fallbacks(s, limits, CgroupVersion::None).processes, rlim_t{8});
  // Memory has no rlimit stand-in.
  limits = {};
  limits.memory_bytes = 1 << 30;
  auto out = rlimit_fallbacks({}, limits, CgroupVersion::None);
  EXPECT_FALSE(out.processes.has_value());
  EXPECT_EQ(out.core, rlim_t{0});
}

}  // namespace
}  // namespace cordon::sandbox
