#include "guard/hook.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace cordon::guard {
namespace {

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

HookEvent event_of(std::string_view name) {
  if (name == "SessionStart") return HookEvent::SessionStart;
  if (name == "UserPromptSubmit") return HookEvent::UserPromptSubmit;
  if (name == "PreToolUse") return HookEvent::PreToolUse;
  if (name == "PostToolUse") return HookEvent::PostToolUse;
  return HookEvent::Other;
}

bool tool_event(const HookInput& in) {
  return in.event == HookEvent::PreToolUse || in.event == HookEvent::PostToolUse;
}

HookAnswer failed(int status, std::string why) {
  HookAnswer a;
  a.status = status;
  a.error = std::move(why);
  return a;
}

// A tool event that cannot be answered: PreToolUse is blocked, PostToolUse
// (the call already ran) is reported.
HookAnswer refuse(const HookInput& in, std::string why) {
  return failed(in.event == HookEvent::PreToolUse ? 2 : 1, std::move(why));
}

HookAnswer pre_tool_use(const policy::ToolCall& call, const policy::CallPolicy& engine,
                        const HookOptions& options, SessionState& state) {
  policy::CallDecision d = engine.decide(call);
  if (options.flow != "off" && d.verdict != policy::CallVerdict::Deny) {
    FlowFinding f = check_flow(state, engine, call);
    if (f.hit) {
      d.verdict = options.flow == "deny" ? policy::CallVerdict::Deny : policy::CallVerdict::Ask;
      d.reason = "flow rule: " + f.reason;
      d.rule = fmt::format("[tools] flow = \"{}\"", options.flow);
      d.source.clear();
      d.line = 0;
    }
  }
  record_decision(
      state, fmt::format("{} {}: {}", call.tool, policy::call_verdict_name(d.verdict), d.reason));

  nlohmann::json specific = {{"hookEventName", "PreToolUse"},
                             {"permissionDecision", policy::call_verdict_name(d.verdict)},
                             {"permissionDecisionReason", "cordon: " + d.reason}};
  // Bash runs under `cordon run` unless the call asked to lift the sandbox
  // (then it is a rule's decision, made above) or the hook was told not to.
  if (call.tool == "Bash" && options.rewrite && d.verdict != policy::CallVerdict::Deny) {
    auto lift = call.input.find("dangerouslyDisableSandbox");
    bool lifted = lift != call.input.end() && lift->is_boolean() && lift->get<bool>();
    const std::string command = string_field(call.input, "command");
    const std::string prefix = shell_quote(options.self) + " run --workspace ";
    if (!lifted && !command.empty() && !command.starts_with(prefix)) {
      nlohmann::json updated = call.input;
      updated["command"] =
          prefix + shell_quote(options.workspace) + " -- bash -c " + shell_quote(command);
      specific["updatedInput"] = updated;
    }
  }
  HookAnswer a;
  // A reason may quote bytes that are not UTF-8 (a path as realpath gives
  // it): replaced, so that the answer is always written.
  a.output = nlohmann::json{{"hookSpecificOutput", specific}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  a.save = true;
  return a;
}

}  // namespace

Result<HookInput> parse_hook_input(std::string_view text) {
  if (text.size() > kMaxHookInput) return plain_error("hook input larger than 16 MiB");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return plain_error("hook input is not a JSON object");
  HookInput in;
  in.event = event_of(string_field(j, "hook_event_name"));
  in.session_id = string_field(j, "session_id");
  in.cwd = string_field(j, "cwd");
  in.json = std::move(j);
  return in;
}

Result<policy::ToolCall> tool_call_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    return plain_error("expected a JSON object {\"tool\": ..., \"input\": {...}}");
  policy::ToolCall call;
  auto tool = j.find("tool");
  if (tool == j.end()) tool = j.find("tool_name");
  if (tool == j.end() || !tool->is_string() || tool->get<std::string>().empty()) {
    return plain_error("expected \"tool\": the tool's name as a string");
  }
  call.tool = tool->get<std::string>();
  auto input = j.find("input");
  if (input == j.end()) input = j.find("tool_input");
  if (input != j.end()) {
    if (!input->is_object()) return plain_error("expected \"input\" to be a JSON object");
    call.input = *input;
  }
  return call;
}

bool needs_session(const HookInput& in) {
  switch (in.event) {
    case HookEvent::SessionStart:
    case HookEvent::UserPromptSubmit: return true;
    case HookEvent::PreToolUse:
    case HookEvent::PostToolUse: return tool_call_from_json(in.json).ok();
    case HookEvent::Other: return false;
  }
  return false;
}

HookAnswer answer_hook(const HookInput& in, const policy::CallPolicy& engine,
                       const HookOptions& options, SessionState* state) {
  if (in.event == HookEvent::Other) return {};
  std::optional<policy::ToolCall> call;
  if (tool_event(in)) {
    auto parsed = tool_call_from_json(in.json);
    if (!parsed.ok()) return refuse(in, parsed.error().what());
    call = std::move(*parsed);
  }
  if (state == nullptr) {
    return tool_event(in) ? refuse(in, "no session state") : failed(2, "no session state");
  }
  HookAnswer a;
  switch (in.event) {
    case HookEvent::SessionStart: {
      // A new or cleared conversation starts clean; a resumed one goes on.
      const std::string source = string_field(in.json, "source");
      if (source != "resume" && source != "compact") *state = SessionState{};
      a.save = true;
      return a;
    }
    case HookEvent::UserPromptSubmit:
      record_prompt(*state, string_field(in.json, "prompt"));
      a.save = true;
      a.save_required = true;
      return a;
    case HookEvent::PostToolUse: {
      auto response = in.json.find("tool_response");
      record_result(*state, engine, *call, response != in.json.end() ? *response : nlohmann::json(),
                    options.trusted_tools);
      a.save = true;
      return a;
    }
    case HookEvent::PreToolUse: return pre_tool_use(*call, engine, options, *state);
    case HookEvent::Other: break;
  }
  return a;
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace cordon::guard
