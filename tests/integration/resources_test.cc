// Resource limits on the real kernel: a fork bomb stops at its pids limit, a
// memory hog is OOM-killed at its memory limit, a busy loop gets only its
// CPU share, the whole tree dies with kill_all(), the host is unaffected,
// and cordon's cgroups are gone afterwards. The Cgroup class is used
// directly in this process (`cordon run --memory/--pids` through the binary:
// limits_test.cc); `cordon doctor` is run as the real binary.
//
// Needs integration_tests to be linked with cordon_sandbox (for
// sandbox/cgroups.h); until then this file only says so.
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "harness.h"

#if __has_include("sandbox/cgroups.h")
#include "sandbox/cgroups.h"
#define CORDON_HAVE_SANDBOX 1
#endif

namespace cordon::test {
namespace {

// ---- cordon doctor (the binary) ---------------------------------------------------------

TEST(Doctor, ReportsFullModeOnThisHostAndExitsZero) {
  auto r = cordon({"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("mode: full"), std::string::npos) << r;
  for (const char* item : {"user namespaces", "Landlock", "seccomp", "cgroups", "nftables"})
    EXPECT_NE(r.out.find(item), std::string::npos) << item << r;
}

TEST(Doctor, JsonSaysTheSame) {
  auto r = cordon({"doctor", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"mode\": \"full\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"user_namespaces\": {\n      \"ok\": true"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"abi\": "), std::string::npos) << r;
}

TEST(Doctor, WithoutUserNamespacesItIsLandlockModeAndExitsOne) {
  RunOptions o;
  o.extra_env = {"CORDON_ASSUME_NO_USERNS=1"};
  auto r = cordon({"doctor"}, o);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.out.find("mode: landlock"), std::string::npos) << r;
  EXPECT_NE(r.out.find("missing  user namespaces"), std::string::npos) << r;
}

TEST(Doctor, UnprivilegedUserIsToldHowToGetResourceLimits) {
  RunOptions o;
  o.unprivileged = true;
  auto r = cordon({"doctor", "--json"}, o);
  EXPECT_EQ(r.exit_code, 0) << r;  // full mode: limits do not decide the mode
  auto at = r.out.find("\"cgroups\": {");
  ASSERT_NE(at, std::string::npos) << r;
  std::string cgroups = r.out.substr(at, 2000);
  // This host's v1 controllers are root's; its v2 holds none of them. On a
  // host that delegates v2 to the test user, there is nothing to fix.
  if (cgroups.find("\"ok\": false") != std::string::npos) {
    EXPECT_NE(cgroups.find("Delegate=yes"), std::string::npos) << r;
  }
}

#ifdef CORDON_HAVE_SANDBOX

using sandbox::Cgroup;
using sandbox::CgroupOptions;
using sandbox::CgroupVersion;
using sandbox::ResourceLimits;

constexpr uint64_t kMiB = 1 << 20;

// A forked child that waits until the test has placed it in its cgroup
// (as the supervisor does with the sandbox's child), then runs `body`,
// which may report through `report_fd`.
class Gated {
 public:
  explicit Gated(const std::function<int(int report_fd)>& body) {
    int go[2], report[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      close(go[1]);
      close(report[0]);
      char c;
      if (read(go[0], &c, 1) != 1) _exit(99);
      _exit(body(report[1]));
    }
    close(go[0]);
    close(report[1]);
    go_ = go[1];
    report_ = report[0];
  }
  ~Gated() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(go_);
    close(report_);
  }
  pid_t pid() const { return pid_; }
  void release() { (void)!write(go_, "g", 1); }
  // Reads exactly `size` bytes of report, within `timeout_ms`.
  bool read_report(void* out, size_t size, int timeout_ms = 30000) {
    size_t got = 0;
    while (got < size) {
      struct pollfd p = {report_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return false;
      ssize_t n = read(report_, static_cast<char*>(out) + got, size - got);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  }
  // Waits for it (up to `timeout_ms`), with its resource usage.
  int wait(struct rusage* usage = nullptr, int timeout_ms = 30000) {
    int status = -1;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      pid_t r = wait4(pid_, &status, WNOHANG, usage);
      if (r == pid_) {
        reaped_ = true;
        return status;
      }
      usleep(10000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1, report_ = -1;
  bool reaped_ = false;
};

// Creates the cgroup or fails the test with cordon's own explanation.
#define CREATE_OR_FAIL(var, limits, ...)                                 \
  auto var##_result = Cgroup::create(limits __VA_OPT__(, ) __VA_ARGS__); \
  ASSERT_TRUE(var##_result.ok()) << var##_result.error().what();         \
  Cgroup& var = var##_result.value()

// The run's directories are gone, and so is anything else this process
// made next to them (cordon-<our pid>-*, the supervisor leaf included).
void expect_removed(const std::vector<std::string>& paths) {
  const std::string mine = "cordon-" + std::to_string(getpid()) + "-";
  for (const auto& p : paths) {
    EXPECT_FALSE(path_exists(p)) << p << " was left behind";
    std::string parent = p.substr(0, p.rfind('/'));
    auto ls = run({"ls", "-A", parent});
    for (const auto& name : split_lines(ls.out))
      EXPECT_FALSE(name.starts_with(mine)) << parent << "/" << name << " was left behind";
  }
}

TEST(Resources, ForkBombStopsAtThePidsLimit) {
  ResourceLimits limits;
  limits.pids = 20;
  std::vector<std::string> paths;
  {
    CREATE_OR_FAIL(cg, limits);
    paths = cg.paths();
    Gated bomb([](int report) {
      struct {
        int forked = 0, err = 0;
      } result;
      for (int i = 0; i < 10000; ++i) {
        pid_t p = fork();
        if (p == 0) {
          pause();
          _exit(0);
        }
        if (p < 0) {
          result.err = errno;
          break;
        }
        ++result.forked;
      }
      (void)!write(report, &result, sizeof result);
      pause();  // keeps its children until the test kills the tree
      return 0;
    });
    ASSERT_TRUE(cg.add(bomb.pid()).ok());
    bomb.release();
    struct {
      int forked = 0, err = 0;
    } result;
    ASSERT_TRUE(bomb.read_report(&result, sizeof result)) << "the bomb never reported";

    // 20 tasks: the bomb itself and 19 children.
    EXPECT_EQ(result.err, EAGAIN) << std::strerror(result.err);
    EXPECT_EQ(result.forked, 19);
    EXPECT_EQ(cg.pids().size(), 20u);
    EXPECT_GT(cg.events().pids_max_hits, 0u);

    // The host is unaffected: outside the cgroup, forking works.
    pid_t p = fork();
    if (p == 0) _exit(0);
    ASSERT_GT(p, 0) << std::strerror(errno);
    waitpid(p, nullptr, 0);

    ASSERT_TRUE(cg.kill_all().ok());
    int status = bomb.wait();
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_TRUE(eventually([&] { return cg.pids().empty(); }, std::chrono::seconds(5)))
        << cg.pids().size() << " processes survived kill_all";
  }
  expect_removed(paths);
}

TEST(Resources, MemoryHogIsOomKilledAtTheMemoryLimit) {
  ResourceLimits limits;
  limits.memory_bytes = 64 * kMiB;
  std::vector<std::string> paths;
  {
    CREATE_OR_FAIL(cg, limits);
    paths = cg.paths();
    const size_t hog = 256 * kMiB;
    Gated child([hog](int report) {
      auto* mem = static_cast<volatile char*>(
          mmap(nullptr, hog, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      if (mem == MAP_FAILED) return 2;
      for (size_t i = 0; i < hog; i += 4096) mem[i] = 1;  // every page really used
      (void)!write(report, "survived", 8);
      return 0;
    });
    ASSERT_TRUE(cg.add(child.pid()).ok());
    child.release();
    int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status)) << "the hog was not killed; status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    auto ev = cg.events();
    EXPECT_GT(ev.oom_kills, 0u);
    EXPECT_TRUE(ev.memory_max_hit);

    // The host is unaffected: the same amount is fine outside the cgroup.
    auto* mem = static_cast<volatile char*>(
        mmap(nullptr, hog, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(mem, MAP_FAILED);
    for (size_t i = 0; i < hog; i += 4096) mem[i] = 1;
    munmap(const_cast<char*>(mem), hog);
  }
  expect_removed(paths);
}

double seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

TEST(Resources, BusyLoopGetsOnlyItsCpuShare) {
  ResourceLimits limits;
  limits.cpus = 0.2;
  std::vector<std::string> paths;
  {
    CREATE_OR_FAIL(cg, limits);
    paths = cg.paths();
    Gated child([](int) {
      timespec start{}, now{};
      clock_gettime(CLOCK_MONOTONIC, &start);
      do {
        clock_gettime(CLOCK_MONOTONIC, &now);
      } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < 1.0);
      return 0;
    });
    ASSERT_TRUE(cg.add(child.pid()).ok());
    child.release();
    struct rusage usage {};
    int status = child.wait(&usage);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    double cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    // 20% of one second, plus at most about one period of slack. Unlimited,
    // the loop would use the whole second (or what a busy host leaves it,
    // which is never more).
    EXPECT_LT(cpu, 0.35) << "cpu time " << cpu << " s in 1 s of wall-clock time";
    EXPECT_GT(cpu, 0.05) << "the loop hardly ran";
  }
  expect_removed(paths);
}

class KillAll : public testing::TestWithParam<CgroupVersion> {};

TEST_P(KillAll, TakesTheWholeTreeEvenProcessesThatLeftTheSession) {
  CgroupOptions options;
  options.only = GetParam();
  std::vector<std::string> paths;
  {
    CREATE_OR_FAIL(cg, ResourceLimits{}, options);
    EXPECT_EQ(cg.version(), GetParam());
    paths = cg.paths();
    Gated parent([](int report) {
      // Daemons: new sessions, reparented away from us. Neither a process
      // group kill nor a parent-death signal reaches them; the cgroup does.
      for (int i = 0; i < 5; ++i) {
        if (fork() == 0) {
          setsid();
          if (fork() == 0) {
            pause();
            _exit(0);
          }
          _exit(0);
        }
      }
      (void)!write(report, "k", 1);
      pause();
      return 0;
    });
    ASSERT_TRUE(cg.add(parent.pid()).ok());
    parent.release();
    char k;
    ASSERT_TRUE(parent.read_report(&k, 1));
    ASSERT_TRUE(eventually([&] { return cg.pids().size() == 6; }, std::chrono::seconds(5)))
        << cg.pids().size();
    auto inside = cg.pids();
    ASSERT_TRUE(cg.kill_all().ok());
    EXPECT_TRUE(eventually([&] { return cg.pids().empty(); }, std::chrono::seconds(5)));
    parent.wait();
    for (pid_t p : inside) {
      EXPECT_TRUE(eventually(
          [&] {
            return kill(p, 0) != 0 ||
                   read_file("/proc/" + std::to_string(p) + "/stat").find(") Z") !=
                       std::string::npos;
          },
          std::chrono::seconds(5)))
          << "pid " << p << " is still running";
    }
  }
  expect_removed(paths);
}

// v2 here is the unified hierarchy without controllers (enough to hold,
// kill and clone into); v1 is where this host's controllers are.
INSTANTIATE_TEST_SUITE_P(Hierarchies, KillAll,
                         testing::Values(CgroupVersion::V1, CgroupVersion::V2),
                         [](const testing::TestParamInfo<CgroupVersion>& p) {
                           return std::string(sandbox::cgroup_version_name(p.param));
                         });

TEST(Resources, CloneIntoCgroupStartsTheChildInsideV2) {
  CgroupOptions options;
  options.only = CgroupVersion::V2;
  std::vector<std::string> paths;
  {
    CREATE_OR_FAIL(cg, ResourceLimits{}, options);
    paths = cg.paths();
    ASSERT_GE(cg.dir_fd_v2(), 0);
    // What the supervisor does: the child exists inside its cgroup from its
    // first instruction, with no window before add().
    struct clone_args args {};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cg.dir_fd_v2());
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
      syscall(SYS_pause);
      syscall(SYS_exit_group, 0);
    }
    ASSERT_GT(pid, 0) << std::strerror(errno);
    std::string name = cg.paths()[0].substr(cg.paths()[0].rfind('/'));
    std::string self = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    EXPECT_NE(self.find("0::" + name + "\n"), std::string::npos) << "expected " << name << " in\n"
                                                                 << self;
    EXPECT_EQ(cg.pids(), std::vector<pid_t>{static_cast<pid_t>(pid)});
    ASSERT_TRUE(cg.kill_all().ok());
    int status = 0;
    waitpid(static_cast<pid_t>(pid), &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  }
  expect_removed(paths);
}

#else

TEST(Resources, NeedsTheSandboxLibrary) {
  GTEST_SKIP() << "integration_tests is not linked with cordon_sandbox: add "
                  "`target_link_libraries(integration_tests PRIVATE cordon_sandbox)` to "
                  "tests/CMakeLists.txt";
}

#endif

}  // namespace
}  // namespace cordon::test
