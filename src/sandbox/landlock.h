// Landlock: the second, independent filesystem wall, plus TCP port rules and
// abstract-socket and signal scoping where the kernel has them.
//
// Landlock is allow-only: the ruleset "handles" a set of access rights, and
// every handled right is denied except beneath the paths (or on the ports)
// a rule grants it for. cordon handles every filesystem right the kernel
// knows, so anything not granted here is refused, whatever the mount tree
// shows. The ABI is negotiated from a table (like minijail's): the rights
// used are those of min(kernel ABI, highest ABI cordon knows).
//
// Ordering (contain.cc): after PR_SET_NO_NEW_PRIVS (required), before
// seccomp (whose filter would otherwise have to allow the landlock_* calls
// and the open()s of the rule paths).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"

namespace cordon::sandbox {

// One Landlock ABI version: everything usable at that version (cumulative),
// and what it added, in words (for `cordon doctor` and docs/landlock.md).
struct LandlockAbiInfo {
  int version;
  uint64_t fs_rights;   // LANDLOCK_ACCESS_FS_*
  uint64_t net_rights;  // LANDLOCK_ACCESS_NET_*
  uint64_t scopes;      // LANDLOCK_SCOPE_*
  const char* adds;
};

// Versions 1..7, in order.
std::span<const LandlockAbiInfo> landlock_abi_table();

// The running kernel's ABI; 0 when Landlock is not built in or not enabled
// (lsm= boot parameter).
int landlock_abi();

struct LandlockRules {
  // Read and execute (files, directory listing): e.g. /usr /etc /proc /dev ~
  std::vector<std::string> read_paths;
  // Everything but creating device nodes: read, write, create, remove,
  // rename/link within write trees (REFER), truncate: workspace, /tmp ...
  std::vector<std::string> write_paths;
  // Character devices that must be writable (read, write, truncate, ioctl):
  // /dev/null /dev/zero /dev/tty /dev/ptmx /dev/pts ... A directory here
  // covers the devices beneath it (and may be listed).
  std::vector<std::string> device_paths;
  // ABI >= 4: TCP bind and connect refused except on the ports below.
  bool restrict_tcp = true;
  std::vector<uint16_t> tcp_connect_ports;
  std::vector<uint16_t> tcp_bind_ports;
  // ABI >= 6: no connecting to abstract unix sockets, and no signals to
  // processes, created outside this Landlock domain.
  bool scope_abstract_unix = true;
  bool scope_signals = true;
  // ABI >= 7: keep logging denials (to audit) after execve. Off by default:
  // the contained program is expected to hit denials, and Landlock's default
  // logs only those of the process that set up the domain.
  bool log_denials_after_exec = false;
  // Refuse, naming what is missing, when the kernel's ABI is lower. The
  // features above are best effort below their ABI (the result says what
  // was used); a caller that depends on one sets min_abi accordingly:
  // 4 for TCP rules, 6 for scoping.
  int min_abi = 1;
};

struct LandlockResult {
  int abi = 0;                       // the ABI whose rights were used
  std::vector<std::string> skipped;  // rule paths that do not exist
  uint64_t handled_fs = 0;           // rights the domain restricts
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
};

// Builds the ruleset with the best ABI available, adds a rule per existing
// path (opened O_PATH|O_CLOEXEC; a missing path is skipped and reported)
// and per port, then landlock_restrict_self(). Requires no_new_privs.
Result<LandlockResult> apply_landlock(const LandlockRules& rules);

}  // namespace cordon::sandbox
