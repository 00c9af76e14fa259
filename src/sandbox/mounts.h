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

// The new root while it is being built: a fresh tmpfs, and the
// filesystems we created ourselves in it (only there may a missing mount
// point be created; a missing destination inside a host tree, the
// workspace say, is an error, never something we quietly create there).
struct NewRoot {
  UniqueFd fd;
  std::vector<dev_t> owned;
};

// Step 1, before the plan is known (the child builds it while the
// supervisor plans): the new root, a tmpfs attached over /dev of our
// private mount namespace, with what every sandbox has: the harmless
// character devices of the host's /dev (cloned before /dev is covered), a
// devpts of its own, a fresh /proc. /dev is where the root can wait: the
// plan never binds a source there (a workspace under /dev is refused), so
// every host path a later step opens by name is still the host's.
Result<NewRoot> make_skeleton();

// Step 2, with the plan, while the host's tree is still visible at its own
// paths: clone every source.
// Entries under `workspace` are resolved from `workspace_fd` with no symlinks.
Result<std::vector<PreparedMount>> prepare_mounts(const std::vector<MountEntry>& entries,
                                                  const std::string& workspace, int workspace_fd);

// Step 3: place every prepared mount, ancestors first, plus /dev/shm and
// the private tmpfs (/tmp, /run); then make the skeleton read-only.
// `tmpfs_bytes` bounds each private tmpfs (/tmp, /run, /dev/shm...; 0: the
// kernel's default), so filling one cannot exhaust the host's memory.
Status populate_root(NewRoot& root, std::vector<PreparedMount>& mounts,
                     const std::vector<Symlink>& symlinks, uint64_t tmpfs_bytes);

// Step 4: pivot_root into `root_fd` and detach the old root entirely.
Status enter_root(int root_fd);

}  // namespace cordon::sandbox
