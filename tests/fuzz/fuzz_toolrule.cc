// Claude Code's tool-rule parser and the matchers on arbitrary bytes.
//
// Input: a rule ("Bash(npm run test:*)", "Read(~/.ssh/**)",
// "WebFetch(domain:x)", "mcp__s__t"), a newline, and a subject: the path,
// URL, command or tool name a call would carry. Beyond "does not crash"
// (nothing throws, the recursion limits hold):
//   - a parsed rule is its own rendering: Tool(specifier) re-parses to the
//     same rule, and what was accepted has no control bytes, no ".." in a
//     path pattern, a canonical host in a WebFetch domain;
//   - a Bash rule that the tool-rule parser accepts, the Bash rule parser
//     (src/shell/rules.h) accepts too: the decision engine would otherwise
//     drop it, and a deny rule would silently vanish;
//   - a path pattern is absolute once resolved, and a pattern without glob
//     characters matches its own path and what lies below it;
//   - a URL's canonical host is covered by a domain rule naming that host;
//   - deny beats allow: with the same rule in both lists, no call (Bash or
//     other) is allowed by it.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "check.h"
#include "egress/host.h"
#include "policy/decide_call.h"
#include "policy/pattern.h"
#include "policy/toolrules.h"
#include "shell/rules.h"

using namespace cordon;
using cordon::fuzz::check;
using namespace cordon::policy;

namespace {

const char* const kHome = "/nonexistent-fuzz/home";
const char* const kWorkspace = "/nonexistent-fuzz/ws";

bool has_dotdot_component(std::string_view p) {
  for (std::string_view c : path_components(p)) {
    if (c == "..") return true;
  }
  // path_components drops nothing but empty and "." parts: ".." stays.
  return false;
}

void check_reparse(const ToolRule& rule, std::string_view text) {
  std::string rendered = rule.tool;
  if (rule.specifier) rendered += "(" + *rule.specifier + ")";
  check(rendered == text);
  check(rule.text == text);
  auto again = parse_tool_rule(rendered);
  check(again.ok());
  check(again->tool == rule.tool && again->kind == rule.kind && again->specifier == rule.specifier);
  for (char c : text) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

void check_paths(const ToolRule& rule, std::string_view subject) {
  const std::string& spec = *rule.specifier;
  check(!has_dotdot_component(spec));
  std::string abs = absolute_path_pattern(spec, kHome, kWorkspace, kWorkspace);
  check(abs.starts_with("/"));
  (void)path_pattern_matches(abs, subject);
  (void)path_pattern_matches(abs, std::string(kWorkspace) + "/" + std::string(subject));
  (void)may_lie_within(abs, subject);
  // No glob characters: the pattern names one path, which it then covers
  // (and everything below it).
  if (abs.find_first_of("*?[") == std::string::npos) {
    check(path_pattern_matches(abs, abs));
    check(path_pattern_matches(abs, abs + "/below"));
  }
}

void check_domain(const ToolRule& rule, std::string_view subject) {
  std::string_view domain = std::string_view(*rule.specifier).substr(7);
  check(rule.specifier->starts_with("domain:"));
  auto pattern = egress::canonical_pattern(domain);
  check(pattern.ok());
  (void)url_matches_domain(subject, domain);
  if (auto host = url_host(subject)) {
    // A URL's host, canonical, is matched by a rule that names exactly it.
    check(url_matches_domain(subject, *host));
  }
}

// The same rule in the allow and the deny list: whatever the call, the rule
// never allows it.
void check_deny_beats_allow(const ToolRule& rule, std::string_view subject) {
  Policy policy;
  policy.tools.allow.push_back({rule.text, {}});
  policy.tools.deny.push_back({rule.text, {}});
  CallPolicy engine(policy, CallContext{kWorkspace, kHome, kWorkspace, true});
  const std::string s(subject);
  ToolCall call;
  call.tool = rule.tool;
  switch (rule.kind) {
    case ToolKind::Bash: call.input = {{"command", s}}; break;
    case ToolKind::Read:
    case ToolKind::Edit:
    case ToolKind::Write: call.input = {{"file_path", s}}; break;
    case ToolKind::WebFetch: call.input = {{"url", s}}; break;
    case ToolKind::Mcp:
    case ToolKind::Other:
      if (rule.tool.ends_with("*")) call.tool = rule.tool.substr(0, rule.tool.size() - 1) + "x";
      break;
  }
  for (bool outside : {false, true}) {
    if (outside) call.input["dangerouslyDisableSandbox"] = true;
    CallDecision d = engine.decide(call);
    check(!(d.verdict == CallVerdict::Allow && d.rule == rule.text));
    if (d.rule == rule.text) check(d.verdict == CallVerdict::Deny);
    if (rule.kind != ToolKind::Bash) break;
  }
}

void check_bash(const ToolRule& rule, std::string_view subject) {
  std::string error;
  auto pattern = shell::parse_bash_rule(rule.text, "fuzz", &error);
  check(pattern.has_value());
  shell::BashRules rules;
  check(!rules.add(shell::RuleList::Allow, rule.text).has_value());
  check(!rules.add(shell::RuleList::Deny, rule.text).has_value());
  shell::ShellVerdict v = shell::judge(subject, rules);
  check(!(v.kind == shell::ShellVerdict::Allow && !v.rule.empty()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() > 4096) return 0;  // rules are short; longer inputs only slow the search
  size_t nl = in.find('\n');
  std::string_view text = in.substr(0, nl);
  std::string_view subject = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  auto parsed = parse_tool_rule(text);
  if (!parsed.ok()) {
    check(!parsed.error().message.empty());
    return 0;
  }
  const ToolRule& rule = *parsed;
  check_reparse(rule, text);
  check(rule.kind != ToolKind::Mcp || !rule.specifier);
  check((rule.kind == ToolKind::Bash) == (rule.tool == "Bash"));
  if (rule.specifier) {
    switch (rule.kind) {
      case ToolKind::Read:
      case ToolKind::Edit:
      case ToolKind::Write: check_paths(rule, subject); break;
      case ToolKind::WebFetch: check_domain(rule, subject); break;
      default: break;
    }
  }
  if (rule.kind == ToolKind::Bash) check_bash(rule, subject);
  check_deny_beats_allow(rule, subject);
  return 0;
}
