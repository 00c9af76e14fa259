// Resource limits through cgroups: one cgroup per run, nested under the
// cgroup cordon itself runs in, holding the memory, pids and CPU limits of
// the policy, removed again when the run ends.
//
// cgroup v2 is the primary path (every current distribution). Where the v2
// hierarchy offers none of the controllers we need but the legacy v1
// hierarchies are mounted and writable (root on an older or hybrid host,
// this project's own machines), the v1 path gives the same limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace cordon::sandbox {

// The policy's [resources] memory / pids / cpu, one field each.
struct ResourceLimits {
  std::optional<uint64_t> memory_bytes;  // memory.max (v2), memory.limit_in_bytes (v1)
  std::optional<uint64_t> pids;          // pids.max: processes and threads, the tree included
  std::optional<double> cpus;            // cpu.max: 1.5 = one and a half CPUs' worth of time

  [[nodiscard]] bool empty() const { return !memory_bytes && !pids && !cpus; }
};

enum class CgroupVersion { None, V1, V2 };
const char* cgroup_version_name(CgroupVersion version);  // "none", "v1", "v2"

// Why a run ended, as far as its cgroup saw it.
struct CgroupEvents {
  uint64_t oom_kills = 0;       // processes the OOM killer killed inside the cgroup
  uint64_t pids_max_hits = 0;   // fork/clone attempts refused by pids.max
  bool memory_max_hit = false;  // the memory limit was reached at least once
};

struct CgroupOptions {
  // Where the hierarchies are mounted: cgroup2 at fs_root itself (pure v2)
  // or at fs_root/unified (hybrid); v1 controllers at fs_root/<controller>.
  // Tests pass a fake tree in a temporary directory.
  std::string fs_root = "/sys/fs/cgroup";
  // The content of /proc/self/cgroup; read from there when unset.
  std::optional<std::string> self_cgroup;
  // V1 or V2: consider only that path (tests, `cordon doctor`); None: choose.
  CgroupVersion only = CgroupVersion::None;
};

// ---- what the host offers (read only, no changes) --------------------------

// /proc/self/cgroup, parsed: the v2 line "0::PATH" and one entry per v1
// controller ("4:memory:/a" -> {"memory", "/a"}; co-mounted hierarchies such
// as "cpu,cpuacct" give one entry per controller). Named hierarchies
// ("name=systemd") hold no controller and are skipped. A path with ".."
// (a cgroup outside our cgroup namespace) is refused.
struct SelfCgroup {
  std::optional<std::string> v2_path;
  struct V1 {
    std::string controller;
    std::string hierarchy;  // the second field as written: "cpu,cpuacct"
    std::string path;
  };
  std::vector<V1> v1;
};
Result<SelfCgroup> parse_self_cgroup(std::string_view text);

struct CgroupV2Info {
  bool mounted = false;
  std::string root;                          // the hierarchy's mount point
  std::string path;                          // our cgroup, "/user.slice/..."
  std::string dir;                           // root + path
  std::vector<std::string> controllers;      // cgroup.controllers: what we may enable below us
  std::vector<std::string> subtree_control;  // already enabled below us
  std::vector<pid_t> procs;                  // processes in our cgroup itself
  bool is_root = false;   // the real root cgroup: exempt from the no-internal-processes rule
  bool writable = false;  // we may create cgroups, move processes and enable controllers here
};

struct CgroupV1Info {
  std::string controller;  // "memory"
  std::string dir;         // our cgroup in that hierarchy
  bool writable = false;
};

struct CgroupHost {
  std::string fs_root;  // as in CgroupOptions
  std::string error;    // set when /proc/self/cgroup could not be read or parsed
  CgroupV2Info v2;
  std::vector<CgroupV1Info> v1;  // only the controllers that are mounted and that we are in
  [[nodiscard]] const CgroupV1Info* v1_controller(std::string_view name) const;
};
CgroupHost read_cgroup_host(const CgroupOptions& options = {});

// "memory", "pids", "cpu": the controllers the limits need, in that order.
std::vector<std::string> needed_controllers(const ResourceLimits& limits);

// Pure: whether each hierarchy can hold cgroups with these limits on this
// host, and why not. v2 is usable when our cgroup is writable and offers
// every needed controller (and, if the controllers are not enabled yet,
// holds no process but ours: see Cgroup::create); v1 when every needed
// controller is mounted there and writable (root).
struct CgroupAssessment {
  std::string v2_why;  // "" when v2 is usable
  std::string v1_why;  // "" when v1 is usable
};
CgroupAssessment assess_cgroups(const CgroupHost& host, const ResourceLimits& limits,
                                pid_t self = 0);

// Which hierarchy create() uses (v2 first), or an error naming what is
// missing and how to get it.
Result<CgroupVersion> choose_cgroup_version(const CgroupHost& host, const ResourceLimits& limits,
                                            CgroupVersion only = CgroupVersion::None,
                                            pid_t self = 0);

// What to do when neither hierarchy is usable (delegation, root, container
// flags), for error messages and `cordon doctor`.
const char* cgroup_fix_advice();

// Rejects limits the kernel would refuse or that make no sense (pids 0,
// less than 1% of a CPU, memory 0), with the field named.
Status validate_limits(const ResourceLimits& limits);

// ---- one run's cgroup --------------------------------------------------------

// Move-only. The destructor kills whatever is still inside and removes the
// directories (the processes must be gone for rmdir; it retries briefly).
class Cgroup {
 public:
  // Creates cordon-<pid>-<n> under our own cgroup and writes the limits.
  //
  // v2: if a needed controller is not yet enabled in our cgroup's
  // cgroup.subtree_control, it is enabled there. The kernel forbids that
  // while processes live in our cgroup itself ("no internal processes"), so
  // when we are the only one there, cordon first moves itself into a leaf
  // cordon-<pid>-supervisor (moved back and removed when the last Cgroup of
  // this process goes away). With other processes there it refuses rather
  // than move processes that are not its own.
  // v1: one cgroup per needed controller (plus freezer, to stop a tree
  // before killing it), each under our cgroup of that hierarchy.
  static Result<Cgroup> create(const ResourceLimits& limits, const CgroupOptions& options = {});

  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  // Moves `pid` (its whole thread group) in: cgroup.procs of the v2 cgroup,
  // or of each v1 controller's cgroup. Its future children follow it.
  Status add(pid_t pid);
  // The v2 cgroup's directory fd, for clone3(CLONE_INTO_CGROUP); -1 on v1.
  [[nodiscard]] int dir_fd_v2() const;
  // Kills every process inside: cgroup.kill (v2, Linux 5.14+); else freeze,
  // SIGKILL every pid, thaw, until empty (v2 without cgroup.kill, v1). Does
  // not wait for them to exit; remove() does.
  Status kill_all();
  [[nodiscard]] CgroupEvents events() const;
  [[nodiscard]] CgroupVersion version() const { return version_; }
  // The processes inside (v2: cgroup.procs; v1: the first controller's).
  [[nodiscard]] std::vector<pid_t> pids() const;
  // The directories created, for messages and tests.
  [[nodiscard]] std::vector<std::string> paths() const;
  // kill_all(), then rmdir each directory, retrying for up to ~2 s while the
  // killed processes exit. Idempotent; the destructor calls it.
  Status remove();

 private:
  struct Dir {
    std::string controller;  // v1: the controller; v2: ""
    std::string path;
    UniqueFd fd;  // O_DIRECTORY
  };
  Cgroup() = default;

  CgroupVersion version_ = CgroupVersion::None;
  std::vector<Dir> dirs_;
  // The tree is not a cgroup filesystem (tests): no kernel creates or
  // removes interface files and no pid in it is real, so files are created
  // on write, deleted before rmdir, and no signal is ever sent.
  bool fake_ = false;
  bool holds_supervisor_leaf_ = false;
};

}  // namespace cordon::sandbox
