// Landlock through its UAPI header and raw syscalls (there is no packaged C
// library). The installed header may be older than the running kernel: the
// constants of later ABIs are defined here when it lacks them.
#include "sandbox/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/unique_fd.h"

// ---- UAPI additions after the oldest header we build against -------------
// (values are ABI: the kernel can never change them)
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER  // ABI 2
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE  // ABI 3
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP  // ABI 4
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP  // ABI 4
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV  // ABI 5
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET  // ABI 6
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL  // ABI 6
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF  // ABI 7
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON  // ABI 7
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF  // ABI 7
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2)
#endif

namespace cordon::sandbox {
namespace {

// LANDLOCK_RULE_NET_PORT is an enumerator in newer headers, so it cannot be
// tested with #ifndef; the value is ABI.
constexpr int kRuleNetPort = 2;

// struct landlock_ruleset_attr as of ABI 6. The kernel accepts a larger
// struct than it knows as long as the unknown tail is zero, and the tail is
// zero whenever the ABI lacks the field (the table gives no such rights).
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};

// struct landlock_net_port_attr (ABI 4).
struct NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};

constexpr uint64_t kFsV1 =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
    LANDLOCK_ACCESS_FS_MAKE_SYM;
constexpr uint64_t kFsV2 = kFsV1 | LANDLOCK_ACCESS_FS_REFER;
constexpr uint64_t kFsV3 = kFsV2 | LANDLOCK_ACCESS_FS_TRUNCATE;
constexpr uint64_t kFsV5 = kFsV3 | LANDLOCK_ACCESS_FS_IOCTL_DEV;
constexpr uint64_t kNetV4 = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
constexpr uint64_t kScopeV6 = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;

// clang-format off
constexpr LandlockAbiInfo kAbiTable[] = {
  {1, kFsV1, 0, 0, "Linux 5.13: filesystem access control: execute, read and write files, list directories, create and remove files, directories, links, sockets, fifos and device nodes (without REFER, every cross-directory rename or link is denied)"},
  {2, kFsV2, 0, 0, "Linux 5.19: REFER: renaming and linking across directories, allowed where granted"},
  {3, kFsV3, 0, 0, "Linux 6.2: TRUNCATE: truncate(2), ftruncate(2) and open(O_TRUNC)"},
  {4, kFsV3, kNetV4, 0, "Linux 6.7: TCP bind(2) and connect(2), allowed per port"},
  {5, kFsV5, kNetV4, 0, "Linux 6.10: IOCTL_DEV: ioctl(2) on character and block devices"},
  {6, kFsV5, kNetV4, kScopeV6, "Linux 6.12: scoping: abstract unix sockets and signals cannot reach processes outside the domain"},
  {7, kFsV5, kNetV4, kScopeV6, "Linux 6.15: audit logging of denials, tuned by landlock_restrict_self flags"},
};
// clang-format on

// The rights a rule on a non-directory may carry; directory-only rights
// (READ_DIR, MAKE_*, REMOVE_*, REFER) on a file make add_rule fail EINVAL.
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                 LANDLOCK_ACCESS_FS_IOCTL_DEV;

constexpr uint64_t kReadRights =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

// Everything except creating device nodes (which needs CAP_MKNOD anyway:
// refusing it here too costs nothing). REFER is granted: renames and links
// within and between write trees work, and Landlock itself refuses any
// that would give a file more rights at its destination than it had. A file
// can never be moved into or out of a read-only tree (no REFER, no MAKE_*,
// no REMOVE_* there). TRUNCATE comes with write, or `>` (open O_TRUNC)
// would fail on files one may write.
constexpr uint64_t kWriteRights =
    kFsV5 & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);

// Devices: read, write, `>/dev/null` (O_TRUNC), and ioctls such as TCGETS
// on a terminal opened after the domain exists (fds inherited from before
// keep the rights they were opened with). READ_DIR for /dev/pts-like dirs.
constexpr uint64_t kDeviceRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                   LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV |
                                   LANDLOCK_ACCESS_FS_READ_DIR;

long create_ruleset(const RulesetAttr* attr, size_t size, uint32_t flags) {
  return syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

Status add_path_rule(int ruleset, const std::string& path, uint64_t rights, uint64_t handled,
                     std::vector<std::string>& skipped) {
  // The rule is attached to the inode the fd names, not to the string: a
  // later rename or symlink swap of the path changes nothing.
  UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      skipped.push_back(path);
      return {};
    }
    return sys_error("landlock: open " + path);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error("landlock: stat " + path);
  uint64_t allowed = rights & handled;
  if (!S_ISDIR(st.st_mode)) allowed &= kFileRights;
  if (allowed == 0) return {};
  landlock_path_beneath_attr attr{};
  attr.allowed_access = allowed;
  attr.parent_fd = fd.get();
  if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0)
    return sys_error("landlock: add the rule for " + path);
  return {};
}

Status add_port_rule(int ruleset, uint16_t port, uint64_t access) {
  NetPortAttr attr{access, port};
  if (syscall(__NR_landlock_add_rule, ruleset, kRuleNetPort, &attr, 0) != 0)
    return sys_error("landlock: add the rule for TCP port " + std::to_string(port));
  return {};
}

// "ABI 6 (Linux 6.12: scoping ...)" for each version above `have`.
std::string missing_versions(int have, int need) {
  std::string out;
  for (const LandlockAbiInfo& v : kAbiTable) {
    if (v.version <= have || v.version > need) continue;
    if (!out.empty()) out += "; ";
    out += "ABI " + std::to_string(v.version) + " (" + v.adds + ")";
  }
  int known = static_cast<int>(std::size(kAbiTable));
  if (need > known) {
    if (!out.empty()) out += "; ";
    out += "ABI " + std::to_string(need) + " (unknown to this version of cordon)";
  }
  return out;
}

}  // namespace

std::span<const LandlockAbiInfo> landlock_abi_table() { return kAbiTable; }

int landlock_abi() {
  long v = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v > 0 ? static_cast<int>(v) : 0;
}

Result<LandlockResult> apply_landlock(const LandlockRules& rules) {
  int kernel = landlock_abi();
  if (kernel == 0) {
    return plain_error(
        "Landlock is not available: the kernel lacks CONFIG_SECURITY_LANDLOCK, or 'landlock' is "
        "missing from the lsm= boot parameter (see /sys/kernel/security/lsm)");
  }
  if (kernel < rules.min_abi) {
    return plain_error("Landlock ABI " + std::to_string(kernel) +
                       " on this kernel; the policy needs " +
                       missing_versions(kernel, rules.min_abi) + ": upgrade the kernel");
  }
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    return plain_error("landlock: no_new_privs is not set (PR_SET_NO_NEW_PRIVS must come first)");

  // Newer kernels than cordon knows: use the highest version in the table.
  // Handling fewer rights than the kernel has is safe (what is not handled
  // is still covered by the mount tree and seccomp), just less.
  const LandlockAbiInfo& info =
      kAbiTable[std::min<size_t>(static_cast<size_t>(kernel), std::size(kAbiTable)) - 1];

  LandlockResult result;
  result.abi = info.version;
  // Every filesystem right the ABI has is handled, so none is left open by
  // omission; network rights and scopes only when asked for.
  result.handled_fs = info.fs_rights;
  result.handled_net = rules.restrict_tcp ? info.net_rights : 0;
  result.scoped = ((rules.scope_abstract_unix ? LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET : 0) |
                   (rules.scope_signals ? LANDLOCK_SCOPE_SIGNAL : 0)) &
                  info.scopes;

  RulesetAttr attr{result.handled_fs, result.handled_net, result.scoped};
  long rfd = create_ruleset(&attr, sizeof attr, 0);
  if (rfd < 0) return sys_error("landlock: create the ruleset");
  UniqueFd ruleset(static_cast<int>(rfd));

  for (const std::string& p : rules.read_paths)
    CORDON_TRY(add_path_rule(ruleset.get(), p, kReadRights, result.handled_fs, result.skipped));
  for (const std::string& p : rules.write_paths)
    CORDON_TRY(add_path_rule(ruleset.get(), p, kWriteRights, result.handled_fs, result.skipped));
  for (const std::string& p : rules.device_paths)
    CORDON_TRY(add_path_rule(ruleset.get(), p, kDeviceRights, result.handled_fs, result.skipped));

  if (result.handled_net != 0) {
    for (uint16_t port : rules.tcp_connect_ports)
      CORDON_TRY(add_port_rule(ruleset.get(), port, LANDLOCK_ACCESS_NET_CONNECT_TCP));
    for (uint16_t port : rules.tcp_bind_ports)
      CORDON_TRY(add_port_rule(ruleset.get(), port, LANDLOCK_ACCESS_NET_BIND_TCP));
  }

  uint32_t flags = 0;
  if (rules.log_denials_after_exec && info.version >= 7)
    flags |= LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON;
  if (syscall(__NR_landlock_restrict_self, ruleset.get(), flags) != 0)
    return sys_error("landlock: restrict this process");
  return result;
}

}  // namespace cordon::sandbox
