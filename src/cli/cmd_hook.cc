// cordon hook: Claude Code's hook protocol on stdin/stdout.
//
// Register it for PreToolUse, PostToolUse, UserPromptSubmit and SessionStart
// (README). For PreToolUse it answers allow, ask or deny with the reason,
// and rewrites a Bash command so that it runs under `cordon run` (the
// updatedInput field); the other events feed the session's flow state.
//
// Fails closed: when the input cannot be read or the policy is invalid, a
// PreToolUse gets exit status 2 (Claude Code blocks the call and shows the
// reason), never a silent pass.
#include <limits.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.h"
#include "cli/tool_calls.h"
#include "guard/session.h"

namespace cordon::cli {
namespace {

constexpr size_t kMaxInput = 16 << 20;

struct HookArgs {
  PolicyFlags policy;
  bool no_sandbox = false;
};

// Exit status 2: Claude Code blocks the tool call and shows stderr.
int block(const std::string& why) {
  std::fprintf(stderr, "cordon hook: %s\n", why.c_str());
  return 2;
}

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "cordon";
  return std::string(buf, static_cast<size_t>(n));
}

std::string shell_quote(const std::string& s) {
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

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> trusted_tools(const policy::Policy& p) {
  std::vector<std::string> out;
  for (const auto& e : p.tools.trusted) out.push_back(e.value);
  return out;
}

int run(const HookArgs& args) {
  std::string text;
  text.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (text.size() > kMaxInput) return block("hook input larger than 16 MiB");
  auto in = nlohmann::json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object()) return block("hook input is not a JSON object");
  const std::string event = string_field(in, "hook_event_name");
  const std::string session_id = string_field(in, "session_id");
  std::string cwd = string_field(in, "cwd");
  if (cwd.empty()) {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) != nullptr) cwd = buf;
  }
  const char* project = std::getenv("CLAUDE_PROJECT_DIR");
  const std::string workspace = project != nullptr && *project != '\0' ? project : cwd;
  const bool pre = event == "PreToolUse";

  auto setup = tool_setup(args.policy, workspace, cwd, !args.no_sandbox);
  if (!setup.ok()) {
    if (pre) return block(setup.error().what());
    std::fprintf(stderr, "cordon hook: %s\n", setup.error().what().c_str());
    return 1;
  }
  policy::CallPolicy engine(setup->policy, setup->context);
  const char* xdg_state = std::getenv("XDG_STATE_HOME");
  const std::string dir =
      guard::session_dir(setup->context.home, xdg_state != nullptr ? xdg_state : "");

  if (event == "SessionStart") {
    auto session = guard::SessionFile::open(dir, session_id);
    if (!session.ok()) return block(session.error().what());
    // A new or cleared conversation starts clean; a resumed one goes on.
    const std::string source = string_field(in, "source");
    if (source != "resume" && source != "compact") session->state() = guard::SessionState{};
    (void)session->save();
    return 0;
  }
  if (event == "UserPromptSubmit") {
    auto session = guard::SessionFile::open(dir, session_id);
    if (!session.ok()) return block(session.error().what());
    guard::record_prompt(session->state(), string_field(in, "prompt"));
    if (auto s = session->save(); !s.ok()) return block(s.error().what());
    return 0;
  }
  if (event != "PreToolUse" && event != "PostToolUse") return 0;

  auto call = tool_call_from_json(in);
  if (!call.ok()) return pre ? block(call.error().what()) : 1;
  auto session = guard::SessionFile::open(dir, session_id);
  if (!session.ok()) return pre ? block(session.error().what()) : 1;

  if (event == "PostToolUse") {
    auto response = in.find("tool_response");
    guard::record_result(session->state(), engine, *call,
                         response != in.end() ? *response : nlohmann::json(),
                         trusted_tools(setup->policy));
    (void)session->save();
    return 0;
  }

  policy::CallDecision d = engine.decide(*call);
  const std::string flow =
      setup->policy.tools.flow ? setup->policy.tools.flow->value : std::string("ask");
  if (flow != "off" && d.verdict != policy::CallVerdict::Deny) {
    guard::FlowFinding f = guard::check_flow(session->state(), engine, *call);
    if (f.hit) {
      d.verdict = flow == "deny" ? policy::CallVerdict::Deny : policy::CallVerdict::Ask;
      d.reason = "flow rule: " + f.reason;
      d.rule = fmt::format("[tools] flow = \"{}\"", flow);
      d.source.clear();
      d.line = 0;
    }
  }
  guard::record_decision(
      session->state(),
      fmt::format("{} {}: {}", call->tool, policy::call_verdict_name(d.verdict), d.reason));
  (void)session->save();

  nlohmann::json specific = {{"hookEventName", "PreToolUse"},
                             {"permissionDecision", policy::call_verdict_name(d.verdict)},
                             {"permissionDecisionReason", "cordon: " + d.reason}};
  // Bash runs under `cordon run` unless the call asked to lift the sandbox
  // (then it is a rule's decision, made above) or the hook was told not to.
  if (call->tool == "Bash" && !args.no_sandbox && d.verdict != policy::CallVerdict::Deny) {
    auto lift = call->input.find("dangerouslyDisableSandbox");
    bool lifted = lift != call->input.end() && lift->is_boolean() && lift->get<bool>();
    const std::string command = string_field(call->input, "command");
    const std::string prefix = shell_quote(self_path()) + " run --workspace ";
    if (!lifted && !command.empty() && !command.starts_with(prefix)) {
      nlohmann::json updated = call->input;
      updated["command"] =
          prefix + shell_quote(setup->context.workspace) + " -- bash -c " + shell_quote(command);
      specific["updatedInput"] = updated;
    }
  }
  nlohmann::json out = {{"hookSpecificOutput", specific}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

Runner add_hook_command(CLI::App& app) {
  auto args = std::make_shared<HookArgs>();
  auto* sub = app.add_subcommand(
      "hook",
      "Claude Code hook: PreToolUse, PostToolUse, UserPromptSubmit, SessionStart JSON on stdin");
  sub->add_flag("--no-sandbox", args->no_sandbox,
                "Do not rewrite Bash commands to run under `cordon run` (they are then decided "
                "as running outside the sandbox)");
  add_policy_flags(sub, args->policy);
  return {sub, [args] { return run(*args); }};
}

}  // namespace cordon::cli
