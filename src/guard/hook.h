// Claude Code's hook protocol without I/O: the event read from the hook's
// stdin, and the answer to it given the decision engine and the session's
// state.
//
// cordon hook (src/cli/cmd_hook.cc) reads stdin, loads the policy, locks
// the session's state file and writes the answer; everything here is pure,
// so that the hook's JSON can be fuzzed without touching a file
// (tests/fuzz/fuzz_hook.cc).
//
// Fails closed: input that is not a JSON object, or a PreToolUse whose tool
// call is malformed, is answered with exit status 2 (Claude Code blocks the
// call and shows the reason), never with an allow.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "guard/flow.h"
#include "policy/decide_call.h"

namespace cordon::guard {

constexpr std::size_t kMaxHookInput = 16 << 20;

enum class HookEvent { SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, Other };

struct HookInput {
  HookEvent event = HookEvent::Other;
  std::string session_id;
  std::string cwd;  // as the event gives it; empty when it gives none
  nlohmann::json json = nlohmann::json::object();  // the whole event
};

// The hook's stdin: a JSON object of at most kMaxHookInput bytes.
Result<HookInput> parse_hook_input(std::string_view text);

// {"tool": "Bash", "input": {...}}, also "tool_name"/"tool_input" as hooks
// send them. The tool is a non-empty string and the input, when present, an
// object.
Result<policy::ToolCall> tool_call_from_json(const nlohmann::json& j);

// Whether answering the event reads or changes the session's state: the
// caller opens (and locks) the session's file then, and passes its state.
// False for a tool event whose call is malformed: it is answered without.
bool needs_session(const HookInput& in);

struct HookOptions {
  std::string flow = "ask";                // [tools] flow: "ask", "deny" or "off"
  std::vector<std::string> trusted_tools;  // [tools] trusted
  // Bash commands are rewritten to run under `cordon run`: `self` is the
  // cordon binary and `workspace` the sandbox's project. No rewrite when
  // `rewrite` is false.
  bool rewrite = true;
  std::string self;
  std::string workspace;
};

struct HookAnswer {
  // 0 answered; 1 an error Claude Code shows but does not act on; 2 the
  // call is blocked and `error` shown.
  int status = 0;
  std::string output;  // stdout: PreToolUse's JSON answer, else empty
  std::string error;   // for stderr, when status is not 0
  // The session's state changed and is to be written back; when
  // `save_required`, a failed write blocks (a user's prompt must not be lost).
  bool save = false;
  bool save_required = false;
};

// The answer to one event. `state` is the session's state when
// needs_session(in), else may be null.
HookAnswer answer_hook(const HookInput& in, const policy::CallPolicy& engine,
                       const HookOptions& options, SessionState* state);

// `s` in single quotes for a POSIX shell ('\'' for each quote inside).
std::string shell_quote(std::string_view s);

}  // namespace cordon::guard
