// The seccomp filter, checked two ways:
//  1. the exported program is run by a small classic-BPF interpreter over
//     struct seccomp_data, for every rule of the table, every argument rule,
//     calls that must stay allowed, and foreign architectures: removing or
//     loosening any rule fails a test here;
//  2. the filter is loaded into a forked child on the real kernel, which must
//     answer the real errnos (each probe also run uncontained first, where
//     the kernel answers differently).
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_probe.h"
#include "sandbox/seccomp.h"

namespace cordon::sandbox {
namespace {

using testing_support::ChildReport;
using testing_support::run_in_child;
using U64s = std::initializer_list<uint64_t>;

constexpr uint32_t kErrno = SECCOMP_RET_ERRNO;
constexpr uint32_t kKill = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kX32Bit = 0x40000000;

uint32_t refused(int err) { return kErrno | static_cast<uint32_t>(err); }

// ---- a classic-BPF interpreter, as the kernel runs seccomp programs ------

class BpfProgram {
 public:
  explicit BpfProgram(const std::vector<uint8_t>& bytes)
      : insns_(bytes.size() / sizeof(sock_filter)) {
    std::memcpy(insns_.data(), bytes.data(), insns_.size() * sizeof(sock_filter));
  }
  [[nodiscard]] size_t size() const { return insns_.size(); }

  // The verdict for one call; records a test failure on anything the kernel
  // would not accept (unaligned loads, jumps out of the program, ...).
  uint32_t run(const seccomp_data& d) const {
    uint32_t a = 0;
    uint32_t x = 0;
    uint32_t mem[BPF_MEMWORDS] = {};
    for (size_t pc = 0; pc < insns_.size(); ++pc) {
      const sock_filter& f = insns_[pc];
      const uint32_t k = f.k;
      switch (BPF_CLASS(f.code)) {
        case BPF_LD:
          switch (BPF_MODE(f.code)) {
            case BPF_ABS:
              if (BPF_SIZE(f.code) != BPF_W || k % 4 != 0 || k + 4 > sizeof d) return bad(pc);
              std::memcpy(&a, reinterpret_cast<const char*>(&d) + k, 4);
              break;
            case BPF_IMM: a = k; break;
            case BPF_MEM:
              if (k >= BPF_MEMWORDS) return bad(pc);
              a = mem[k];
              break;
            case BPF_LEN: a = sizeof d; break;
            default: return bad(pc);
          }
          break;
        case BPF_LDX:
          switch (BPF_MODE(f.code)) {
            case BPF_IMM: x = k; break;
            case BPF_MEM:
              if (k >= BPF_MEMWORDS) return bad(pc);
              x = mem[k];
              break;
            case BPF_LEN: x = sizeof d; break;
            default: return bad(pc);
          }
          break;
        case BPF_ST:
          if (k >= BPF_MEMWORDS) return bad(pc);
          mem[k] = a;
          break;
        case BPF_STX:
          if (k >= BPF_MEMWORDS) return bad(pc);
          mem[k] = x;
          break;
        case BPF_ALU: {
          const uint32_t v = BPF_SRC(f.code) == BPF_X ? x : k;
          switch (BPF_OP(f.code)) {
            case BPF_ADD: a += v; break;
            case BPF_SUB: a -= v; break;
            case BPF_MUL: a *= v; break;
            case BPF_DIV:
              if (v == 0) return 0;  // the kernel's answer: kill
              a /= v;
              break;
            case BPF_MOD:
              if (v == 0) return 0;
              a %= v;
              break;
            case BPF_OR: a |= v; break;
            case BPF_AND: a &= v; break;
            case BPF_XOR: a ^= v; break;
            case BPF_LSH: a = v < 32 ? a << v : 0; break;
            case BPF_RSH: a = v < 32 ? a >> v : 0; break;
            case BPF_NEG: a = 0u - a; break;
            default: return bad(pc);
          }
          break;
        }
        case BPF_JMP: {
          size_t offset;
          if (BPF_OP(f.code) == BPF_JA) {
            offset = k;
          } else {
            const uint32_t v = BPF_SRC(f.code) == BPF_X ? x : k;
            bool taken;
            switch (BPF_OP(f.code)) {
              case BPF_JEQ: taken = a == v; break;
              case BPF_JGT: taken = a > v; break;
              case BPF_JGE: taken = a >= v; break;
              case BPF_JSET: taken = (a & v) != 0; break;
              default: return bad(pc);
            }
            offset = taken ? f.jt : f.jf;
          }
          if (pc + offset + 1 >= insns_.size()) return bad(pc);
          pc += offset;
          break;
        }
        case BPF_RET:
          if (BPF_RVAL(f.code) == BPF_A) return a;
          if (BPF_RVAL(f.code) == BPF_K) return k;
          return bad(pc);
        case BPF_MISC:
          if (BPF_MISCOP(f.code) == BPF_TAX) {
            x = a;
          } else {
            a = x;
          }
          break;
        default: return bad(pc);
      }
    }
    ADD_FAILURE() << "the program ran off its end";
    return 0xDEAD0000;
  }

 private:
  static uint32_t bad(size_t pc) {
    ADD_FAILURE() << "instruction " << pc << " is not valid seccomp BPF";
    return 0xDEAD0000;
  }
  std::vector<sock_filter> insns_;
};

seccomp_data call(int nr, std::initializer_list<uint64_t> args = {},
                  uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  d.instruction_pointer = 0x7f0000001234;
  size_t i = 0;
  for (uint64_t v : args) d.args[i++] = v;
  return d;
}

// The program `cordon run` loads for these options: the one embedded at
// build time (SeccompPrebuilt below checks it is what libseccomp compiles).
BpfProgram compile(const SeccompOptions& options = {}) {
  auto bytes = seccomp_program(options);
  EXPECT_TRUE(bytes.ok()) << bytes.error().what();
  if (!bytes.ok()) return BpfProgram({});
  EXPECT_EQ(bytes->size() % sizeof(sock_filter), 0u);
  return BpfProgram(*bytes);
}

// Verdicts as hex, so a failure reads "0x50001 vs 0x7fff0000".
::testing::AssertionResult verdict_is(const BpfProgram& p, const seccomp_data& d, uint32_t want) {
  uint32_t got = p.run(d);
  if (got == want) return ::testing::AssertionSuccess();
  std::ostringstream s;
  s << std::hex << "nr " << std::dec << d.nr << std::hex << " arch 0x" << d.arch << " args 0x"
    << d.args[0] << ", 0x" << d.args[1] << ", 0x" << d.args[2] << ": verdict 0x" << got
    << ", expected 0x" << want;
  return ::testing::AssertionFailure() << s.str();
}

// ---- the table -----------------------------------------------------------

TEST(SeccompTable, EveryRuleNamesAKnownSyscallOnceWithAReason) {
  std::set<std::string> seen;
  std::vector<SyscallRule> all(refused_syscalls().begin(), refused_syscalls().end());
  all.insert(all.end(), refused_without_ipc().begin(), refused_without_ipc().end());
  for (const SyscallRule& r : all) {
    EXPECT_GE(syscall_number(r), 0) << r.name << " has no number: add fallback_nr";
    EXPECT_TRUE(seen.insert(r.name).second) << r.name << " is listed twice";
    EXPECT_GT(r.action_errno, 0) << r.name;
    EXPECT_GT(std::strlen(r.why), 10u) << r.name;
  }
  for (const ArgumentRule& r : argument_rules()) {
    EXPECT_GT(r.action_errno, 0) << r.name;
    EXPECT_GT(std::strlen(r.when), 5u) << r.name;
    EXPECT_GT(std::strlen(r.why), 10u) << r.name;
  }
}

TEST(SeccompTable, DocsListEveryRule) {
  // docs/seccomp.md is written by hand; this keeps it in step with the table.
  std::string here = __FILE__;
  std::string root = here.substr(0, here.rfind("/tests/unit/"));
  std::ifstream in(root + "/docs/seccomp.md");
  ASSERT_TRUE(in) << "cannot read " << root << "/docs/seccomp.md";
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& table : {refused_syscalls(), refused_without_ipc()})
    for (const SyscallRule& r : table)
      EXPECT_NE(text.str().find("`" + std::string(r.name) + "`"), std::string::npos)
          << "docs/seccomp.md does not list `" << r.name << "`";
  for (const ArgumentRule& r : argument_rules())
    EXPECT_NE(text.str().find("`" + std::string(r.name) + "`"), std::string::npos)
        << "docs/seccomp.md does not list `" << r.name << "`";
}

// ---- the exported program ------------------------------------------------

TEST(SeccompFilter, EveryRefusedSyscallGetsItsErrnoWhateverTheArguments) {
  BpfProgram p = compile();
  ASSERT_GT(p.size(), 0u);
  for (const SyscallRule& r : refused_syscalls()) {
    int nr = syscall_number(r);
    EXPECT_TRUE(verdict_is(p, call(nr), refused(r.action_errno))) << r.name;
    EXPECT_TRUE(
        verdict_is(p, call(nr, {~0ull, 0x123ull << 32, 7, 1, 2, 3}), refused(r.action_errno)))
        << r.name;
  }
}

TEST(SeccompFilter, KillModeKillsButKeepsNotHereAnswers) {
  BpfProgram p = compile({.kill_on_violation = true});
  for (const SyscallRule& r : refused_syscalls()) {
    uint32_t want = r.action_errno == ENOSYS ? refused(ENOSYS) : kKill;
    EXPECT_TRUE(verdict_is(p, call(syscall_number(r)), want)) << r.name;
  }
  // clone3 must stay ENOSYS or every threaded program dies at its first
  // pthread_create (glibc tries clone3 first).
  EXPECT_TRUE(verdict_is(p, call(SYS_clone3), refused(ENOSYS)));
  EXPECT_TRUE(verdict_is(p, call(SYS_ioctl, {0, TIOCSTI}), kKill));
  EXPECT_TRUE(verdict_is(p, call(SYS_unshare, {CLONE_NEWUSER}), kKill));
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_PACKET, SOCK_RAW, 0}), refused(EAFNOSUPPORT)));
  EXPECT_TRUE(verdict_is(p, call(SYS_read, {0, 0, 0}), kAllow));
}

TEST(SeccompFilter, OrdinaryCallsStayAllowed) {
  BpfProgram p = compile();
  constexpr uint64_t kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                    CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  const std::vector<std::pair<const char*, seccomp_data>> allowed = {
      {"read", call(SYS_read, {0, 0x1000, 10})},
      {"write", call(SYS_write, {1, 0x1000, 10})},
      {"openat", call(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0x1000, O_RDONLY})},
      {"close", call(SYS_close, {3})},
      {"mmap", call(SYS_mmap, {0, 4096, 3, 0x22, ~0ull, 0})},
      {"execve", call(SYS_execve, {0x1000, 0x2000, 0x3000})},
      {"execveat", call(SYS_execveat, {3, 0x1000, 0x2000, 0x3000, 0})},
      {"fork via clone", call(SYS_clone, {CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD})},
      {"thread via clone", call(SYS_clone, {kThreadFlags})},
      {"vfork via clone", call(SYS_clone, {CLONE_VM | CLONE_VFORK | SIGCHLD})},
      {"fork", call(SYS_fork)},
      {"vfork", call(SYS_vfork)},
      {"wait4", call(SYS_wait4, {~0ull, 0, 0, 0})},
      {"kill", call(SYS_kill, {1234, SIGTERM})},
      {"socket inet stream", call(SYS_socket, {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0})},
      {"socket inet tcp", call(SYS_socket, {AF_INET, SOCK_STREAM, IPPROTO_TCP})},
      {"socket inet6 stream", call(SYS_socket, {AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0})},
      {"socket inet udp", call(SYS_socket, {AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP})},
      {"socket inet ping", call(SYS_socket, {AF_INET, SOCK_DGRAM, IPPROTO_ICMP})},
      {"socket inet6 ping", call(SYS_socket, {AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6})},
      {"socket unix", call(SYS_socket, {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0})},
      {"socket netlink route",
       call(SYS_socket, {AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE})},
      {"socketpair unix", call(SYS_socketpair, {AF_UNIX, SOCK_STREAM, 0, 0x1000})},
      {"connect", call(SYS_connect, {3, 0x1000, 16})},
      {"ioctl TCGETS", call(SYS_ioctl, {0, TCGETS, 0x1000})},
      {"ioctl TIOCGWINSZ", call(SYS_ioctl, {1, TIOCGWINSZ, 0x1000})},
      {"ioctl FIONREAD", call(SYS_ioctl, {3, FIONREAD, 0x1000})},
      {"ioctl TIOCSTI+1", call(SYS_ioctl, {0, TIOCSTI + 1, 0})},
      {"personality query", call(SYS_personality, {0xffffffff})},
      {"personality linux", call(SYS_personality, {PER_LINUX})},
      {"prlimit64 self", call(SYS_prlimit64, {0, RLIMIT_NOFILE, 0, 0x1000})},
      {"mbind", call(SYS_mbind, {0x1000, 4096, 0, 0, 0, 0})},
      {"set_mempolicy", call(SYS_set_mempolicy, {0, 0, 0})},
      {"seccomp", call(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0, 0x1000})},
      {"prctl", call(SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1})},
      {"pidfd_open", call(SYS_pidfd_open, {1234, 0})},
      {"landlock_create_ruleset", call(SYS_landlock_create_ruleset, {0, 0, 1})},
      {"exit_group", call(SYS_exit_group, {0})},
      {"rt_sigreturn", call(SYS_rt_sigreturn)},
      {"futex", call(SYS_futex, {0x1000, 0, 1, 0})},
      {"getpid", call(SYS_getpid)},
      {"statx", call(SYS_statx, {static_cast<uint64_t>(AT_FDCWD), 0x1000, 0, 0x7ff, 0x2000})},
      {"an unknown number", call(1000)},
  };
  for (const auto& [what, d] : allowed) EXPECT_TRUE(verdict_is(p, d, kAllow)) << what;
}

TEST(SeccompFilter, ForeignArchitecturesAndX32AreKilled) {
  BpfProgram p = compile();
  // x32 calls arrive with AUDIT_ARCH_X86_64 and the X32 bit in the number;
  // they reach the same kernel functions under other numbers, which would
  // slip past every number-based rule.
  EXPECT_TRUE(verdict_is(p, call(SYS_read | kX32Bit), kKill));
  EXPECT_TRUE(verdict_is(p, call(SYS_getpid | kX32Bit), kKill));
  EXPECT_TRUE(verdict_is(p, call(272 | kX32Bit, {CLONE_NEWUSER}), kKill));  // unshare
  EXPECT_TRUE(verdict_is(p, call(520 | kX32Bit), kKill));                   // x32 execve
  EXPECT_TRUE(verdict_is(p, call(0x7fffffff), kKill));
  EXPECT_TRUE(verdict_is(p, call(0x3fffffff), kAllow));  // below the bit: an unknown number
  // i386 through int 0x80 from a 64-bit process: numbers mean other calls
  // there (20 is getpid, 1 is exit).
  EXPECT_TRUE(verdict_is(p, call(20, {}, AUDIT_ARCH_I386), kKill));
  EXPECT_TRUE(verdict_is(p, call(1, {0}, AUDIT_ARCH_I386), kKill));
  EXPECT_TRUE(verdict_is(p, call(SYS_read, {}, AUDIT_ARCH_AARCH64), kKill));
  // Even in errno mode the bad-architecture action kills (see seccomp.cc).
  BpfProgram kill = compile({.kill_on_violation = true});
  EXPECT_TRUE(verdict_is(kill, call(SYS_read | kX32Bit), kKill));
}

TEST(SeccompFilter, TiocstiAndTioclinuxAreRefusedOnTheLow32Bits) {
  BpfProgram p = compile();
  for (uint64_t request : U64s{uint64_t{TIOCSTI}, uint64_t{TIOCLINUX}}) {
    EXPECT_TRUE(verdict_is(p, call(SYS_ioctl, {0, request, 0x1000}), refused(EPERM)));
    // bubblewrap CVE-2019-10063: the kernel truncates the request to 32
    // bits, so high bits must not hide it.
    EXPECT_TRUE(verdict_is(p, call(SYS_ioctl, {0, (0x123ull << 32) | request}), refused(EPERM)));
    EXPECT_TRUE(
        verdict_is(p, call(SYS_ioctl, {0, (0xffffffffull << 32) | request}), refused(EPERM)));
  }
}

TEST(SeccompFilter, CloneWithANamespaceFlagIsRefused) {
  BpfProgram p = compile();
  for (uint64_t flag : U64s{uint64_t{CLONE_NEWNS}, uint64_t{CLONE_NEWCGROUP},
                            uint64_t{CLONE_NEWUTS}, uint64_t{CLONE_NEWIPC}, uint64_t{CLONE_NEWUSER},
                            uint64_t{CLONE_NEWPID}, uint64_t{CLONE_NEWNET}}) {
    EXPECT_TRUE(verdict_is(p, call(SYS_clone, {flag | SIGCHLD}), refused(EPERM))) << flag;
    EXPECT_TRUE(verdict_is(p, call(SYS_clone, {flag | CLONE_VM | CLONE_THREAD}), refused(EPERM)));
  }
  EXPECT_TRUE(verdict_is(p, call(SYS_clone, {CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | SIGCHLD}),
                         refused(EPERM)));
  EXPECT_TRUE(verdict_is(p, call(SYS_unshare, {0}), refused(EPERM)));
  EXPECT_TRUE(verdict_is(p, call(SYS_unshare, {CLONE_FILES}), refused(EPERM)));
  EXPECT_TRUE(verdict_is(p, call(SYS_clone3, {0x1000, 88}), refused(ENOSYS)));
}

TEST(SeccompFilter, OnlyUnixInetAndRouteNetlinkSocketsExist) {
  BpfProgram p = compile();
  const std::set<uint64_t> allowed = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
  for (uint64_t family = 0; family <= AF_MAX + 8; ++family) {
    uint32_t want = allowed.count(family) ? kAllow : refused(EAFNOSUPPORT);
    EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, SOCK_STREAM, 0}), want));
    EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, SOCK_DGRAM | SOCK_CLOEXEC, 0}), want));
  }
  for (uint64_t family :
       U64s{AF_PACKET,  AF_VSOCK, AF_BLUETOOTH, AF_KEY,       AF_ALG,    AF_XDP, AF_CAN,
            AF_TIPC,    AF_RDS,   AF_LLC,       AF_APPLETALK, AF_AX25,   AF_X25, AF_IPX,
            AF_QIPCRTR, AF_SMC,   AF_MCTP,      AF_PPPOX,     AF_ATMPVC, AF_NFC, AF_KCM}) {
    EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, SOCK_RAW, 0}), refused(EAFNOSUPPORT)))
        << family;
  }
  // Values the kernel would read as another int are refused, never let by.
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {(1ull << 32) | AF_PACKET, SOCK_RAW, 0}),
                         refused(EAFNOSUPPORT)));
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {~0ull, SOCK_RAW, 0}), refused(EAFNOSUPPORT)));
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {0xffffffffull, SOCK_RAW, 0}), refused(EAFNOSUPPORT)));
  // Netlink: route only.
  for (uint64_t proto :
       U64s{NETLINK_SOCK_DIAG, NETLINK_AUDIT, NETLINK_KOBJECT_UEVENT, NETLINK_NETFILTER,
            NETLINK_GENERIC, NETLINK_XFRM, NETLINK_SELINUX, NETLINK_CONNECTOR}) {
    EXPECT_TRUE(
        verdict_is(p, call(SYS_socket, {AF_NETLINK, SOCK_RAW, proto}), refused(EAFNOSUPPORT)))
        << proto;
  }
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE}), kAllow));
  // socketpair: unix only.
  EXPECT_TRUE(verdict_is(p, call(SYS_socketpair, {AF_UNIX, SOCK_DGRAM, 0, 0x1000}), kAllow));
  for (uint64_t family : U64s{AF_INET, AF_TIPC, AF_PACKET, AF_UNSPEC, AF_NETLINK})
    EXPECT_TRUE(verdict_is(p, call(SYS_socketpair, {family, SOCK_STREAM, 0, 0x1000}),
                           refused(EAFNOSUPPORT)))
        << family;
}

TEST(SeccompFilter, InetProtocolsThatAutoloadModulesAreRefused) {
  BpfProgram p = compile();
  for (uint64_t family : U64s{AF_INET, AF_INET6}) {
    for (uint64_t proto :
         U64s{IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_UDPLITE, uint64_t{115} /* L2TP */,
              uint64_t{IPPROTO_MPTCP}, uint64_t{256} /* SMC */, uint64_t{2}, uint64_t{7},
              uint64_t{1u << 31}}) {
      EXPECT_TRUE(
          verdict_is(p, call(SYS_socket, {family, SOCK_STREAM, proto}), refused(EPROTONOSUPPORT)))
          << family << "/" << proto;
    }
    EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, 6 /* SOCK_DCCP */, IPPROTO_DCCP}),
                           refused(EPROTONOSUPPORT)));
  }
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_INET6, SOCK_DGRAM, IPPROTO_ICMP}),
                         refused(EPROTONOSUPPORT)));
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6}),
                         refused(EPROTONOSUPPORT)));
}

TEST(SeccompFilter, WithoutUdpOnlyTcpLeavesTheInetFamilies) {
  BpfProgram p = compile({.allow_udp = false});
  for (uint64_t family : U64s{AF_INET, AF_INET6}) {
    EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, SOCK_STREAM, 0}), kAllow));
    EXPECT_TRUE(verdict_is(
        p, call(SYS_socket, {family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP}),
        kAllow));
    for (uint64_t type :
         U64s{SOCK_DGRAM, SOCK_DGRAM | SOCK_CLOEXEC, SOCK_DGRAM | SOCK_NONBLOCK, uint64_t{SOCK_RAW},
              uint64_t{SOCK_SEQPACKET}, uint64_t{SOCK_RDM}, uint64_t{6} /* DCCP */,
              uint64_t{SOCK_PACKET}, uint64_t{0}, uint64_t{15}}) {
      EXPECT_TRUE(verdict_is(p, call(SYS_socket, {family, type, 0}), refused(EPROTONOSUPPORT)))
          << family << " type " << type;
    }
    for (uint64_t proto : U64s{IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_SCTP, uint64_t{IPPROTO_MPTCP}})
      EXPECT_TRUE(
          verdict_is(p, call(SYS_socket, {family, SOCK_STREAM, proto}), refused(EPROTONOSUPPORT)))
          << family << " proto " << proto;
  }
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_UNIX, SOCK_DGRAM, 0}), kAllow));
}

TEST(SeccompFilter, UnixSocketsFollowTheOption) {
  BpfProgram p = compile({.allow_unix_pathname_sockets = false});
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_UNIX, SOCK_STREAM, 0}), refused(EAFNOSUPPORT)));
  EXPECT_TRUE(verdict_is(p, call(SYS_socket, {AF_INET, SOCK_STREAM, 0}), kAllow));
  EXPECT_TRUE(verdict_is(p, call(SYS_socketpair, {AF_UNIX, SOCK_STREAM, 0, 0x1000}), kAllow));
}

// Without an IPC namespace of the sandbox's own (Landlock mode), the calls
// that reach an IPC object by id, key or name are refused whatever their
// arguments; with one (full mode) they stay allowed, and so does shmdt.
TEST(SeccompFilter, IpcObjectsFollowTheOption) {
  BpfProgram with = compile();
  BpfProgram without = compile({.allow_ipc = false});
  BpfProgram without_kill = compile({.kill_on_violation = true, .allow_ipc = false});
  ASSERT_GE(refused_without_ipc().size(), 13u);
  for (const SyscallRule& r : refused_without_ipc()) {
    const int nr = syscall_number(r);
    EXPECT_TRUE(verdict_is(with, call(nr, {0, 4096, 01600}), kAllow)) << r.name;
    EXPECT_TRUE(verdict_is(without, call(nr), refused(r.action_errno))) << r.name;
    EXPECT_TRUE(
        verdict_is(without, call(nr, {~0ull, 0x123ull << 32, 7, 1, 2, 3}), refused(r.action_errno)))
        << r.name;
    EXPECT_TRUE(verdict_is(without_kill, call(nr), kKill)) << r.name;
  }
  EXPECT_TRUE(verdict_is(without, call(SYS_shmdt, {0x1000}), kAllow));
  for (int nr : {SYS_shmget, SYS_shmat, SYS_semop, SYS_msgrcv, SYS_mq_open})
    EXPECT_TRUE(verdict_is(without, call(nr), refused(EPERM))) << nr;
}

TEST(SeccompFilter, PersonalityOnlyLinuxOrTheQuery) {
  BpfProgram p = compile();
  EXPECT_TRUE(verdict_is(p, call(SYS_personality, {0}), kAllow));
  EXPECT_TRUE(verdict_is(p, call(SYS_personality, {0xffffffff}), kAllow));
  for (uint64_t persona : U64s{uint64_t{ADDR_NO_RANDOMIZE}, uint64_t{READ_IMPLIES_EXEC},
                               uint64_t{MMAP_PAGE_ZERO}, uint64_t{PER_LINUX32}, uint64_t{UNAME26},
                               uint64_t{ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC}, uint64_t{1},
                               uint64_t{0x7fffffff}, uint64_t{0x80000000}, uint64_t{0xfffffffe},
                               uint64_t{0xffffffff} << 32, uint64_t{1} << 32, ~uint64_t{0}}) {
    EXPECT_TRUE(verdict_is(p, call(SYS_personality, {persona}), refused(EPERM))) << persona;
  }
  // Every other 32-bit value, sampled: all single and double bit patterns
  // and their complements, plus random values.
  std::vector<uint32_t> values;
  for (unsigned i = 0; i < 32; ++i)
    for (unsigned j = i; j < 32; ++j) values.push_back((1u << i) | (1u << j));
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<uint32_t>(rng()));
  for (uint32_t v : values) {
    for (uint32_t persona : {v, ~v}) {
      if (persona == 0 || persona == 0xffffffff) continue;
      ASSERT_TRUE(verdict_is(p, call(SYS_personality, {persona}), refused(EPERM))) << persona;
    }
  }
}

TEST(SeccompFilter, PrlimitOnlyOnItself) {
  BpfProgram p = compile();
  EXPECT_TRUE(verdict_is(p, call(SYS_prlimit64, {0, RLIMIT_NOFILE, 0x1000, 0}), kAllow));
  EXPECT_TRUE(verdict_is(p, call(SYS_prlimit64, {1, RLIMIT_NOFILE, 0x1000, 0}), refused(EPERM)));
  EXPECT_TRUE(verdict_is(p, call(SYS_prlimit64, {4321, RLIMIT_NOFILE, 0, 0x1000}), refused(EPERM)));
}

// ---- the programs embedded at build time ---------------------------------

std::string options_name(const SeccompOptions& o) {
  return std::string("kill_on_violation=") + (o.kill_on_violation ? "1" : "0") +
         " allow_unix_pathname_sockets=" + (o.allow_unix_pathname_sockets ? "1" : "0") +
         " allow_udp=" + (o.allow_udp ? "1" : "0") + " allow_ipc=" + (o.allow_ipc ? "1" : "0");
}

TEST(SeccompPrebuilt, EveryCombinationOfOptionsIsEmbedded) {
  std::set<std::string> seen;
  for (const PrebuiltSeccompProgram& p : prebuilt_seccomp_programs()) {
    EXPECT_TRUE(seen.insert(options_name(p.options)).second) << options_name(p.options);
    EXPECT_FALSE(p.program.empty()) << options_name(p.options);
  }
  EXPECT_EQ(seen.size(), 16u) << "one program per combination of the four options";
}

// The embedded programs are what libseccomp compiles from the rules now: a
// rule changed since the generator ran (or a stale build) fails here.
TEST(SeccompPrebuilt, EmbeddedProgramsEqualWhatLibseccompCompilesNow) {
  for (const PrebuiltSeccompProgram& p : prebuilt_seccomp_programs()) {
    auto now = compile_seccomp_program(p.options);
    ASSERT_TRUE(now.ok()) << now.error().what();
    EXPECT_EQ(std::vector<uint8_t>(p.program.begin(), p.program.end()), *now)
        << options_name(p.options);
    auto used = seccomp_program(p.options);
    ASSERT_TRUE(used.ok()) << used.error().what();
    EXPECT_EQ(*used, *now) << options_name(p.options);
  }
}

// ---- on the real kernel --------------------------------------------------

// One set of probes, run once uncontained and once under the filter.
void probe_kernel(const ChildReport& r) {
  int pipefd[2];
  if (pipe(pipefd) != 0) r.put("pipe", errno);
  // TIOCSTI on a pipe: the kernel says ENOTTY, the filter says EPERM first.
  r.err("tiocsti", ioctl(pipefd[0], TIOCSTI, "x"));
  r.err("tiocsti_high", syscall(SYS_ioctl, pipefd[0], (0x123ul << 32) | TIOCSTI, "x"));
  r.err("tcgets", ioctl(pipefd[0], TCGETS, nullptr));  // ENOTTY either way
  r.err("clone3", syscall(SYS_clone3, nullptr, 0));    // kernel: EINVAL
  io_uring_params params{};
  long ring = syscall(SYS_io_uring_setup, 1, &params);
  r.put("io_uring_setup", ring < 0 ? errno : 0);
  if (ring >= 0) close(static_cast<int>(ring));
  long s = syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0);
  r.put("af_packet", s < 0 ? errno : 0);
  if (s >= 0) close(static_cast<int>(s));
  s = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  r.put("af_inet", s < 0 ? errno : 0);
  if (s >= 0) close(static_cast<int>(s));
  s = syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  r.put("netlink_route", s < 0 ? errno : 0);
  if (s >= 0) close(static_cast<int>(s));
  s = syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  r.put("netlink_diag", s < 0 ? errno : 0);
  if (s >= 0) close(static_cast<int>(s));
  long old = syscall(SYS_personality, 0xffffffff);
  r.err("personality_norandom", syscall(SYS_personality, ADDR_NO_RANDOMIZE));
  if (old >= 0) syscall(SYS_personality, old);
  // Namespaces: in a grandchild, so the probe itself stays where it is.
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  waitpid(pid, &status, 0);
  r.put("unshare_user", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  // fork and threads still work (glibc's pthread_create tries clone3 first
  // and must fall back to clone on ENOSYS).
  pid = fork();
  if (pid == 0) _exit(0);
  r.put("fork", pid < 0 ? errno : (waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? 0 : -1));
  bool ran = false;
  std::thread([&ran] { ran = true; }).join();
  r.put("thread", ran ? 0 : -1);
}

TEST(SeccompKernel, RefusedCallsAnswerTheirErrnos) {
  auto bare = run_in_child(probe_kernel);
  ASSERT_TRUE(bare.exited_ok()) << bare.status;
  // Uncontained, the kernel answers for itself (this test runs as root or
  // not; only answers that differ from the filter's are asserted).
  EXPECT_EQ(bare.at("tiocsti"), ENOTTY);
  EXPECT_EQ(bare.at("tiocsti_high"), ENOTTY);
  EXPECT_EQ(bare.at("clone3"), EINVAL);
  EXPECT_NE(bare.at("io_uring_setup"), ENOSYS);
  EXPECT_NE(bare.at("af_packet"), EAFNOSUPPORT);
  EXPECT_EQ(bare.at("netlink_diag"), 0);
  EXPECT_EQ(bare.at("personality_norandom"), 0);
  EXPECT_EQ(bare.at("thread"), 0);

  auto contained = run_in_child([](const ChildReport& r) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) r.put("nnp", errno);
    Status st = install_seccomp({});
    r.put("install", st.ok() ? 0 : (st.error().err ? st.error().err : -1));
    if (st.ok()) probe_kernel(r);
  });
  ASSERT_TRUE(contained.exited_ok()) << contained.status;
  ASSERT_EQ(contained.at("install"), 0);
  EXPECT_EQ(contained.at("tiocsti"), EPERM);
  EXPECT_EQ(contained.at("tiocsti_high"), EPERM);
  EXPECT_EQ(contained.at("tcgets"), ENOTTY);
  EXPECT_EQ(contained.at("clone3"), ENOSYS);
  EXPECT_EQ(contained.at("io_uring_setup"), ENOSYS);
  EXPECT_EQ(contained.at("af_packet"), EAFNOSUPPORT);
  EXPECT_EQ(contained.at("af_inet"), 0);
  EXPECT_EQ(contained.at("netlink_route"), 0);
  EXPECT_EQ(contained.at("netlink_diag"), EAFNOSUPPORT);
  EXPECT_EQ(contained.at("personality_norandom"), EPERM);
  EXPECT_EQ(contained.at("unshare_user"), EPERM);
  EXPECT_EQ(contained.at("fork"), 0);
  EXPECT_EQ(contained.at("thread"), 0);
}

TEST(SeccompKernel, ExportedProgramLoadsWithoutLibseccomp) {
  auto filter = SeccompFilter::build({});
  ASSERT_TRUE(filter.ok()) << filter.error().what();
  auto bytes = filter->export_bpf();
  ASSERT_TRUE(bytes.ok()) << bytes.error().what();
  auto outcome = run_in_child([&bytes](const ChildReport& r) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    Status st = install_seccomp_bpf(*bytes);
    r.put("install", st.ok() ? 0 : -1);
    r.err("clone3", syscall(SYS_clone3, nullptr, 0));
    r.err("unshare", unshare(CLONE_NEWNS));
  });
  ASSERT_TRUE(outcome.exited_ok());
  EXPECT_EQ(outcome.at("install"), 0);
  EXPECT_EQ(outcome.at("clone3"), ENOSYS);
  EXPECT_EQ(outcome.at("unshare"), EPERM);
}

TEST(SeccompKernel, RefusesToLoadWithoutNoNewPrivs) {
  auto outcome = run_in_child([](const ChildReport& r) {
    Status st = install_seccomp({});
    r.put("refused", st.ok() ? 0 : 1);
    r.put("names_nnp", !st.ok() && st.error().message.find("no_new_privs") != std::string::npos);
    r.put("seccomp_mode", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  });
  ASSERT_TRUE(outcome.exited_ok());
  EXPECT_EQ(outcome.at("refused"), 1);
  EXPECT_EQ(outcome.at("names_nnp"), 1);
  EXPECT_EQ(outcome.at("seccomp_mode"), 0);
}

// The x32 bit on a real call: SIGSYS, whatever the kernel's x32 support.
TEST(SeccompKernel, X32NumberKillsTheProcess) {
  auto bare = run_in_child(
      [](const ChildReport& r) { r.err("x32_getpid", syscall(SYS_getpid | kX32Bit)); });
  ASSERT_TRUE(bare.exited_ok());  // uncontained: ENOSYS or a pid, no signal
  auto contained = run_in_child([](const ChildReport&) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!install_seccomp({}).ok()) _exit(3);
    syscall(SYS_getpid | kX32Bit);
    _exit(4);
  });
  ASSERT_TRUE(WIFSIGNALED(contained.status)) << contained.status;
  EXPECT_EQ(WTERMSIG(contained.status), SIGSYS);
}

long int80_getpid() {
  long ret = 20;  // i386 getpid
  asm volatile("int $0x80" : "+a"(ret) : : "memory");
  return ret;
}

TEST(SeccompKernel, I386EntryKillsTheProcess) {
  auto bare =
      run_in_child([](const ChildReport& r) { r.put("pid_match", int80_getpid() == getpid()); });
  if (!bare.exited_ok() || bare.at("pid_match") != 1)
    GTEST_SKIP() << "int 0x80 does not reach the i386 table on this kernel (no IA32 emulation)";
  auto contained = run_in_child([](const ChildReport&) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!install_seccomp({}).ok()) _exit(3);
    int80_getpid();
    _exit(4);
  });
  ASSERT_TRUE(WIFSIGNALED(contained.status)) << contained.status;
  EXPECT_EQ(WTERMSIG(contained.status), SIGSYS);
}

TEST(SeccompKernel, KillModeKillsOnARefusedCall) {
  auto contained = run_in_child([](const ChildReport& r) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!install_seccomp({.kill_on_violation = true}).ok()) _exit(3);
    r.err("clone3", syscall(SYS_clone3, nullptr, 0));  // still an answer
    unshare(CLONE_NEWUSER);
    _exit(4);
  });
  EXPECT_EQ(contained.at("clone3"), ENOSYS);
  ASSERT_TRUE(WIFSIGNALED(contained.status)) << contained.status;
  EXPECT_EQ(WTERMSIG(contained.status), SIGSYS);
}

}  // namespace
}  // namespace cordon::sandbox
