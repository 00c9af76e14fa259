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
#include "sandbox/spec.h"

namespace cordon::sandbox {

// Creates each placeholder that is missing; returns the ones this run made.
Result<std::vector<Placeholder>> create_placeholders(const std::vector<Placeholder>& wanted);

// Removes the placeholders this run made, if they are still the empty
// directory or empty file it made.
void remove_placeholders(const std::vector<Placeholder>& made);

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
