// The decision on one tool call of an agent: allow, ask or deny, with the
// reason and the rule (and its file and line) that decided.
//
// Order, as Claude Code's: a matching deny rule, then ask, then allow. A
// call no rule decides is allowed when its effects stay inside the sandbox's
// boundary (a Bash command that runs under `cordon run`, a read of what the
// sandbox shows, an edit of what it lets the command write, a fetch of a
// host the egress policy allows), unless [tools] contained_calls = "ask";
// anything that crosses the boundary needs a rule, else it is asked.
//
// Built once per policy (CallPolicy), then decide() is pure and cheap: the
// rules are parsed and indexed up front.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "policy/toolrules.h"

namespace cordon::policy {

enum class CallVerdict { Allow, Ask, Deny };
const char* call_verdict_name(CallVerdict v);  // "allow", "ask", "deny"

struct ToolCall {
  std::string tool;  // "Bash", "Read", "mcp__github__create_issue"
  nlohmann::json input = nlohmann::json::object();
};

struct CallContext {
  std::string cwd;        // where the agent is (relative paths)
  std::string home;       // "~"
  std::string workspace;  // the sandbox's writable project
  // Bash commands run under `cordon run` (cordon hook rewrites them); false
  // when the caller says the call runs outside any sandbox.
  bool contained = true;
};

struct CallDecision {
  CallVerdict verdict = CallVerdict::Ask;
  std::string reason;  // a sentence for the person (or the agent, on deny)
  // The deciding rule as written, and where; empty when no rule decided.
  std::string rule;
  std::string source;
  int line = 0;
  // The call runs or acts outside the sandbox (recorded as such).
  bool outside = false;
};

class CallPolicy {
 public:
  // Rules that do not parse were refused when the policy was loaded; any
  // left are skipped here.
  CallPolicy(const Policy& policy, const CallContext& context);
  ~CallPolicy();
  CallPolicy(CallPolicy&&) noexcept;
  CallPolicy& operator=(CallPolicy&&) noexcept;

  [[nodiscard]] CallDecision decide(const ToolCall& call) const;

  // Whether `path` (absolute, canonical) is readable / writable under the
  // filesystem policy: what the sandbox would show or let a command write.
  [[nodiscard]] bool readable(const std::string& path) const;
  [[nodiscard]] bool writable(const std::string& path) const;
  // Whether a path is private data: hidden by deny_read.
  [[nodiscard]] bool private_path(const std::string& path) const;
  [[nodiscard]] const CallContext& context() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cordon::policy
