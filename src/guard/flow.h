// Session flow rules (DESIGN.md, Application layer): what a session has
// seen, and whether a call would complete an exfiltration.
//
// A session records the user's own words (trusted), content from untrusted
// sources (web fetches and searches, MCP tools not marked trusted, files
// read outside the workspace), and reads of private data (what the sandbox
// hides). A call is a sink when it sends data out or acts outside the
// sandbox. Two rules, each answered by [tools] flow ("ask" or "deny"):
//   - trifecta: untrusted input + private data + a sink;
//   - provenance: the sink's destination (a host, an e-mail address, a path
//     outside the workspace) appeared in untrusted content and never in the
//     user's prompts.
// Pure: the state is a value; session.h stores it.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policy/decide_call.h"

namespace cordon::guard {

struct SessionState {
  bool untrusted = false;  // has seen untrusted content
  bool private_data = false;
  std::string first_untrusted;             // what brought it ("WebFetch https://...")
  std::string first_private;               // "Read /home/u/.ssh/id_rsa"
  std::set<std::string> trusted_tokens;    // from the user's prompts
  std::set<std::string> untrusted_tokens;  // from untrusted content
  std::vector<std::string> events;         // one line per recorded event (bounded)

  [[nodiscard]] nlohmann::json to_json() const;
  static SessionState from_json(const nlohmann::json& j);
};

// Hosts (from URLs and bare domain names), e-mail addresses and absolute or
// "~/" paths in a text, lower-cased where case does not matter. Bounded: at
// most `limit` tokens, texts beyond 1 MiB are cut.
std::set<std::string> destinations(std::string_view text, size_t limit = 4096);

// What the tool's output contributes, after it ran (PostToolUse).
void record_result(SessionState& s, const policy::CallPolicy& policy, const policy::ToolCall& call,
                   const nlohmann::json& response, const std::vector<std::string>& trusted_tools);
// The user's prompt (UserPromptSubmit): its destinations become trusted.
void record_prompt(SessionState& s, std::string_view prompt);
// A decision on a call (PreToolUse), as one line of the bounded event log.
void record_decision(SessionState& s, std::string_view line);

struct FlowFinding {
  bool hit = false;
  std::string reason;
};

// Whether the call is a sink, and if so whether a flow rule fires.
FlowFinding check_flow(const SessionState& s, const policy::CallPolicy& policy,
                       const policy::ToolCall& call);

// The call's destinations, when it is a sink (empty set and false when not).
bool is_sink(const policy::CallPolicy& policy, const policy::ToolCall& call,
             std::set<std::string>* destinations_out);

}  // namespace cordon::guard
