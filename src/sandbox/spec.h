// What the containment sequence needs to know, fully resolved on the host
// side before the child builds anything: no policy patterns, no globs, only
// absolute paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "sandbox/cgroups.h"
#include "sandbox/landlock.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"

namespace cordon::sandbox {

enum class MountKind {
  ReadOnly,   // bind the host path read-only, recursively (submounts too)
  ReadWrite,  // bind the host path read-write (still nosuid, nodev)
  Protected,  // read-only bind inside a writable tree (deny_write)
  Pin,        // bind the directory onto itself read-write, so that it becomes
              // a mount point: renaming or removing it then fails with EBUSY
  HideDir,    // deny_read of a directory: an empty, read-only tmpfs over it
  HideFile,   // deny_read of a file: an empty, read-only file over it
  Tmpfs,      // a private, writable, size-bounded tmpfs (/tmp, /run, ...)
};

const char* mount_kind_name(MountKind kind);

struct MountEntry {
  MountKind kind;
  std::string path;  // absolute and canonical; the same inside and outside
};

// A protected name in a writable tree. When it does not exist, the
// supervisor creates an empty placeholder there (marked with an xattr) so
// that a read-only mount can cover it; the last concurrent run in the
// workspace removes the marked placeholders again when it ends.
struct Placeholder {
  std::string path;
  bool directory = false;
  bool missing = false;  // nothing exists at `path` now: create the placeholder
};

// A symbolic link recreated in the new root, for system directories that
// are links on the host (/bin -> usr/bin on merged-/usr systems).
struct Symlink {
  std::string path;
  std::string target;
};

// A file's identity and change time, taken before the run.
struct FileState {
  std::string path;
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t ctime_sec = 0;
  int64_t ctime_nsec = 0;
};

enum class Mode {
  Full,      // user, mount, pid, ipc, uts, net namespaces + Landlock + seccomp
  Landlock,  // no user namespaces on this host: Landlock + seccomp on the host's tree
};

struct Spec {
  Mode mode = Mode::Full;
  std::vector<std::string> argv;   // argv[0] is looked up in PATH inside
  std::vector<std::string> envp;   // "NAME=value", already scrubbed
  std::string workspace;           // canonical absolute path
  std::string cwd;                 // where the command starts, inside the root
  std::string home;                // the caller's home directory
  std::vector<MountEntry> mounts;  // ancestors always before descendants
  std::vector<Symlink> symlinks;
  std::vector<Placeholder> placeholders;
  std::vector<FileState> git_baseline;  // hooks and configs in writable trees, before the run
  // Landlock mode cannot mount over protected names: their state before the
  // run, so the sweep can find and undo what the run changed.
  std::vector<FileState> protected_baseline;
  std::vector<std::string> protected_roots;  // the protected paths themselves
  double timeout_seconds = 0;                // 0: no wall-clock limit
  uint64_t tmpfs_bytes = 0;  // size of each private tmpfs; 0: the kernel's default (half of RAM)
  ResourceLimits limits;     // cgroup limits; when any is set, a cgroup is required
  RlimitSettings rlimits;    // always applied in the child (core dumps off at least)
  // The second wall: Landlock rules mirroring the mount tree (applied when
  // the kernel has Landlock; required when the policy says so), and the
  // seccomp filter, installed last.
  bool landlock = true;
  LandlockRules landlock_rules;
  // Full mode: the child opens the egress listeners (127.0.0.1:3128 HTTP,
  // :1080 SOCKS5) in its network namespace and passes them to the
  // supervisor, whose proxy is then the only way out. Landlock mode has
  // its listeners on the host's loopback; landlock_rules lets TCP connect
  // reach their ports only.
  bool egress = false;
  SeccompOptions seccomp;
};

// The part of a full-mode Spec that the child needs, as bytes for the setup
// socket. The child is cloned before the policy is loaded (its network
// namespace is made while the supervisor plans), so the plan cannot reach
// it through the copy of memory that clone() makes: the supervisor encodes
// it once planned, and the child decodes it before it builds anything.
// Carried: argv, envp, workspace, cwd, mounts, symlinks, tmpfs_bytes,
// rlimits, landlock, landlock_rules, egress. Not carried: what only the
// supervisor uses (placeholders, baselines, limits, timeout, seccomp
// options: the program itself is sent compiled).
std::string encode_for_child(const Spec& spec);
// A malformed or truncated encoding is an error, never a partial Spec.
Result<Spec> decode_for_child(std::string_view bytes);

}  // namespace cordon::sandbox
