// Choosing the workspace: the one tree the command may write. cordon picks
// and canonicalises it from the caller's side; the agent never chooses it
// (Codex CVE-2025-59532).
#pragma once

#include <string>

#include "base/error.h"

namespace cordon::sandbox {

// `requested` is --workspace (may be empty: use `cwd`). Returns the
// canonical path, or an error when it is not a directory, or is "/", the
// home directory itself, an ancestor of it, or a system directory, unless
// `force` is set.
Result<std::string> choose_workspace(const std::string& requested, const std::string& cwd,
                                     const std::string& home, bool force);

// Pure part of the check, for unit tests: why `canonical_ws` is unsafe, or
// an empty string when it is fine.
std::string unsafe_workspace_reason(const std::string& canonical_ws,
                                    const std::string& canonical_home);

// Whether the absolute, canonical `path` lies strictly below `root` (every
// path does below "/"), or is `root` itself.
bool is_under(const std::string& path, const std::string& root);
bool is_at_or_under(const std::string& path, const std::string& root);

}  // namespace cordon::sandbox
