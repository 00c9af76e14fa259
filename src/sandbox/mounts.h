// Building the sandbox's filesystem: a fresh tmpfs root, populated with
// detached clones of host trees moved onto destinations that are opened
// relative to the new root's fd. No destination is ever resolved from a
// path string that a symlink could redirect.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "sandbox/spec.h"

namespace cordon::sandbox {

// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS:
// `rel` must stay under `dirfd` and may not pass through any symlink.
Result<UniqueFd> open_beneath(int dirfd, const std::string& rel, int flags);

// A mount that has been cloned from the host (or created) but not yet placed.
struct PreparedMount {
  MountEntry entry;
  UniqueFd tree;  // detached mount (open_tree clone or fsmount)
  bool directory = true;
  // The identity of a cloned host tree's root, taken when it was cloned: the
  // destination must lead to it once the tree is attached.
  dev_t dev = 0;
  ino_t ino = 0;
};

// Step 1, while the host tree is still visible at its own paths: clone
// every source. Done before anything is mounted over a path a source might
// live under (a workspace in /tmp, for instance).
// Entries under `workspace` are resolved from `workspace_fd` with no symlinks.
Result<std::vector<PreparedMount>> prepare_mounts(const std::vector<MountEntry>& entries,
                                                  const std::string& workspace, int workspace_fd);

// Step 2: a new tmpfs for the root, attached over `attach_point` in our
// private mount namespace (it only needs to be some existing directory).
Result<UniqueFd> make_root(const char* attach_point);

// Step 3: place every prepared mount, ancestors first, plus /dev, /proc,
// /tmp, /dev/shm, /run; then make the skeleton read-only.
// `tmpfs_bytes` bounds each private tmpfs (/tmp, /run, /dev/shm...; 0: the
// kernel's default), so filling one cannot exhaust the host's memory.
Status populate_root(int root_fd, std::vector<PreparedMount>& mounts,
                     const std::vector<Symlink>& symlinks, bool want_devpts, uint64_t tmpfs_bytes);

// Step 4: pivot_root into `root_fd` and detach the old root entirely.
Status enter_root(int root_fd);

}  // namespace cordon::sandbox
