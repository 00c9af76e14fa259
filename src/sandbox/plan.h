// From policy to mount plan: turns the effective policy's patterns into the
// concrete, canonical list of mounts, links and placeholders that the
// containment sequence applies. Host-side and before clone(): it reads the
// host's filesystem (globs, symlinks, existence), nothing else.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "policy/policy.h"
#include "sandbox/spec.h"

namespace cordon::sandbox {

struct PlanInput {
  std::string workspace;  // canonical absolute
  std::string home;       // absolute
  std::string cwd;        // the caller's canonical cwd
  std::vector<std::string> argv;
  std::vector<std::string> environ;  // already scrubbed
};

// Most hard-linked files in writable trees that are made read-only one by
// one; past this, cordon refuses to run rather than leave them writable.
inline constexpr size_t kMaxHardLinkedFiles = 4096;

Result<Spec> plan(const policy::Policy& policy, const PlanInput& input);

// Pure: orders mount entries so that every ancestor comes before its
// descendants, and collapses entries that change nothing (a read-only path
// inside a read-only tree). Exposed for unit tests.
std::vector<MountEntry> order_mounts(std::vector<MountEntry> entries);

}  // namespace cordon::sandbox
