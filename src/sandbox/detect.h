// What this host can enforce: user namespaces, Landlock, seccomp, cgroups,
// nftables in a user namespace. Read (and, for user namespaces, actually
// tried in a throwaway child) without changing anything on the host, for
// `cordon doctor` and for `cordon run` to pick its enforcement mode.
//
// The explain_* functions are pure: given what was observed, they say why a
// feature is missing and what to do about it, so every reason and fix is
// unit-tested without needing a host that lacks the feature.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/cgroups.h"

namespace cordon::sandbox {

// One item of `cordon doctor`.
struct Finding {
  bool ok = false;
  std::string summary;  // what was found, one line
  std::string reason;   // why it is missing (when !ok)
  std::string fix;      // what to do about it (when !ok)
};

// ---- user namespaces -----------------------------------------------------------

// The steps of the probe, in order; the first that fails is reported.
inline constexpr const char* kUsernsSteps[] = {
    "unshare(CLONE_NEWUSER)",     // create the user namespace
    "setgroups",                  // write "deny" to /proc/self/setgroups
    "uid_map",                    // map our own uid
    "gid_map",                    // map our own gid
    "unshare(other namespaces)",  // mount, pid, ipc, uts, net, cgroup: what `cordon run` creates
    "mount",                      // use CAP_SYS_ADMIN inside: make the new mount tree private
};

struct UsernsFacts {  // what explain_userns() looks at besides the failure
  std::optional<long>
      unprivileged_userns_clone;              // kernel.unprivileged_userns_clone (Debian kernels)
  std::optional<long> max_user_namespaces;    // user.max_user_namespaces
  std::optional<long> apparmor_restrict;      // kernel.apparmor_restrict_unprivileged_userns
  int seccomp_mode = 0;                       // "Seccomp:" of /proc/self/status (2 = filtered)
  std::string container;                      // detect_container()
  bool root = false;                          // effective uid 0
  std::string exe = "/usr/local/bin/cordon";  // this binary, for the AppArmor profile
};

struct UsernsReport : Finding {
  std::string failed_step;   // one of kUsernsSteps, "" when everything worked
  int err = 0;               // its errno
  bool assumed_off = false;  // CORDON_ASSUME_NO_USERNS=1
};

// failed_step "" means it worked.
UsernsReport explain_userns(const std::string& failed_step, int err, const UsernsFacts& facts);
// The sysctls, seccomp mode, container hint and binary path of this host,
// for explain_userns(): `cordon run` can explain a failed clone() with
// explain_userns(step, errno, read_userns_facts()) without probing first.
UsernsFacts read_userns_facts();

// ---- Landlock ---------------------------------------------------------------------

// What each ABI version adds (version, Linux release, what).
struct LandlockAbiFeature {
  int abi;
  const char* linux_version;
  const char* adds;
};
const std::vector<LandlockAbiFeature>& landlock_abi_features();

struct LandlockReport : Finding {
  int abi = 0;      // 0: unavailable
  int err = 0;      // errno of landlock_create_ruleset(VERSION) when abi == 0
  std::string lsm;  // /sys/kernel/security/lsm, when readable
};
LandlockReport explain_landlock(int abi, int err, const std::string& lsm,
                                const std::string& container);

// ---- seccomp -----------------------------------------------------------------------

struct SeccompReport : Finding {
  bool filters = false;     // SECCOMP_SET_MODE_FILTER with SECCOMP_RET_ERRNO
  bool user_notif = false;  // SECCOMP_RET_USER_NOTIF (Linux 5.0+)
  int current_mode = 0;     // 0 none, 1 strict, 2 filtered already (a container's profile)
};
SeccompReport explain_seccomp(bool filters, int filters_err, bool user_notif, int current_mode);

// ---- cgroups -------------------------------------------------------------------------

struct CgroupReport : Finding {
  CgroupHost host;
  // What Cgroup::create would use for memory + pids + cpu limits (None: it
  // would refuse such a policy).
  CgroupVersion version = CgroupVersion::None;
};
CgroupReport explain_cgroups(const CgroupHost& host, pid_t self = 0);

// ---- nftables in a user namespace ---------------------------------------------------

struct NftReport : Finding {
  std::string nft_path;        // "" when no nft binary was found
  bool user_netns = false;     // a user + network namespace could be created
  bool table_created = false;  // `nft add table` worked inside it (never on the host's rule set)
  std::string failed_step;
  int err = 0;
};
NftReport explain_nftables(const std::string& nft_path, bool user_netns, bool table_created,
                           const std::string& failed_step, int err, const std::string& nft_stderr);

// ---- the whole host ------------------------------------------------------------------

struct HostReport {
  std::string kernel;     // uname -r
  std::string container;  // detect_container()
  bool root = false;
  UsernsReport userns;
  LandlockReport landlock;
  SeccompReport seccomp;
  CgroupReport cgroups;
  NftReport nftables;
};

struct DetectOptions {
  // Pretend that user namespaces are unavailable (tests of landlock mode on
  // hosts that have them): set by CORDON_ASSUME_NO_USERNS=1.
  bool assume_no_userns = false;
  bool probe_cgroups = true;
  bool probe_nftables = true;  // runs nft in a throwaway namespace: doctor only
  CgroupOptions cgroup;
};
// Defaults, with assume_no_userns from the environment.
DetectOptions detect_options_from_env();

HostReport detect_host(const DetectOptions& options = {});

// "full": user namespaces + Landlock + seccomp; "landlock": Landlock +
// seccomp without user namespaces; "none": cordon cannot contain here.
std::string mode_for(const HostReport& report);
// One sentence on what a mode enforces.
const char* mode_description(const std::string& mode);

// "docker", "podman", "kubernetes", "lxc", "container" (other), or "" when
// nothing suggests one. A hint for explanations, not a security boundary.
std::string detect_container();

// The first executable `name` in $PATH, then /usr/sbin and /sbin; "" if none.
std::string find_program(const std::string& name);

}  // namespace cordon::sandbox
