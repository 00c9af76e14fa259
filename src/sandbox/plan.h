// From policy to mount plan: turns the effective policy's patterns into the
// concrete, canonical list of mounts, links and placeholders that the
// containment sequence applies. Host-side and before clone(): it reads the
// host's filesystem (globs, symlinks, existence), nothing else.
#pragma once

#include <functional>
#include <string>
#include <utility>
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

// Full mode: the mount tree, mirrored by Landlock rules.
Result<Spec> plan(const policy::Policy& policy, const PlanInput& input);

// Landlock mode (no user namespaces): Landlock rules over the host's own
// tree. A read-denied path inside a readable tree is expressed by granting
// the tree's other entries one by one (Landlock only allows), so such a
// directory cannot be listed; protected names are only swept afterwards.
Result<Spec> plan_landlock(const policy::Policy& policy, const PlanInput& input);

// The guarantees a mode gives on this host ("landlock" needs an ABI,
// "network-isolation" in Landlock mode needs ABI 6), and for each one it
// cannot give, why. Pure.
struct Guarantees {
  std::vector<std::string> given;
  std::vector<std::pair<std::string, std::string>> missing;  // name, why
};
Guarantees guarantees(Mode mode, int landlock_abi);

// The policy's `require` entries that `g` does not give, each with why.
std::vector<std::pair<std::string, std::string>> unmet(const policy::Policy& policy,
                                                       const Guarantees& g);

// Pure: the paths that grant everything under `tree` except the `denied`
// paths (canonical), splitting directories that contain a denied path into
// their entries. `list` returns a directory's entry names.
std::vector<std::string> split_around(
    const std::string& tree, const std::vector<std::string>& denied,
    const std::function<std::vector<std::string>(const std::string&)>& list);

// Pure: orders mount entries so that every ancestor comes before its
// descendants, and collapses entries that change nothing (a read-only path
// inside a read-only tree). Exposed for unit tests.
std::vector<MountEntry> order_mounts(const std::vector<MountEntry>& entries);

}  // namespace cordon::sandbox
