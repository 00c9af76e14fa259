// Before and after the run, on the host side of the workspace:
// placeholders for protected names that do not exist yet, and the sweep
// that finds persistence planted where no mount could pre-empt it (nested
// repositories created during the run, or a top-level .git made by the
// command), reports it, and neutralises it.
#pragma once

#include <sys/stat.h>

#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "sandbox/spec.h"

namespace cordon::sandbox {

// The placeholders of one run, under a shared flock on the workspace
// directory: any number of runs may share a workspace, and the one that
// ends last (the only one that can take the lock exclusively) removes every
// marked placeholder that is still empty. Removing them earlier would
// detach the protecting mounts of the runs still going.
class PlaceholderLease {
 public:
  // Takes the shared lock and creates the missing placeholders.
  static Result<PlaceholderLease> acquire(const std::string& workspace,
                                          const std::vector<Placeholder>& candidates);
  PlaceholderLease(PlaceholderLease&&) noexcept = default;
  PlaceholderLease& operator=(PlaceholderLease&&) noexcept = default;
  PlaceholderLease(const PlaceholderLease&) = delete;
  PlaceholderLease& operator=(const PlaceholderLease&) = delete;
  ~PlaceholderLease() { release(); }

  // Removes the placeholders if this is the last run in the workspace.
  void release();

 private:
  PlaceholderLease() = default;
  UniqueFd lock_;
  std::vector<Placeholder> candidates_;
  std::vector<std::string> made_;  // ours, for filesystems without user xattrs
};

// The xattr that marks a placeholder as cordon's.
inline constexpr const char* kPlaceholderXattr = "user.cordon.placeholder";

struct SweepFinding {
  std::string path;    // what was found
  std::string what;    // why it matters
  std::string action;  // what cordon did about it
};

// A file in a git directory that can make a later git command run code.
struct GitItem {
  std::string path;     // for reports and the baseline
  int dirfd = -1;       // the directory it is in, opened without following symlinks
  std::string name;     // its name in dirfd: every action is fd-relative
  bool hook = false;    // a hook
  bool marker = false;  // HEAD of a bare repository (the workspace turned into one)
};

struct WalkVisitor {
  // Every regular file in the tree (not following symlinks or mounts).
  std::function<void(const std::string&, const struct stat&)> on_file;
  // Every hook and config of every git directory in the tree: ".git"
  // directories, their submodules' git directories, bare repositories.
  std::function<void(const GitItem&)> on_git_item;
  // A directory that could not be read for a reason other than being gone
  // or closed to the caller too (EMFILE, ENOMEM, listable but not
  // readable): what is below it was not visited.
  std::function<void(const std::string& path, int err)> on_error;
  // Below a subdirectory for which this says true, on_file is not called
  // and files are not stat'ed (a tree that is read-only or hidden inside the
  // sandbox anyway); its directories are still read, for on_git_item.
  std::function<bool(const std::string& path)> no_files_below;
};

// One pass over a writable tree, for both the hard-link check before the
// run and the git baseline / sweep. Large trees are read by up to four
// threads (all joined before it returns); the visitor is called by one
// thread at a time, in no particular order.
void walk_workspace(const std::string& root, const WalkVisitor& visit);

// Appends the item's identity and ctime to the baseline taken before the run.
void record_git_item(const GitItem& item, std::vector<FileState>& baseline);

// After the run: every git hook or config under `workspace` that is not in
// the baseline, or whose inode or ctime (which the command cannot set back)
// differs from it, was created or changed by the run. Active hooks are
// renamed aside and made non-executable; a config that sets any key that
// can run a program is renamed aside. Each one is reported.
std::vector<SweepFinding> sweep_workspace(const std::string& workspace,
                                          const std::vector<FileState>& baseline);

// Landlock mode: the state of each protected path and of everything below
// it, before the run.
void record_protected(const std::vector<std::string>& roots, std::vector<FileState>& baseline);

// Landlock mode, after the run: a protected path that the run created is
// renamed aside whole; a file below an existing protected path that the run
// created or changed is renamed aside. Each one is reported.
std::vector<SweepFinding> sweep_protected(const std::vector<std::string>& roots,
                                          const std::vector<FileState>& baseline);

// Whether a git config file's text sets anything that makes git run a
// program or load other config (core.hooksPath, core.fsmonitor, filters,
// aliases with "!", include.path, ...). Pure; for unit tests. On a finding,
// `key` is set to the first dangerous key.
bool git_config_is_dangerous(const std::string& text, std::string* key);

}  // namespace cordon::sandbox
