// The seccomp filter: the table of refused calls and the argument checks.
//
// Everything here is built with libseccomp. The filter is a deny list:
// default ALLOW, because the process is already in its own namespaces, has
// no capabilities and runs under no_new_privs; what remains dangerous is a
// short, named list. Argument checks are kept to the calls that need them
// (ioctl, socket, socketpair, clone, personality, prlimit64): a verdict that
// depends only on the syscall number is cached per number by the kernel
// (seccomp action cache, Linux 5.11+), so every other call costs nothing.
#include "sandbox/seccomp.h"

#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <netinet/in.h>
#include <seccomp.h>

#include <array>
#include <cerrno>
#include <string>

#include "base/unique_fd.h"

namespace cordon::sandbox {
namespace {

// clang-format off
constexpr SyscallRule kRefused[] = {
  // A second system-call interface: operations submitted through the rings
  // are not seen by seccomp, and io_uring has been one of the largest
  // sources of kernel privilege escalations (large fleets turn it off).
  // ENOSYS, as on a kernel without it, so libuv, Tokio & co. fall back.
  {"io_uring_setup", ENOSYS, "io_uring: a syscall interface seccomp cannot see into, and a large source of kernel exploits; ENOSYS so runtimes fall back to ordinary calls"},
  {"io_uring_enter", ENOSYS, "io_uring (see io_uring_setup)"},
  {"io_uring_register", ENOSYS, "io_uring (see io_uring_setup)"},

  // Reaching into other processes. Inside a pid namespace there is little
  // to reach, but in Landlock mode the other processes of the same user are
  // next door, and ptrace is also a way around seccomp itself (a tracer can
  // rewrite a tracee's syscalls on kernels before 4.8).
  {"ptrace", EPERM, "debugging another process: reads and writes its memory and registers, and rewrites its syscalls"},
  {"process_vm_readv", EPERM, "reads another process's memory"},
  {"process_vm_writev", EPERM, "writes another process's memory"},
  {"pidfd_getfd", EPERM, "steals a file descriptor from another process"},
  {"process_madvise", EPERM, "changes another process's memory management"},
  {"kcmp", EPERM, "compares kernel objects of other processes (address-space layout oracle)"},

  // Kernel programmability and introspection: each is large attack surface
  // that no command an agent runs needs.
  {"bpf", EPERM, "eBPF programs and maps: kernel attack surface (verifier bugs)"},
  {"perf_event_open", EPERM, "performance counters: side channels and kernel attack surface"},
  {"userfaultfd", EPERM, "lets a process stall the kernel mid-copy at a chosen address: the classic race-widening exploit primitive"},

  // The kernel keyrings are not namespaced: the user's keyring is shared
  // with every process of the same uid outside the sandbox.
  {"keyctl", EPERM, "kernel keyrings are shared with the user's processes outside the sandbox"},
  {"add_key", EPERM, "kernel keyrings (see keyctl)"},
  {"request_key", EPERM, "kernel keyrings (see keyctl)"},

  // File handles bypass path-based checks: open_by_handle_at opens any inode
  // of a mounted filesystem by number (the Docker "shocker" escape).
  {"open_by_handle_at", EPERM, "opens files by handle, around every path-based check (Docker 'shocker' escape)"},
  {"name_to_handle_at", EPERM, "produces the handles open_by_handle_at takes"},

  // The mount tree was built before this filter; nothing may change it
  // (un-hiding a protected path, mounting over a read-only bind).
  {"mount", EPERM, "changing the mount tree (could uncover or replace what the sandbox hid)"},
  {"umount2", EPERM, "unmounting could uncover what a mount hides"},
  {"pivot_root", EPERM, "changing the root"},
  {"chroot", EPERM, "changing the root (and a classic confusion for path checks)"},
  {"fsopen", EPERM, "new mount API (see mount)"},
  {"fsconfig", EPERM, "new mount API (see mount)"},
  {"fsmount", EPERM, "new mount API (see mount)"},
  {"fspick", EPERM, "new mount API (see mount)"},
  {"open_tree", EPERM, "new mount API: detached copies of mount trees"},
  {"open_tree_attr", EPERM, "new mount API (Linux 6.15): open_tree with mount attributes", 467},
  {"move_mount", EPERM, "new mount API (see mount)"},
  {"mount_setattr", EPERM, "changes mount attributes (e.g. clears read-only)"},

  // New namespaces: a nested user namespace gives back every capability
  // inside it, and with it the kernel code paths that capabilities guard
  // (most unprivileged kernel exploits start with unshare(CLONE_NEWUSER)).
  {"unshare", EPERM, "new namespaces; refused for any flags (nested user namespaces regain capabilities and reach kernel code guarded by them)"},
  {"setns", EPERM, "joining another namespace"},
  // clone3 passes its flags in memory, where seccomp cannot look; ENOSYS
  // makes glibc (and others) fall back to clone, whose flags are checked.
  {"clone3", ENOSYS, "flags live in memory seccomp cannot read; ENOSYS makes libc fall back to clone(), where namespace flags are refused"},

  // Administration of the machine. Most need capabilities the sandbox does
  // not have; refusing them by number is defence in depth at no cost.
  {"kexec_load", EPERM, "replaces the running kernel"},
  {"kexec_file_load", EPERM, "replaces the running kernel"},
  {"init_module", EPERM, "loads kernel code"},
  {"finit_module", EPERM, "loads kernel code"},
  {"delete_module", EPERM, "unloads kernel code"},
  {"reboot", EPERM, "reboots or halts the machine"},
  {"swapon", EPERM, "system swap configuration"},
  {"swapoff", EPERM, "system swap configuration"},
  {"acct", EPERM, "system process accounting"},
  {"quotactl", EPERM, "filesystem quotas"},
  {"quotactl_fd", EPERM, "filesystem quotas"},
  {"settimeofday", EPERM, "the system clock is not namespaced"},
  {"clock_settime", EPERM, "the system clock is not namespaced"},
  {"adjtimex", EPERM, "the system clock is not namespaced"},
  {"clock_adjtime", EPERM, "the system clock is not namespaced"},
  {"syslog", EPERM, "the kernel log leaks kernel addresses and host activity"},
  {"vhangup", EPERM, "hangs up the controlling terminal"},
  {"iopl", EPERM, "raw I/O port access"},
  {"ioperm", EPERM, "raw I/O port access"},
  {"sethostname", EPERM, "host identity"},
  {"setdomainname", EPERM, "host identity"},
  {"migrate_pages", EPERM, "moves another process's memory between NUMA nodes (mbind and set_mempolicy, on one's own memory, stay allowed)"},
  {"move_pages", EPERM, "moves another process's pages (see migrate_pages)"},

  // Obsolete interfaces: nothing current uses them; ENOSYS is what newer
  // kernels answer anyway.
  {"modify_ldt", ENOSYS, "custom x86 segment descriptors: a history of kernel bugs; only DOS/Win16 emulation needs it"},
  {"uselib", ENOSYS, "obsolete a.out library loading"},
  {"ustat", ENOSYS, "obsolete filesystem statistics (statfs replaces it)"},
  {"sysfs", ENOSYS, "obsolete filesystem-type listing (/proc/filesystems replaces it)"},
  {"_sysctl", ENOSYS, "obsolete (removed in Linux 5.5)"},
  {"nfsservctl", ENOSYS, "obsolete (removed in Linux 3.1)"},
  {"lookup_dcookie", ENOSYS, "obsolete profiling interface (removed in Linux 6.9)"},
};

// Without an IPC namespace of our own (Landlock mode): every call that
// reaches a System V object by id or key, or a message queue by name.
// shmdt (detaching one's own mapping) and the mq_* calls on a descriptor
// (which only mq_open gives) reach nothing new.
constexpr SyscallRule kRefusedWithoutIpc[] = {
  {"shmget", EPERM, "finds (or makes) a shared memory segment by key: the host's, without an IPC namespace"},
  {"shmat", EPERM, "maps a segment by id: the memory of the user's processes outside (a desktop's shared images, a database's buffers)"},
  {"shmctl", EPERM, "reads, changes or removes a segment of the host's by id"},
  {"semget", EPERM, "finds a semaphore set of the host's by key"},
  {"semop", EPERM, "operates on a semaphore set of the host's by id: blocks or releases processes outside"},
  {"semtimedop", EPERM, "semop with a timeout (see semop)"},
  {"semctl", EPERM, "reads, sets or removes a semaphore set of the host's by id"},
  {"msgget", EPERM, "finds a message queue of the host's by key"},
  {"msgsnd", EPERM, "sends into a message queue of the host's by id"},
  {"msgrcv", EPERM, "takes messages meant for processes outside from a queue by id"},
  {"msgctl", EPERM, "reads, changes or removes a message queue of the host's by id"},
  {"mq_open", EPERM, "opens a POSIX message queue by name: the host's mqueue namespace, without an IPC namespace"},
  {"mq_unlink", EPERM, "removes a POSIX message queue of the host's by name"},
};

constexpr ArgumentRule kArgumentRules[] = {
  {"ioctl", "request is TIOCSTI or TIOCLINUX, compared on its low 32 bits", EPERM,
   "TIOCSTI pushes input into a terminal (bubblewrap CVE-2017-5226); the kernel reads the request as 32 bits, so (0x123<<32)|TIOCSTI is TIOCSTI too (CVE-2019-10063); TIOCLINUX can do the same on a virtual console"},
  {"socket", "family is not AF_UNIX, AF_INET, AF_INET6 or AF_NETLINK", EAFNOSUPPORT,
   "every other family (packet, vsock, bluetooth, alg, xdp, can, tipc, rds, ...) is attack surface, and asking for one can autoload its kernel module"},
  {"socket", "AF_NETLINK with a protocol other than NETLINK_ROUTE", EAFNOSUPPORT,
   "route queries (getaddrinfo's AI_ADDRCONFIG, getifaddrs) are needed; audit, uevent, sock_diag, netfilter and the rest are not"},
  {"socket", "AF_UNIX, when the policy disallows unix sockets", EAFNOSUPPORT,
   "option allow_unix_pathname_sockets (abstract and pathname sockets share the family)"},
  {"socket", "AF_INET/AF_INET6 with a protocol other than 0, TCP, UDP, ICMP (v4) or ICMPv6 (v6)", EPROTONOSUPPORT,
   "SCTP, DCCP, L2TP, UDP-Lite, MPTCP, SMC: rarely needed, module autoload, and a record of exploits"},
  {"socket", "AF_INET/AF_INET6 not SOCK_STREAM, or a protocol other than 0 or TCP, when UDP is disallowed", EPROTONOSUPPORT,
   "option allow_udp=false (Landlock mode): Landlock mediates TCP only, so every other inet protocol would leave unmediated"},
  {"socketpair", "family is not AF_UNIX", EAFNOSUPPORT,
   "only unix pairs are useful; other families would reach the same module surface as socket()"},
  {"clone", "flags include a CLONE_NEW* namespace flag", EPERM,
   "same as unshare; plain fork and thread creation stay allowed"},
  {"personality", "anything but PER_LINUX (0) or the query 0xffffffff", EPERM,
   "ADDR_NO_RANDOMIZE turns off ASLR for what the process runs next, READ_IMPLIES_EXEC makes data executable, MMAP_PAGE_ZERO maps page zero"},
  {"prlimit64", "pid is not 0 (another process)", EPERM,
   "in Landlock mode the user's processes outside the sandbox share the pid space; getrlimit/setrlimit (pid 0) stay allowed"},
};
// clang-format on

// One comparison (libseccomp's SCMP_A*() macros are C compound literals).
scmp_arg_cmp cmp(unsigned arg, scmp_compare op, uint64_t datum_a, uint64_t datum_b = 0) {
  return scmp_arg_cmp{arg, op, datum_a, datum_b};
}

// The refusal action for an errno under the options.
uint32_t action_for(int err, const SeccompOptions& options) {
  bool not_here = err == ENOSYS || err == EAFNOSUPPORT || err == EPROTONOSUPPORT;
  if (options.kill_on_violation && !not_here) return SCMP_ACT_KILL_PROCESS;
  return SCMP_ACT_ERRNO(static_cast<uint32_t>(err));
}

Error seccomp_error(int rc, std::string what) {
  // libseccomp returns -errno (with SCMP_FLTATR_API_SYSRAWRC, the kernel's).
  return Error{-rc, "seccomp: " + std::move(what)};
}

Status require_no_new_privs() {
  // Without no_new_privs the kernel refuses the filter to an unprivileged
  // caller (EACCES), and a privileged one could load it and then exec a
  // setuid binary that runs under a filter it did not expect. Either way
  // the containment sequence is misordered; say so plainly.
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    return plain_error("seccomp: no_new_privs is not set (PR_SET_NO_NEW_PRIVS must come first)");
  return {};
}

class RuleWriter {
 public:
  RuleWriter(scmp_filter_ctx ctx, const SeccompOptions& options) : ctx_(ctx), options_(options) {}

  Status add(const char* name, int err, std::initializer_list<scmp_arg_cmp> cmps) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) return plain_error(std::string("seccomp: unknown syscall ") + name);
    int rc = seccomp_rule_add_array(ctx_, action_for(err, options_), nr,
                                    static_cast<unsigned>(cmps.size()), cmps.begin());
    if (rc != 0) return seccomp_error(rc, std::string("add the rule for ") + name);
    return {};
  }

  // Refuses every value of argument `arg` outside `allowed` (ascending),
  // optionally only when `also` (a comparison on another argument) holds.
  //
  // libseccomp allows one comparison per argument in a rule, so "not in a
  // set" is written as a union: each gap between allowed values is covered
  // by aligned power-of-two blocks (value & ~(size-1)) == start, compared on
  // all 64 bits, and everything above the largest allowed value by one
  // unsigned GT. Any value with high bits set is therefore refused; the
  // kernel reads these arguments as int, so the only thing it could see
  // differently is a value the filter refuses anyway (sound, never looser).
  Status refuse_outside(const char* name, int err, unsigned arg, std::span<const uint64_t> allowed,
                        const scmp_arg_cmp* also = nullptr) {
    uint64_t lo = 0;
    for (uint64_t a : allowed) {
      if (a > lo) CORDON_TRY(refuse_range(name, err, arg, lo, a - 1, also));
      lo = a + 1;
    }
    scmp_arg_cmp above = cmp(arg, SCMP_CMP_GT, allowed.back());
    if (also != nullptr) return add(name, err, {*also, above});
    return add(name, err, {above});
  }

 private:
  Status refuse_range(const char* name, int err, unsigned arg, uint64_t lo, uint64_t hi,
                      const scmp_arg_cmp* also) {
    while (lo <= hi) {
      uint64_t size = 1;
      while ((lo & (size * 2 - 1)) == 0 && lo + size * 2 - 1 <= hi) size *= 2;
      scmp_arg_cmp block = cmp(arg, SCMP_CMP_MASKED_EQ, ~(size - 1), lo);
      if (also != nullptr) {
        CORDON_TRY(add(name, err, {*also, block}));
      } else {
        CORDON_TRY(add(name, err, {block}));
      }
      lo += size;
    }
    return {};
  }

  scmp_filter_ctx ctx_;
  const SeccompOptions& options_;
};

Status add_ioctl_rules(RuleWriter& w) {
  // The kernel's ioctl takes `unsigned int cmd`: only the low 32 bits of the
  // register decide the request. Comparing all 64 would let
  // (0x123UL << 32) | TIOCSTI through (bubblewrap CVE-2019-10063), so the
  // comparison is masked to the low half.
  for (unsigned long request :
       {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    CORDON_TRY(w.add("ioctl", EPERM, {cmp(1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, request)}));
  }
  return {};
}

Status add_socket_rules(RuleWriter& w, const SeccompOptions& options) {
  // Families: an allow list written as refusals of everything else. Asking
  // for an unloaded family autoloads its module (net-pf-N), which is how
  // many "unprivileged" exploits reach rarely used code (AF_RDS, AF_TIPC,
  // AF_VSOCK, AF_PACKET, AF_ALG ...).
  std::array<uint64_t, 4> families{};
  size_t n = 0;
  if (options.allow_unix_pathname_sockets) families[n++] = AF_UNIX;
  families[n++] = AF_INET;
  families[n++] = AF_INET6;
  families[n++] = AF_NETLINK;
  CORDON_TRY(w.refuse_outside("socket", EAFNOSUPPORT, 0, std::span(families.data(), n)));

  // Netlink: route queries only. glibc's getaddrinfo (AI_ADDRCONFIG) and
  // getifaddrs use NETLINK_ROUTE; in the sandbox's own network namespace it
  // shows only loopback, and changing anything needs CAP_NET_ADMIN. The
  // other protocols (sock_diag, audit, uevent, netfilter, xfrm, generic...)
  // are refused. The family allowed above makes this the only netlink rule.
  CORDON_TRY(w.add("socket", EAFNOSUPPORT,
                   {cmp(0, SCMP_CMP_EQ, AF_NETLINK), cmp(2, SCMP_CMP_NE, NETLINK_ROUTE)}));

  for (uint64_t family : {uint64_t{AF_INET}, uint64_t{AF_INET6}}) {
    scmp_arg_cmp is_family = cmp(0, SCMP_CMP_EQ, family);
    if (options.allow_udp) {
      // Protocols: an unknown (type, protocol) pair makes inet_create()
      // autoload net-pf-N-proto-P (SCTP, DCCP, L2TP, UDP-Lite ...).
      // 0 (the default for the type), TCP, UDP and ping sockets remain.
      constexpr std::array<uint64_t, 4> v4{0, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
      constexpr std::array<uint64_t, 4> v6{0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6};
      CORDON_TRY(
          w.refuse_outside("socket", EPROTONOSUPPORT, 2, family == AF_INET ? v4 : v6, &is_family));
    } else {
      // TCP only: Landlock restricts TCP bind/connect and nothing else.
      // The type's low nibble (SOCK_TYPE_MASK) is the type; SOCK_NONBLOCK and
      // SOCK_CLOEXEC are or-ed above it. Refuse a nibble other than
      // SOCK_STREAM (1): zero, or any of bits 1..3 set.
      for (auto [mask, value] :
           {std::pair<uint64_t, uint64_t>{0xF, 0}, {0x2, 0x2}, {0x4, 0x4}, {0x8, 0x8}}) {
        CORDON_TRY(
            w.add("socket", EPROTONOSUPPORT, {is_family, cmp(1, SCMP_CMP_MASKED_EQ, mask, value)}));
      }
      constexpr std::array<uint64_t, 2> tcp{0, IPPROTO_TCP};
      CORDON_TRY(w.refuse_outside("socket", EPROTONOSUPPORT, 2, tcp, &is_family));
    }
  }

  // socketpair reaches the same family lookup (and module autoload) as
  // socket(); only AF_UNIX makes pairs worth having.
  constexpr std::array<uint64_t, 1> unix_only{AF_UNIX};
  return w.refuse_outside("socketpair", EAFNOSUPPORT, 0, unix_only);
}

Status add_clone_rules(RuleWriter& w) {
  // clone(flags, ...) on x86_64: flags is the first argument. One rule per
  // namespace flag; fork() and pthread_create() use none of them.
  // (CLONE_NEWTIME shares its bit with the exit signal in clone() and only
  // means a namespace for unshare/clone3, both refused outright.)
  for (uint64_t flag : {uint64_t{CLONE_NEWNS}, uint64_t{CLONE_NEWCGROUP}, uint64_t{CLONE_NEWUTS},
                        uint64_t{CLONE_NEWIPC}, uint64_t{CLONE_NEWUSER}, uint64_t{CLONE_NEWPID},
                        uint64_t{CLONE_NEWNET}}) {
    CORDON_TRY(w.add("clone", EPERM, {cmp(0, SCMP_CMP_MASKED_EQ, flag, flag)}));
  }
  return {};
}

Status add_personality_rules(RuleWriter& w) {
  // Allowed: 0 (PER_LINUX) and 0xffffffff (the query, which the kernel
  // answers without changing anything). Refused: everything else, i.e. a
  // 32-bit value whose bits are not all equal, or any value above 32 bits.
  // With one comparison per argument, "bits not all equal" is the union,
  // over each bit i, of "bit i set and bit i+1 (cyclically) clear": a
  // non-constant cyclic bit string always has a 1 followed by a 0, and the
  // two allowed values never do. 32 rules, evaluated only for personality().
  CORDON_TRY(w.add("personality", EPERM, {cmp(0, SCMP_CMP_GT, 0xFFFFFFFFu)}));
  for (unsigned i = 0; i < 32; ++i) {
    uint64_t bit = uint64_t{1} << i;
    uint64_t next = uint64_t{1} << ((i + 1) % 32);
    CORDON_TRY(w.add("personality", EPERM, {cmp(0, SCMP_CMP_MASKED_EQ, bit | next, bit)}));
  }
  return {};
}

Status add_prlimit_rules(RuleWriter& w) {
  // prlimit64(pid, ...) with pid != 0 reads or sets another process's
  // limits, allowed by the kernel for any process of the same uid. With a
  // pid namespace those are only the sandbox's own; in Landlock mode they
  // include the user's processes outside (RLIMIT_NOFILE=0 on their shell),
  // and Landlock does not mediate it. glibc's getrlimit/setrlimit pass 0.
  return w.add("prlimit64", EPERM, {cmp(0, SCMP_CMP_NE, 0)});
}

}  // namespace

std::span<const SyscallRule> refused_syscalls() { return kRefused; }
std::span<const SyscallRule> refused_without_ipc() { return kRefusedWithoutIpc; }
std::span<const ArgumentRule> argument_rules() { return kArgumentRules; }

int syscall_number(const SyscallRule& rule) {
  int nr = seccomp_syscall_resolve_name(rule.name);
  return nr >= 0 ? nr : rule.fallback_nr;
}

Result<SeccompFilter> SeccompFilter::build(const SeccompOptions& options) {
  // The context is native-only (x86_64): libseccomp adds no other
  // architecture unless asked, so any other AUDIT_ARCH (i386 through
  // int 0x80) takes the bad-architecture action, and on x86_64 it also
  // sends x32 numbers (nr | 0x40000000, the same AUDIT_ARCH) there. The
  // unit test checks both on the exported program.
  SeccompFilter filter(seccomp_init(SCMP_ACT_ALLOW));
  if (filter.ctx_ == nullptr) return plain_error("seccomp: cannot create a filter context");
  scmp_filter_ctx ctx = filter.ctx_;

  // A foreign-architecture call kills the process in either mode: it comes
  // from a 32-bit binary (which cannot work with every call refused: dying
  // at once with SIGSYS is the honest answer) or from code aiming at the
  // compat entry points, where number-based rules do not apply.
  struct Attr {
    scmp_filter_attr attr;
    uint32_t value;
    const char* what;
  };
  const Attr attrs[] = {
      {SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "set the bad-architecture action"},
      // no_new_privs is the caller's job, checked in load(); libseccomp must
      // not set it behind the containment sequence's back.
      {SCMP_FLTATR_CTL_NNP, 0, "leave no_new_privs to the caller"},
      // Kernel errnos, not libseccomp's generic -ECANCELED, on load failure.
      {SCMP_FLTATR_API_SYSRAWRC, 1, "ask for raw error codes"},
      // A binary tree over syscall numbers: the calls that are not cached
      // (ioctl above all) walk log(n) jumps rather than the whole list.
      {SCMP_FLTATR_CTL_OPTIMIZE, 2, "choose the binary-tree layout"},
  };
  for (const Attr& a : attrs) {
    int rc = seccomp_attr_set(ctx, a.attr, a.value);
    if (rc != 0) return seccomp_error(rc, a.what);
  }

  auto refuse_all = [&](std::span<const SyscallRule> rules) -> Status {
    for (const SyscallRule& rule : rules) {
      int nr = syscall_number(rule);
      if (nr < 0) return plain_error(std::string("seccomp: no syscall number for ") + rule.name);
      int rc = seccomp_rule_add(ctx, action_for(rule.action_errno, options), nr, 0);
      if (rc != 0) return seccomp_error(rc, std::string("add the rule for ") + rule.name);
    }
    return {};
  };
  CORDON_TRY(refuse_all(kRefused));
  if (!options.allow_ipc) CORDON_TRY(refuse_all(kRefusedWithoutIpc));

  RuleWriter writer(ctx, options);
  CORDON_TRY(add_ioctl_rules(writer));
  CORDON_TRY(add_socket_rules(writer, options));
  CORDON_TRY(add_clone_rules(writer));
  CORDON_TRY(add_personality_rules(writer));
  CORDON_TRY(add_prlimit_rules(writer));
  return filter;
}

SeccompFilter::SeccompFilter(SeccompFilter&& other) noexcept : ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) seccomp_release(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(ctx_);
}

Status SeccompFilter::load() {
  CORDON_TRY(require_no_new_privs());
  int rc = seccomp_load(ctx_);
  if (rc != 0) return seccomp_error(rc, "load the filter");
  return {};
}

Result<std::vector<uint8_t>> SeccompFilter::export_bpf() const {
  // libseccomp 2.5 exports to a file descriptor only; a memfd keeps it off
  // the filesystem.
  UniqueFd fd(memfd_create("cordon-seccomp", MFD_CLOEXEC));
  if (!fd) return sys_error("seccomp: memfd for the exported filter");
  int rc = seccomp_export_bpf(ctx_, fd.get());
  if (rc != 0) return seccomp_error(rc, "export the filter");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || lseek(fd.get(), 0, SEEK_SET) != 0)
    return sys_error("seccomp: seek the exported filter");
  std::vector<uint8_t> program(static_cast<size_t>(size));
  size_t done = 0;
  while (done < program.size()) {
    ssize_t n = read(fd.get(), program.data() + done, program.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("seccomp: read the exported filter");
    done += static_cast<size_t>(n);
  }
  return program;
}

Result<std::vector<uint8_t>> compile_seccomp_program(const SeccompOptions& options) {
  auto filter = SeccompFilter::build(options);
  if (!filter.ok()) return filter.error();
  return filter->export_bpf();
}

Status install_seccomp(const SeccompOptions& options) {
  auto filter = SeccompFilter::build(options);
  if (!filter.ok()) return filter.error();
  return filter->load();
}

Status install_seccomp_bpf(std::span<const uint8_t> program) {
  CORDON_TRY(require_no_new_privs());
  if (program.empty() || program.size() % sizeof(sock_filter) != 0 ||
      program.size() / sizeof(sock_filter) > BPF_MAXINSNS)
    return plain_error("seccomp: the exported program has an impossible size");
  // sock_fprog wants a mutable pointer; the kernel only copies from it.
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<uint8_t*>(program.data()));
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    return sys_error("seccomp: load the filter");
  return {};
}

}  // namespace cordon::sandbox
