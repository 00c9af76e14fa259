// What `cordon check` and `cordon hook` share: the effective policy (cordon's
// files and flags, Claude Code's and sandbox-runtime's settings) turned into
// the decision engine for one workspace, and a tool call read from JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "cli/policy_flags.h"
#include "policy/decide_call.h"

namespace cordon::cli {

struct ToolSetup {
  policy::Policy policy;
  policy::CallContext context;
};

// Loads the policy for `workspace` (canonical) with the agent at `cwd`.
Result<ToolSetup> tool_setup(const PolicyFlags& flags, const std::string& workspace,
                             const std::string& cwd, bool contained);

// {"tool": "Bash", "input": {...}} (also "tool_name"/"tool_input", as hooks
// send them): guard::tool_call_from_json, the hook's own reader.
Result<policy::ToolCall> tool_call_from_json(const nlohmann::json& j);

// The decision as JSON: {"decision", "reason", "rule", "source", "line", "outside"}.
nlohmann::json decision_json(const policy::CallDecision& d);

}  // namespace cordon::cli
