// Escape through the kernel surface (THREATS.md, "Process and kernel
// surface", plus the network and filesystem rows whose answer differs by
// mode), against both modes of `cordon run`: full (namespaces) and Landlock
// mode (forced with CORDON_ASSUME_NO_USERNS=1), as the caller and as the
// unprivileged test user.
//
// Every step runs once uncontained, where it works or reaches the kernel's
// own logic (an answer other than the filter's), and once contained, where it
// must give the exact errno or signal of docs/seccomp.md / docs/landlock.md.
// The attempts live in tests/escape/kprobe.c (and probe.c for kill, ptrace,
// process_vm_readv and reading files).
#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <tuple>

#include "escape/escape.h"

namespace cordon::test::escape {
namespace {

const std::string& kprobe_bin() {
  static const std::string path = [] {
    if (const char* env = std::getenv("CORDON_KPROBE")) return std::string(env);
#ifdef CORDON_KPROBE
    return std::string(CORDON_KPROBE);
#else
    return std::string();
#endif
  }();
  return path;
}

enum class Mode { Full, Landlock };

std::string kernel_name(const testing::TestParamInfo<std::tuple<Mode, As>>& info) {
  return std::string(std::get<0>(info.param) == Mode::Full ? "full" : "landlock") + "_" +
         (std::get<1>(info.param) == As::Caller ? "caller" : "unprivileged");
}

// A socket the test holds on the host for the duration of a test; closed at
// destruction.
struct HostSocket {
  int fd = -1;
  ~HostSocket() {
    if (fd >= 0) close(fd);
  }
};

class KernelEscape : public testing::TestWithParam<std::tuple<Mode, As>> {
 protected:
  KernelEscape() : scene(std::get<1>(GetParam()) == As::Unprivileged) {
    kprobe = scene.ws.file("kprobe");
    copy_executable(kprobe_bin(), kprobe, scene.unprivileged());
  }

  bool landlock() const { return std::get<0>(GetParam()) == Mode::Landlock; }
  bool unprivileged() const { return scene.unprivileged(); }

  RunOptions opts() const {
    RunOptions o = scene.opts();
    if (landlock()) o.extra_env.push_back("CORDON_ASSUME_NO_USERNS=1");
    return o;
  }
  // Uncontained: never with CORDON_ASSUME_NO_USERNS (it means nothing there).
  RunOptions bare_opts(bool as_root = false) const {
    RunOptions o = scene.opts();
    if (as_root) o.unprivileged = false;
    return o;
  }

  // kprobe STEPS inside `cordon run`, in this case's mode.
  RunResult inside_run(const std::vector<std::vector<std::string>>& steps,
                       const std::vector<std::string>& flags = {}) const {
    return cordon(run_args(flags, probe_argv(kprobe, steps)), opts());
  }
  std::string inside(const std::vector<std::vector<std::string>>& steps) const {
    return outcome(inside_run(steps));
  }
  // probe.c STEPS inside.
  std::string inside_probe(const std::vector<std::vector<std::string>>& steps) const {
    return outcome(cordon(run_args({}, probe_argv(scene.probe, steps)), opts()));
  }
  // kprobe STEPS uncontained, as this case's user (or as root).
  std::string bare(const std::vector<std::vector<std::string>>& steps, bool as_root = false) const {
    return outcome(run(probe_argv(kprobe, steps), bare_opts(as_root)));
  }
  // In a user and mount namespace of its own (unshare -Urm): where mounting
  // is allowed for any user without touching the host's mount table.
  std::string bare_in_userns(const std::vector<std::vector<std::string>>& steps) const {
    std::vector<std::string> argv{"unshare", "-Urm"};
    for (auto& a : probe_argv(kprobe, steps)) argv.push_back(a);
    return outcome(run(argv, bare_opts()));
  }

  // A host process of this case's user that the sandbox must not reach.
  std::unique_ptr<Process> host_sleeper() const {
    RunOptions o = bare_opts();
    o.timeout_seconds = 120;
    return std::make_unique<Process>(std::vector<std::string>{"sleep", unique_sleep_seconds(100)},
                                     o);
  }

  Scene scene;
  std::string kprobe;
};

// ---- syscalls refused by the filter --------------------------------------

struct Refusal {
  std::vector<std::string> step;
  const char* contained;  // the filter's answer (docs/seccomp.md)
};

// Refused whatever the arguments: io_uring, namespaces, the kernel exploit
// primitives, the admin surface. The uncontained leg runs as root (where
// these calls are allowed on this host) and must not give the filter's
// answer, so each line shows the filter is what refuses.
TEST_P(KernelEscape, ExploitPrimitivesGetTheFiltersErrno) {
  const std::vector<Refusal> table = {
      {{"io-uring"}, "ENOSYS"},  {{"unshare-user"}, "EPERM"}, {{"clone3"}, "ENOSYS"},
      {{"bpf"}, "EPERM"},        {{"perf"}, "EPERM"},         {{"userfaultfd"}, "EPERM"},
      {{"keyctl"}, "EPERM"},     {{"add-key"}, "EPERM"},      {{"open-by-handle", "/"}, "EPERM"},
      {{"kexec-load"}, "EPERM"}, {{"init-module"}, "EPERM"},  {{"pidfd-getfd", "self"}, "EPERM"},
  };
  std::vector<std::vector<std::string>> steps;
  std::string expected;
  for (auto& r : table) {
    steps.push_back(r.step);
    expected += (expected.empty() ? "" : " ") + std::string(r.contained);
  }
  if (is_root()) {
    const auto bare_words = split_words(bare(steps, /*as_root=*/true));
    ASSERT_EQ(bare_words.size(), table.size()) << bare(steps, true);
    for (size_t i = 0; i < table.size(); ++i)
      EXPECT_NE(bare_words[i], table[i].contained)
          << table[i].step[0] << ": uncontained (root) gives the filter's answer already";
  }
  EXPECT_EQ(inside(steps), expected);
}

// The mount family: uncontained in a user+mount namespace of its own (so it
// is allowed for either user, and the host's mount table is untouched);
// contained, the filter's EPERM. pivot_root with nonexistent paths is ENOENT
// when allowed (the capability check comes first).
TEST_P(KernelEscape, MountFamilyIsRefused) {
  scene.ws.mkdir("mnt");
  const std::string dir = scene.ws.file("mnt");
  const std::vector<std::vector<std::string>> steps = {
      {"mount", dir}, {"pivot-root"}, {"fsopen"}, {"open-tree", dir}};
  EXPECT_EQ(bare_in_userns(steps), "OK ENOENT OK OK");
  EXPECT_EQ(inside(steps), "EPERM EPERM EPERM EPERM");
}

// x32 (nr | 0x40000000) and i386 (int 0x80) entries: the process is killed
// by SIGSYS. Uncontained, x32 reaches the kernel (ENOSYS on this kernel, built
// without x32: an answer, not a kill) and int 0x80 runs getpid.
TEST_P(KernelEscape, ForeignSyscallEntriesAreKilledBySigsys) {
  const std::vector<std::vector<std::string>> steps = {{"x32"}, {"int80"}};
  const auto bare_words = split_words(bare(steps));
  ASSERT_EQ(bare_words.size(), 2u);
  EXPECT_NE(bare_words[0], "SIGNAL_31");
  EXPECT_EQ(bare_words[1], "OK") << "int 0x80 must work uncontained (IA32 emulation)";
  EXPECT_EQ(inside(steps), "SIGNAL_31 SIGNAL_31");

  // The command itself killed: cordon exits 128 + SIGSYS.
  auto bare_direct = run(probe_argv(kprobe, {{"x32-direct"}}), bare_opts());
  EXPECT_EQ(bare_direct.exit_code, 0) << bare_direct;
  auto r = inside_run({{"x32-direct"}});
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << r;
  EXPECT_EQ(r.out, "") << "the x32 call returned instead of killing";
}

// ---- other processes -----------------------------------------------------

// A host process this test started (same user as the run): full mode does
// not see it (ESRCH); Landlock mode sees it but signal scoping refuses
// (EPERM). ptrace and process_vm_readv are the filter's EPERM before any pid
// lookup in both modes; pidfd_getfd: full mode cannot even open the pidfd.
TEST_P(KernelEscape, HostProcessCannotBeSignalledTracedOrRobbed) {
  auto sleeper = host_sleeper();
  const std::string pid = std::to_string(sleeper->pid());
  ASSERT_TRUE(
      eventually([&] { return read_file("/proc/" + pid + "/cmdline").rfind("sleep", 0) == 0; },
                 std::chrono::seconds(5)));
  const std::vector<std::vector<std::string>> steps = {
      {"kill", pid}, {"ptrace-attach", pid}, {"vm-read", pid}};
  EXPECT_EQ(outcome(run(probe_argv(scene.probe, steps), bare_opts())), "OK OK OK");
  EXPECT_EQ(bare({{"pidfd-getfd", pid}}), "OK");

  if (landlock()) {
    EXPECT_EQ(inside_probe(steps), "EPERM EPERM EPERM");
    EXPECT_EQ(inside({{"pidfd-getfd", pid}}), "EPERM");
  } else {
    EXPECT_EQ(inside_probe(steps), "ESRCH EPERM EPERM");
    EXPECT_EQ(inside({{"pidfd-getfd", pid}}), "ESRCH");
  }
  EXPECT_TRUE(sleeper->running()) << "the host process was killed";
}

// A System V shared memory segment and a POSIX message queue of the user's
// on the host, made by the test (and removed by it, however the test ends),
// reached by id and by name. Full mode has an IPC namespace of its own,
// where neither exists (EINVAL, ENOENT). Landlock mode has none, and
// neither Landlock nor the pid space mediates IPC: the filter refuses the
// calls (EPERM). Before it did, the segment attached: another process's
// memory (a desktop's shared images, a database's buffers). (The queue was
// refused even then, by Landlock: EACCES, the kernel's mqueue mount being
// no rule's path.)
TEST_P(KernelEscape, HostIpcObjectsAreUnreachable) {
  struct HostIpc {
    int shm = -1;
    std::string mq;
    ~HostIpc() {
      if (shm >= 0) shmctl(shm, IPC_RMID, nullptr);
      if (!mq.empty()) mq_unlink(mq.c_str());
    }
  } ipc;
  ipc.shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(ipc.shm, 0) << errno_name(errno);
  const std::string mq_name = "/cordon-kprobe-" + unique_sleep_seconds();
  const mqd_t mq = mq_open(mq_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, nullptr);
  ASSERT_NE(mq, static_cast<mqd_t>(-1)) << errno_name(errno);
  ipc.mq = mq_name;
  if (unprivileged() && is_root()) {
    // The unprivileged user's own objects: theirs to reach, uncontained.
    shmid_ds ds{};
    ASSERT_EQ(shmctl(ipc.shm, IPC_STAT, &ds), 0);
    ds.shm_perm.uid = test_uid();
    ds.shm_perm.gid = test_gid();
    ASSERT_EQ(shmctl(ipc.shm, IPC_SET, &ds), 0) << errno_name(errno);
    ASSERT_EQ(fchown(mq, test_uid(), test_gid()), 0) << errno_name(errno);
  }
  mq_close(mq);
  const std::vector<std::vector<std::string>> steps = {{"shm-attach", std::to_string(ipc.shm)},
                                                       {"mq-open", mq_name}};
  EXPECT_EQ(bare(steps), "OK OK") << "uncontained, the user's own IPC objects must be reachable";
  EXPECT_EQ(inside(steps), landlock() ? "EPERM EPERM" : "EINVAL ENOENT");
}

// ---- sockets -------------------------------------------------------------

// Families no policy needs: refused by the filter in both modes. Route
// netlink stays allowed (getifaddrs). AF_BLUETOOTH is not available on this
// host uncontained either (EAFNOSUPPORT from the kernel).
TEST_P(KernelEscape, UnneededSocketFamiliesAreRefused) {
  const std::vector<std::vector<std::string>> steps = {
      {"packet"}, {"netlink-uevent"}, {"vsock"}, {"bluetooth"}, {"netlink-route"}};
  if (is_root()) {
    const auto words = split_words(bare(steps, /*as_root=*/true));
    ASSERT_EQ(words.size(), 5u);
    EXPECT_EQ(words[0], "OK") << "AF_PACKET uncontained (root)";
    EXPECT_EQ(words[1], "OK") << "NETLINK_KOBJECT_UEVENT uncontained";
    EXPECT_EQ(words[2], "OK") << "AF_VSOCK uncontained";
    EXPECT_EQ(words[4], "OK");
  }
  EXPECT_EQ(inside(steps), "EAFNOSUPPORT EAFNOSUPPORT EAFNOSUPPORT EAFNOSUPPORT OK");
}

// An abstract unix socket bound by the test on the host: full mode has its
// own network namespace (the name does not exist there: ECONNREFUSED);
// Landlock mode scopes abstract sockets (EPERM).
TEST_P(KernelEscape, AbstractSocketOutsideIsUnreachable) {
  HostSocket s;
  s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s.fd, 0);
  const std::string name = "cordon-kprobe-" + unique_sleep_seconds();
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path + 1, name.data(), name.size());
  ASSERT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&sa),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
            0);
  ASSERT_EQ(listen(s.fd, 8), 0);
  EXPECT_EQ(bare({{"unix-connect", "@" + name}}), "OK");
  const std::string got = inside({{"unix-socket"}, {"unix-connect", "@" + name}});
  if (!landlock()) {
    EXPECT_EQ(got, "OK ECONNREFUSED");
  } else {
    // Scoped (EPERM) where the policy leaves AF_UNIX allowed; where the
    // filter refuses AF_UNIX (a policy requiring network-isolation), the
    // socket cannot even be made.
    EXPECT_TRUE(got == "OK EPERM" || got == "EAFNOSUPPORT EAFNOSUPPORT") << got;
  }
}

// A TCP listener the test started on the host's loopback: full mode's own
// network namespace has nothing there (ECONNREFUSED); Landlock mode refuses
// TCP connect (EACCES). Nothing is ever accepted.
TEST_P(KernelEscape, LoopbackListenerOutsideIsUnreachable) {
  HostSocket s;
  s.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s.fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(s.fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  ASSERT_EQ(listen(s.fd, 64), 0);
  const std::string port = std::to_string(ntohs(sa.sin_port));
  EXPECT_EQ(bare({{"tcp-connect", port}}), "OK");
  // Drain what the uncontained leg queued, so that only the contained leg counts.
  for (pollfd p{s.fd, POLLIN, 0}; poll(&p, 1, 100) > 0; p.revents = 0) {
    int c = accept4(s.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) break;
    close(c);
  }
  EXPECT_EQ(inside({{"tcp-connect", port}}), landlock() ? "EACCES" : "ECONNREFUSED");
  pollfd p{s.fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0) << "a connection from the sandbox reached the host listener";
}

// UDP (and every non-TCP inet protocol): allowed in full mode (its own
// network namespace), refused by the filter in Landlock mode, where Landlock
// does not mediate it. A datagram to a host UDP socket never arrives.
TEST_P(KernelEscape, UdpToTheHostNeverArrives) {
  HostSocket s;
  s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s.fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(s.fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string port = std::to_string(ntohs(sa.sin_port));
  EXPECT_EQ(bare({{"udp-socket"}, {"udp-send", port}}), "OK OK");
  char buf[64];
  pollfd p{s.fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1) << "uncontained datagram did not arrive";
  ASSERT_GT(recv(s.fd, buf, sizeof buf, 0), 0);

  auto r = inside({{"udp-socket"}, {"udp-send", port}});
  if (landlock()) {
    EXPECT_EQ(r, "EPROTONOSUPPORT EPROTONOSUPPORT");
  } else {
    auto words = split_words(r);
    ASSERT_EQ(words.size(), 2u) << r;
    EXPECT_EQ(words[0], "OK") << "UDP is allowed in full mode's own network namespace";
  }
  p = {s.fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 300), 0) << "a datagram from the sandbox reached the host";
}

// A pathname unix socket the test listens on outside the workspace (a
// stand-in for docker.sock or an ssh-agent): full mode does not mount it;
// Landlock mode cannot mediate connect() on it, so AF_UNIX sockets are
// refused there by the filter (EAFNOSUPPORT).
TEST_P(KernelEscape, PathnameSocketOutsideIsUnreachable) {
  HostSocket s;
  s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s.fd, 0);
  const std::string path = scene.outside.file("agent.sock");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof sa.sun_path);
  memcpy(sa.sun_path, path.data(), path.size());
  ASSERT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(s.fd, 8), 0);
  if (unprivileged() && is_root()) {
    ASSERT_EQ(chown(path.c_str(), test_uid(), test_gid()), 0);
  }
  EXPECT_EQ(bare({{"unix-connect", path}}), "OK");
  EXPECT_EQ(inside({{"unix-socket"}, {"unix-connect", path}}),
            landlock() ? "EAFNOSUPPORT EAFNOSUPPORT" : "OK ENOENT");
}

// ---- privileges ----------------------------------------------------------

// no_new_privs is set and no capability is effective, as root too.
TEST_P(KernelEscape, NoNewPrivsAndNoCapabilities) {
  const std::string uid = std::to_string(expected_uid(unprivileged()));
  if (is_root() && !unprivileged()) {
    EXPECT_NE(bare({{"status"}}), "NNP=1,CAPEFF=0000000000000000,EUID=0")
        << "uncontained root must have capabilities";
  }
  EXPECT_EQ(inside({{"status"}}), "NNP=1,CAPEFF=0000000000000000,EUID=" + uid);
}

// A setuid copy of the probe in the workspace, owned by someone else than
// the runner (root for the unprivileged user, the test user for root):
// uncontained, the runner takes the owner's euid; contained, it gains nothing.
TEST_P(KernelEscape, SetuidBinaryGainsNothing) {
  if (!is_root()) GTEST_SKIP() << "needs root to chown a setuid helper to another user";
  const uid_t owner = unprivileged() ? 0 : test_uid();
  const std::string suid = scene.ws.file("kprobe-suid");
  copy_executable(kprobe_bin(), suid, false);
  ASSERT_EQ(chown(suid.c_str(), owner, 0), 0);
  ASSERT_EQ(chmod(suid.c_str(), 04755), 0);
  auto words = split_words(outcome(run({suid, "status"}, bare_opts())));
  ASSERT_EQ(words.size(), 1u);
  EXPECT_NE(words[0].find("EUID=" + std::to_string(owner)), std::string::npos)
      << "uncontained, the setuid helper must take its owner's euid: " << words[0];
  const std::string uid = std::to_string(expected_uid(unprivileged()));
  EXPECT_EQ(outcome(cordon(run_args({}, {suid, "status"}), opts())),
            "NNP=1,CAPEFF=0000000000000000,EUID=" + uid);
}

// ---- filesystem rows whose answer depends on the mode --------------------

// /etc is read-only: EROFS in full mode (a read-only mount), EACCES in
// Landlock mode. The attempt opens an existing file for writing and writes
// nothing; uncontained as root it opens. The unprivileged user is refused by
// the file's own mode first (EACCES, as uncontained), so only root's run
// tells the modes apart.
TEST_P(KernelEscape, EtcIsNotWritable) {
  if (is_root()) {
    EXPECT_EQ(bare({{"open-wronly", "/etc/hostname"}}, true), "OK");
  }
  const std::string expected = landlock() || unprivileged() ? "EACCES" : "EROFS";
  EXPECT_EQ(inside({{"open-wronly", "/etc/hostname"}}), expected);
}

// ~/.ssh/id_rsa (HOME is a temp dir holding a fake key): in full mode not
// readable (masked empty, or absent: this HOME is under the host's /tmp,
// which the sandbox does not see); EACCES in Landlock mode.
TEST_P(KernelEscape, SshKeyIsUnreadable) {
  scene.home.write(".ssh/id_rsa", "FAKE-PRIVATE-KEY for cordon tests\n", 0600);
  const std::string key = scene.home.file(".ssh/id_rsa");
  EXPECT_EQ(outcome(run(probe_argv(scene.probe, {{"head", key}}), bare_opts())),
            "FAKE-PRIVATE-KEY");
  const std::string got = inside_probe({{"head", key}});
  if (landlock()) {
    EXPECT_EQ(got, "EACCES");
  } else {
    EXPECT_TRUE(got == "EMPTY" || got == "ENOENT") << got;
  }
}

// ---- terminal ------------------------------------------------------------

// TIOCSTI (also with bits above 32 in the request, CVE-2019-10063) and
// TIOCLINUX on the command's terminal (a pty the test holds): EPERM from the
// filter in both modes. Uncontained, TIOCSTI works and TIOCLINUX reaches the
// tty layer (a pty is no virtual console: not EPERM).
TEST_P(KernelEscape, TerminalInjectionIsRefused) {
  const std::vector<std::vector<std::string>> steps = {
      {"tiocsti", "0", "X"}, {"tiocsti-high", "0", "X"}, {"tioclinux", "0"}};
  RunOptions bo = bare_opts();
  bo.stdin_tty = true;
  auto b = run(probe_argv(scene.probe, steps), bo);
  EXPECT_NE(b.out.find("OK OK "), std::string::npos) << b;
  EXPECT_EQ(b.out.find("EPERM"), std::string::npos) << b;
  RunOptions o = opts();
  o.stdin_tty = true;
  auto r = cordon(run_args({}, probe_argv(scene.probe, steps)), o);
  EXPECT_NE(r.out.find("EPERM EPERM EPERM"), std::string::npos) << r;
}

INSTANTIATE_TEST_SUITE_P(Modes, KernelEscape,
                         testing::Combine(testing::Values(Mode::Full, Mode::Landlock),
                                          testing::Values(As::Caller, As::Unprivileged)),
                         kernel_name);

}  // namespace
}  // namespace cordon::test::escape
