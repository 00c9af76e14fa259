// Before and after the run, on the host side of the workspace:
// placeholders for protected names that do not exist yet, and the sweep
// that finds persistence planted where no mount could pre-empt it (nested
// repositories created during the run, or a top-level .git made by the
// command), reports it, and neutralises it.
#pragma once

#include <ctime>
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

// Looks under `workspace` for git directories whose hooks or config were
// created or changed at or after `since` (ctime, which the command cannot
// set back), and neutralises what could run code in a later git command
// outside the sandbox: active hooks are renamed aside and made
// non-executable; a config with keys that run programs is renamed aside.
std::vector<SweepFinding> sweep_workspace(const std::string& workspace, struct timespec since);

// Whether a git config file's text sets anything that makes git run a
// program or load other config (core.hooksPath, core.fsmonitor, filters,
// aliases with "!", include.path, ...). Pure; for unit tests. On a finding,
// `key` is set to the first dangerous key.
bool git_config_is_dangerous(const std::string& text, std::string* key);

}  // namespace cordon::sandbox
