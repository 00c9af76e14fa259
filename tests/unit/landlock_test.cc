// Landlock on the real kernel: every probe runs twice in forked children,
// once without Landlock (where it must succeed, so the test can fail) and
// once inside a domain built by apply_landlock(), asserting the errno.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/unique_fd.h"
#include "child_probe.h"
#include "sandbox/landlock.h"

namespace cordon::sandbox {
namespace {

using testing_support::ChildOutcome;
using testing_support::ChildReport;
using testing_support::run_in_child;
namespace fs = std::filesystem;

constexpr uint64_t kRefer = 1ull << 13;
constexpr uint64_t kTruncate = 1ull << 14;
constexpr uint64_t kIoctlDev = 1ull << 15;

// The system a command needs to run (merged /usr on this machine; the
// /lib* and /bin entries are skipped where they do not exist).
LandlockRules system_rules() {
  LandlockRules rules;
  rules.read_paths = {"/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin"};
  return rules;
}

// In a child: no_new_privs, then the rules. Reports "apply" (0 or errno).
bool contain(const ChildReport& r, const LandlockRules& rules) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  auto applied = apply_landlock(rules);
  r.put("apply", applied.ok() ? 0 : (applied.error().err ? applied.error().err : -1));
  if (applied.ok()) r.put("abi", applied->abi);
  return applied.ok();
}

void skip_below(int abi) {
  if (landlock_abi() < abi)
    GTEST_SKIP() << "the kernel's Landlock ABI is " << landlock_abi() << ", this needs " << abi;
}

long open_err(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// ---- the table -----------------------------------------------------------

TEST(LandlockTable, VersionsAreCumulativeAndAddWhatTheKernelDocuments) {
  auto table = landlock_abi_table();
  ASSERT_EQ(table.size(), 7u);
  uint64_t fs = 0, net = 0, scopes = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    const LandlockAbiInfo& v = table[i];
    EXPECT_EQ(v.version, static_cast<int>(i + 1));
    EXPECT_EQ(v.fs_rights & fs, fs) << "ABI " << v.version << " lost a filesystem right";
    EXPECT_EQ(v.net_rights & net, net) << v.version;
    EXPECT_EQ(v.scopes & scopes, scopes) << v.version;
    EXPECT_GT(std::strlen(v.adds), 10u) << v.version;
    fs = v.fs_rights;
    net = v.net_rights;
    scopes = v.scopes;
  }
  EXPECT_EQ(table[0].fs_rights, (1ull << 13) - 1);  // EXECUTE .. MAKE_SYM
  EXPECT_EQ(table[1].fs_rights & ~table[0].fs_rights, kRefer);
  EXPECT_EQ(table[2].fs_rights & ~table[1].fs_rights, kTruncate);
  EXPECT_EQ(table[3].net_rights, 3u);  // BIND_TCP | CONNECT_TCP
  EXPECT_EQ(table[2].net_rights, 0u);
  EXPECT_EQ(table[4].fs_rights & ~table[3].fs_rights, kIoctlDev);
  EXPECT_EQ(table[5].scopes, 3u);  // ABSTRACT_UNIX_SOCKET | SIGNAL
  EXPECT_EQ(table[4].scopes, 0u);
}

// ---- the kernel ----------------------------------------------------------

class LandlockKernel : public testing::Test {
 protected:
  void SetUp() override {
    if (landlock_abi() == 0) GTEST_SKIP() << "Landlock is not enabled on this kernel";
    char tmpl[] = "/tmp/cordon-landlock-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    for (const char* d : {"work", "work2", "other", "secret", "ro"})
      fs::create_directory(base_ + "/" + d);
    for (const char* f : {"secret/s.txt", "ro/file.txt", "rofile.txt", "sibling.txt", "work/a.txt"})
      std::ofstream(base_ + "/" + f) << "data\n";
  }
  void TearDown() override {
    if (!base_.empty()) fs::remove_all(base_);
  }
  std::string p(const std::string& rel) const { return base_ + "/" + rel; }

  std::string base_;
};

TEST_F(LandlockKernel, ReportsTheAbi) {
  EXPECT_GE(landlock_abi(), 1);
  // This project's machines run a kernel with ABI 7; a lower number here
  // means the tests below skip what they cannot check.
  RecordProperty("landlock_abi", landlock_abi());
}

TEST_F(LandlockKernel, FilesystemRulesAllowOnlyWhatIsListed) {
  LandlockRules rules = system_rules();
  rules.read_paths.push_back(p("ro"));
  rules.read_paths.push_back(p("rofile.txt"));  // a regular file: file rights only
  rules.write_paths = {p("work"), p("work2")};
  auto probe = [this](const ChildReport& r) {
    r.put("write_work", open_err(p("work/new.txt"), O_CREAT | O_WRONLY));
    r.put("truncate_work", open_err(p("work/new.txt"), O_WRONLY | O_TRUNC));
    r.err("mkdir_work", mkdir(p("work/sub").c_str(), 0755));
    r.err("rename_in_work", rename(p("work/new.txt").c_str(), p("work/sub/new.txt").c_str()));
    r.err("rename_across_work", rename(p("work/sub/new.txt").c_str(), p("work2/new.txt").c_str()));
    r.err("mkfifo_work", mkfifo(p("work/fifo").c_str(), 0600));
    r.err("unlink_work", unlink(p("work/fifo").c_str()));
    r.put("write_other", open_err(p("other/x.txt"), O_CREAT | O_WRONLY));
    r.err("mkdir_other", mkdir(p("other/d").c_str(), 0755));
    r.err("link_out", link(p("work/a.txt").c_str(), p("other/a.txt").c_str()));
    r.put("read_secret", open_err(p("secret/s.txt"), O_RDONLY));
    r.put("list_secret", open_err(p("secret"), O_RDONLY | O_DIRECTORY));
    r.put("read_ro", open_err(p("ro/file.txt"), O_RDONLY));
    r.put("list_ro", open_err(p("ro"), O_RDONLY | O_DIRECTORY));
    r.put("write_ro", open_err(p("ro/file.txt"), O_WRONLY));
    r.err("unlink_ro", unlink(p("ro/file.txt").c_str()));
    r.put("read_rofile", open_err(p("rofile.txt"), O_RDONLY));
    r.put("read_sibling", open_err(p("sibling.txt"), O_RDONLY));
    r.put("read_etc", open_err("/etc/passwd", O_RDONLY));
    // A command runs: the read paths carry execute and the loader's reads.
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", static_cast<char*>(nullptr));
      _exit(errno);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.put("exec_true", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  };

  auto bare = run_in_child(probe);
  ASSERT_TRUE(bare.exited_ok());
  for (const char* what : {"write_other", "mkdir_other", "link_out", "read_secret", "list_secret",
                           "write_ro", "unlink_ro", "read_sibling", "rename_across_work"})
    EXPECT_EQ(bare.at(what), 0) << what << " must be possible without Landlock";
  // Put back what the bare run changed.
  fs::remove_all(p("work"));
  fs::remove_all(p("work2"));
  fs::remove_all(p("other"));
  for (const char* d : {"work", "work2", "other"}) fs::create_directory(p(d));
  std::ofstream(p("work/a.txt")) << "data\n";
  std::ofstream(p("ro/file.txt")) << "data\n";

  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  ASSERT_TRUE(in.exited_ok());
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("write_work"), 0);
  EXPECT_EQ(in.at("truncate_work"), 0);
  EXPECT_EQ(in.at("mkdir_work"), 0);
  EXPECT_EQ(in.at("mkfifo_work"), 0);
  EXPECT_EQ(in.at("unlink_work"), 0);
  EXPECT_EQ(in.at("read_ro"), 0);
  EXPECT_EQ(in.at("list_ro"), 0);
  EXPECT_EQ(in.at("read_rofile"), 0);
  EXPECT_EQ(in.at("read_etc"), 0);
  EXPECT_EQ(in.at("exec_true"), 0);
  if (landlock_abi() >= 2) {
    // REFER granted in the write trees: renames across directories work.
    EXPECT_EQ(in.at("rename_in_work"), 0);
    EXPECT_EQ(in.at("rename_across_work"), 0);
  }
  EXPECT_EQ(in.at("write_other"), EACCES);
  EXPECT_EQ(in.at("mkdir_other"), EACCES);
  EXPECT_EQ(in.at("link_out"), EACCES);
  EXPECT_EQ(in.at("read_secret"), EACCES);
  EXPECT_EQ(in.at("list_secret"), EACCES);
  EXPECT_EQ(in.at("write_ro"), EACCES);
  EXPECT_EQ(in.at("unlink_ro"), EACCES);
  EXPECT_EQ(in.at("read_sibling"), EACCES);
}

TEST_F(LandlockKernel, DeviceNodesCannotBeMadeEvenInWriteTrees) {
  LandlockRules rules = system_rules();
  rules.write_paths = {p("work")};
  auto probe = [this](const ChildReport& r) {
    r.err("mknod_null", mknod(p("work/null").c_str(), S_IFCHR | 0666, makedev(1, 3)));
  };
  auto bare = run_in_child(probe);
  ASSERT_TRUE(bare.exited_ok());
  if (bare.at("mknod_null") != 0) {
    // Unprivileged: the kernel refuses it anyway (EPERM); Landlock's answer
    // comes first and is EACCES.
    EXPECT_EQ(bare.at("mknod_null"), EPERM);
  }
  unlink(p("work/null").c_str());
  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("mknod_null"), EACCES);
}

TEST_F(LandlockKernel, DevicePathsAreWritableAndTakeIoctls) {
  skip_below(5);
  LandlockRules rules = system_rules();
  rules.device_paths = {"/dev/null"};
  rules.read_paths.push_back("/dev/zero");  // readable, but not a device path
  auto probe = [](const ChildReport& r) {
    r.put("null_trunc", open_err("/dev/null", O_WRONLY | O_TRUNC));  // `> /dev/null`
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    termios t{};
    r.err("null_ioctl", fd < 0 ? -1 : ioctl(fd, TCGETS, &t));  // ENOTTY: reached the driver
    if (fd >= 0) close(fd);
    r.put("zero_read", open_err("/dev/zero", O_RDONLY));
    r.put("zero_write", open_err("/dev/zero", O_WRONLY));
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    r.err("zero_ioctl", fd < 0 ? -1 : ioctl(fd, TCGETS, &t));
    if (fd >= 0) close(fd);
    r.put("full_read", open_err("/dev/full", O_RDONLY));
  };
  auto bare = run_in_child(probe);
  ASSERT_TRUE(bare.exited_ok());
  EXPECT_EQ(bare.at("zero_write"), 0);
  EXPECT_EQ(bare.at("zero_ioctl"), ENOTTY);
  EXPECT_EQ(bare.at("full_read"), 0);
  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("null_trunc"), 0);
  EXPECT_EQ(in.at("null_ioctl"), ENOTTY);
  EXPECT_EQ(in.at("zero_read"), 0);
  EXPECT_EQ(in.at("zero_write"), EACCES);
  EXPECT_EQ(in.at("zero_ioctl"), EACCES);  // IOCTL_DEV not granted on a read path
  EXPECT_EQ(in.at("full_read"), EACCES);
}

TEST_F(LandlockKernel, MissingPathsAreSkippedAndReported) {
  LandlockRules rules = system_rules();
  rules.write_paths = {p("work"), p("does-not-exist"), p("rofile.txt/below-a-file")};
  auto in = run_in_child([&](const ChildReport& r) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    auto applied = apply_landlock(rules);
    r.put("apply", applied.ok() ? 0 : -1);
    if (!applied.ok()) return;
    bool missing = false, below_file = false, work = false;
    for (const auto& s : applied->skipped) {
      missing |= s == p("does-not-exist");
      below_file |= s == p("rofile.txt/below-a-file");
      work |= s == p("work");
    }
    r.put("reported_missing", missing);
    r.put("reported_below_file", below_file);
    r.put("reported_existing", work);
    r.put("handled_fs_is_abi",
          applied->handled_fs == landlock_abi_table()[applied->abi - 1].fs_rights);
  });
  ASSERT_TRUE(in.exited_ok());
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("reported_missing"), 1);
  EXPECT_EQ(in.at("reported_below_file"), 1);
  EXPECT_EQ(in.at("reported_existing"), 0);
  EXPECT_EQ(in.at("handled_fs_is_abi"), 1);
}

TEST_F(LandlockKernel, RefusesAnAbiTheKernelLacksNamingIt) {
  LandlockRules rules = system_rules();
  rules.min_abi = landlock_abi() + 1;
  auto in = run_in_child([&](const ChildReport& r) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    auto applied = apply_landlock(rules);
    r.put("refused", !applied.ok());
    r.put("names_abi",
          !applied.ok() && applied.error().message.find("ABI " + std::to_string(rules.min_abi)) !=
                               std::string::npos);
    // Nothing was applied: a file outside the rules is still readable.
    r.put("still_free", open_err("/proc/self/status", O_RDONLY));
  });
  ASSERT_TRUE(in.exited_ok());
  EXPECT_EQ(in.at("refused"), 1);
  EXPECT_EQ(in.at("names_abi"), 1);
  EXPECT_EQ(in.at("still_free"), 0);
}

TEST_F(LandlockKernel, RequiresNoNewPrivs) {
  auto in = run_in_child([&](const ChildReport& r) {
    auto applied = apply_landlock(system_rules());
    r.put("refused", !applied.ok());
    r.put("names_nnp",
          !applied.ok() && applied.error().message.find("no_new_privs") != std::string::npos);
  });
  ASSERT_TRUE(in.exited_ok());
  EXPECT_EQ(in.at("refused"), 1);
  EXPECT_EQ(in.at("names_nnp"), 1);
}

// ---- network and scopes ----------------------------------------------------

UniqueFd tcp_listener(uint16_t& port) {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (!s || bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(s.get(), 8) != 0 || getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return UniqueFd();
  port = ntohs(a.sin_port);
  return s;
}

long tcp_connect(uint16_t port) {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
}

long tcp_bind_any_port() {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
}

long udp_send(uint16_t port) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sendto(s.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == 1 ? 0 : errno;
}

TEST_F(LandlockKernel, TcpConnectOnlyToListedPorts) {
  skip_below(4);
  uint16_t allowed_port = 0, other_port = 0;
  UniqueFd allowed = tcp_listener(allowed_port);
  UniqueFd other = tcp_listener(other_port);
  ASSERT_TRUE(allowed && other);
  LandlockRules rules = system_rules();
  rules.tcp_connect_ports = {allowed_port};
  auto probe = [&](const ChildReport& r) {
    r.put("connect_allowed", tcp_connect(allowed_port));
    r.put("connect_other", tcp_connect(other_port));
    r.put("bind", tcp_bind_any_port());
    // Landlock does not see UDP: this is why Landlock mode also sets
    // seccomp's allow_udp=false.
    r.put("udp", udp_send(other_port));
  };
  auto bare = run_in_child(probe);
  ASSERT_TRUE(bare.exited_ok());
  EXPECT_EQ(bare.at("connect_allowed"), 0);
  EXPECT_EQ(bare.at("connect_other"), 0);
  EXPECT_EQ(bare.at("bind"), 0);
  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("connect_allowed"), 0);
  EXPECT_EQ(in.at("connect_other"), EACCES);
  EXPECT_EQ(in.at("bind"), EACCES);
  EXPECT_EQ(in.at("udp"), 0);
}

TEST_F(LandlockKernel, AbstractUnixSocketsOutsideTheDomainAreUnreachable) {
  skip_below(6);
  std::string name = "cordon-landlock-test-" + std::to_string(getpid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(listener.get(), 8), 0);
  auto connect_abstract = [](const sockaddr_un& a, socklen_t l) -> long {
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return connect(s.get(), reinterpret_cast<const sockaddr*>(&a), l) == 0 ? 0 : errno;
  };
  auto probe = [&](const ChildReport& r) {
    r.put("connect_outside", connect_abstract(addr, len));
    // One made inside the domain stays reachable.
    sockaddr_un own = addr;
    own.sun_path[1] = 'C';
    UniqueFd l(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    bind(l.get(), reinterpret_cast<sockaddr*>(&own), len);
    listen(l.get(), 1);
    r.put("connect_inside", connect_abstract(own, len));
  };
  auto bare = run_in_child(probe);
  ASSERT_TRUE(bare.exited_ok());
  EXPECT_EQ(bare.at("connect_outside"), 0);
  LandlockRules rules = system_rules();
  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("connect_outside"), EPERM);
  EXPECT_EQ(in.at("connect_inside"), 0);
}

TEST_F(LandlockKernel, SignalsToProcessesOutsideTheDomainAreRefused) {
  skip_below(6);
  pid_t outside = fork();
  if (outside == 0) {
    for (;;) pause();
  }
  ASSERT_GT(outside, 0);
  auto probe = [outside](const ChildReport& r) {
    r.err("kill_outside", kill(outside, SIGCONT));
    pid_t mine = fork();
    if (mine == 0) {
      for (;;) pause();
    }
    r.err("kill_inside", kill(mine, SIGKILL));
    waitpid(mine, nullptr, 0);
  };
  auto bare = run_in_child(probe);
  LandlockRules rules = system_rules();
  auto in = run_in_child([&](const ChildReport& r) {
    if (contain(r, rules)) probe(r);
  });
  kill(outside, SIGKILL);
  waitpid(outside, nullptr, 0);
  ASSERT_TRUE(bare.exited_ok());
  EXPECT_EQ(bare.at("kill_outside"), 0);
  ASSERT_EQ(in.at("apply"), 0);
  EXPECT_EQ(in.at("kill_outside"), EPERM);
  EXPECT_EQ(in.at("kill_inside"), 0);
}

}  // namespace
}  // namespace cordon::sandbox
