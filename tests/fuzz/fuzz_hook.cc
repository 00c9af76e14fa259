// Claude Code's hook stdin on arbitrary bytes, through what `cordon hook`
// runs (guard/hook.h) without its I/O: the session's state is a value here,
// so the fuzzer never writes a file. Each input is answered twice, once in a
// fresh session and once in one that has already seen untrusted content
// naming a host and read private data (so the flow rules fire). Beyond "does
// not crash":
//   - fail closed: input that is not a JSON object is an error, and a
//     PreToolUse whose call is malformed is blocked (status 2, no answer on
//     stdout), never allowed;
//   - a PreToolUse answer is JSON with allow, ask or deny, never looser than
//     the engine's own decision on the call (flow rules only tighten);
//   - the Bash rewrite is never given for a denied call, keeps every other
//     input field, and quotes the command so that the shell sees exactly
//     `cordon run --workspace WS -- bash -c <the original command>`;
//   - other events print nothing; the state stays bounded and survives its
//     own JSON round trip.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "check.h"
#include "guard/flow.h"
#include "guard/hook.h"
#include "policy/decide_call.h"
#include "policy/load.h"
#include "shell/analyze.h"

using namespace cordon;
using cordon::fuzz::check;

namespace {

const char* const kHome = "/nonexistent-fuzz/home";
const char* const kWorkspace = "/nonexistent-fuzz/ws";
const char* const kSelf = "/usr/local/bin/cor'don";  // a quote, so quoting is exercised

const policy::CallPolicy& engine() {
  static const policy::CallPolicy e = [] {
    policy::Policy p = policy::builtin_default();
    for (const char* r :
         {"Bash(git diff:*)", "Bash(npm run test:*)", "Bash(ls:*)", "Read(./src/**)",
          "WebFetch(domain:docs.example.com)", "mcp__github__get_issue"}) {
      p.tools.allow.push_back({r, {}});
    }
    for (const char* r : {"Bash(curl:*)", "Read(~/.ssh/**)", "Edit(//etc/**)"}) {
      p.tools.deny.push_back({r, {}});
    }
    for (const char* r : {"Bash(git push:*)", "mcp__github"}) p.tools.ask.push_back({r, {}});
    return policy::CallPolicy(p, policy::CallContext{kWorkspace, kHome, kWorkspace, true});
  }();
  return e;
}

guard::SessionState tainted() {
  guard::SessionState s;
  s.untrusted = true;
  s.private_data = true;
  s.first_untrusted = "WebFetch https://evil.example/";
  s.first_private = "Read /nonexistent-fuzz/home/.ssh/id_rsa";
  s.untrusted_tokens = {"evil.example", "attacker@evil.example"};
  s.trusted_tokens = {"docs.example.com"};
  return s;
}

int rank(std::string_view verdict) {
  if (verdict == "allow") return 0;
  if (verdict == "ask") return 1;
  check(verdict == "deny");
  return 2;
}

// The outermost command of the rewrite, as the shell will run it.
void check_rewrite(const nlohmann::json& input, const nlohmann::json& updated) {
  check(updated.is_object());
  const std::string original = input.at("command").get<std::string>();
  for (const auto& [key, value] : input.items()) {
    if (key != "command") check(updated.contains(key) && updated.at(key) == value);
  }
  check(updated.size() == input.size());
  const std::string command = updated.at("command").get<std::string>();
  // The shell parser stops at a NUL byte as bash does; the quoting is then
  // beside the point.
  if (original.find('\0') != std::string::npos) return;
  auto analysis = shell::analyze(command);
  check(std::holds_alternative<shell::Analysis>(analysis));
  const auto& a = std::get<shell::Analysis>(analysis);
  check(!a.commands.empty());
  const shell::Command& top = a.commands[0];
  check(top.parent == -1);
  const std::vector<std::string> want = {kSelf, "run",  "--workspace", kWorkspace,
                                         "--",  "bash", "-c",          original};
  check(top.argv.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    check(top.argv[i].is_static && top.argv[i].text == want[i]);
  }
  for (size_t i = 1; i < a.commands.size(); ++i) check(a.commands[i].parent >= 0);
}

void answer(const guard::HookInput& in, guard::SessionState state) {
  guard::HookOptions options;
  options.self = kSelf;
  options.workspace = kWorkspace;
  const bool session = guard::needs_session(in);
  const auto before = state.to_json();
  guard::HookAnswer a = guard::answer_hook(in, engine(), options, session ? &state : nullptr);
  check(a.status == 0 || a.status == 1 || a.status == 2);
  check(a.status == 0 || !a.error.empty());
  check(a.status == 0 || a.output.empty());

  auto call = guard::tool_call_from_json(in.json);
  switch (in.event) {
    case guard::HookEvent::PreToolUse: {
      check(session == call.ok());
      if (!call.ok()) {
        check(a.status == 2);  // malformed: blocked
        return;
      }
      check(a.status == 0);
      auto out = nlohmann::json::parse(a.output);
      const auto& specific = out.at("hookSpecificOutput");
      check(specific.at("hookEventName") == "PreToolUse");
      const std::string verdict = specific.at("permissionDecision").get<std::string>();
      check(specific.at("permissionDecisionReason").get<std::string>().starts_with("cordon: "));
      policy::CallDecision d = engine().decide(*call);
      check(rank(verdict) >= rank(policy::call_verdict_name(d.verdict)));
      if (specific.contains("updatedInput")) {
        check(call->tool == "Bash" && verdict != "deny");
        check_rewrite(call->input, specific.at("updatedInput"));
      }
      break;
    }
    case guard::HookEvent::PostToolUse:
      check(session == call.ok());
      check(a.status == (call.ok() ? 0 : 1));
      check(a.output.empty());
      break;
    case guard::HookEvent::SessionStart:
    case guard::HookEvent::UserPromptSubmit:
      check(session && a.status == 0 && a.output.empty() && a.save);
      break;
    case guard::HookEvent::Other:
      check(!session && a.status == 0 && a.output.empty() && !a.save);
      check(state.to_json() == before);
      break;
  }
  check(state.events.size() <= 200);
  // As SessionFile::save() writes it (dump() throws on bytes that are not
  // UTF-8: a hook that dies that way fails open).
  const auto saved = state.to_json();
  (void)saved.dump();
  check(guard::SessionState::from_json(saved).to_json() == saved);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto in = guard::parse_hook_input(text);
  if (!in.ok()) {
    check(!in.error().message.empty());
    // Never an object: not JSON at all, or another JSON value.
    auto j = nlohmann::json::parse(text, nullptr, false);
    check(j.is_discarded() || !j.is_object());
    return 0;
  }
  check(in->json.is_object());
  answer(*in, guard::SessionState{});
  answer(*in, tainted());
  return 0;
}
