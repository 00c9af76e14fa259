#include "policy/decide_call.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_map>
#include <variant>

#include "egress/decide.h"
#include "egress/host.h"
#include "policy/claude_settings.h"
#include "policy/load.h"
#include "policy/network.h"
#include "policy/pattern.h"
#include "shell/rules.h"

namespace cordon::policy {

// Tools of the agent itself: planning, its own task list, sub-agents. They
// touch nothing the sandbox guards, so no rule is needed.
constexpr std::array<std::string_view, 10> kInternalTools = {
    "Task",       "Agent",     "TodoWrite", "TodoRead",     "ExitPlanMode",
    "BashOutput", "KillShell", "KillBash",  "SlashCommand", "AskUserQuestion"};

const char* call_verdict_name(CallVerdict v) {
  switch (v) {
    case CallVerdict::Allow: return "allow";
    case CallVerdict::Ask: return "ask";
    case CallVerdict::Deny: return "deny";
  }
  return "?";
}

struct CallPolicy::Impl {
  CallContext ctx;
  struct Rule {
    ToolRule rule;
    std::string abs;  // path rules: the absolute pattern
  };
  // Per list (0 allow, 1 ask, 2 deny): every non-Bash rule, and the
  // name-only rules indexed by tool name.
  std::array<std::vector<Rule>, 3> rules;
  std::array<std::unordered_map<std::string, const Rule*>, 3> by_name;
  shell::BashRules bash;
  egress::Rules net;
  std::vector<std::string> allow_read, deny_read, allow_write, deny_write;
  std::vector<std::string> workspace;  // {ctx.workspace}: a list, as cover() takes
  bool contained_allow = true;

  static CallDecision decided(CallVerdict v, std::string reason, const ToolRule* r, bool outside) {
    CallDecision d;
    d.verdict = v;
    d.reason = std::move(reason);
    d.outside = outside;
    if (r != nullptr) {
      d.rule = r->text;
      d.source = r->source;
      d.line = r->line;
    }
    return d;
  }

  // The deepest pattern of `list` covering `path`: its depth, or -1.
  static int cover(const std::vector<std::string>& list, const std::string& path) {
    int best = -1;
    for (const auto& p : list) {
      if (path_pattern_matches(p, path)) {
        best = std::max(best, static_cast<int>(path_components(p).size()));
      }
    }
    return best;
  }

  [[nodiscard]] bool readable(const std::string& path) const {
    int allow =
        std::max({cover(allow_read, path), cover(allow_write, path), cover(workspace, path)});
    return allow >= 0 && allow > cover(deny_read, path);
  }

  [[nodiscard]] bool writable(const std::string& path) const {
    int allow = std::max(cover(allow_write, path), cover(workspace, path));
    return allow >= 0 && cover(deny_write, path) < 0 && cover(deny_read, path) < allow;
  }

  // The first rule of list `l` matching a call on `tool` with (for path
  // rules) the target's canonical and lexical paths.
  const Rule* match(int l, const std::string& tool, const std::string& canonical,
                    const std::string& lexical, const std::string& url, bool directory) const {
    const bool read = is_read_tool(tool);
    const bool edit = is_edit_tool(tool);
    for (const Rule& r : rules[l]) {
      const ToolRule& t = r.rule;
      bool applies = false;
      switch (t.kind) {
        case ToolKind::Read: applies = read; break;
        case ToolKind::Edit: applies = edit; break;
        case ToolKind::Write: applies = tool == "Write"; break;
        case ToolKind::WebFetch: applies = tool == "WebFetch"; break;
        case ToolKind::Mcp: {
          // mcp__server: every tool of the server; mcp__server__tool: that
          // one; mcp__server__*: every tool of the server, too.
          const bool server_only =
              std::string_view(t.tool).substr(5).find("__") == std::string_view::npos;
          const bool star = t.tool.ends_with("*");
          applies = tool == t.tool || (server_only && tool.starts_with(t.tool + "__")) ||
                    (star && tool.starts_with(t.tool.substr(0, t.tool.size() - 1)));
          break;
        }
        default: applies = tool == t.tool; break;
      }
      if (!applies) continue;
      if (!t.specifier) return &r;
      if (t.kind == ToolKind::WebFetch) {
        if (url_matches_domain(url, std::string_view(*t.specifier).substr(7))) return &r;
        continue;
      }
      if (t.kind == ToolKind::Read || t.kind == ToolKind::Edit || t.kind == ToolKind::Write) {
        // Allow needs the real target; deny and ask take either spelling,
        // and, for a directory a tool searches (Grep, Glob, LS), anything
        // the rule could cover below it.
        if (path_pattern_matches(r.abs, canonical)) return &r;
        if (l != 0 && path_pattern_matches(r.abs, lexical)) return &r;
        if (l != 0 && read && directory &&
            (may_lie_within(r.abs, canonical) || may_lie_within(r.abs, lexical))) {
          return &r;
        }
        continue;
      }
      if (*t.specifier == "*") return &r;  // Tool(*) of another tool: every call
    }
    return nullptr;
  }

  [[nodiscard]] CallDecision by_rules(const std::string& tool, const std::string& canonical,
                                      const std::string& lexical, const std::string& url,
                                      bool directory, bool* decided_out) const {
    *decided_out = true;
    if (const Rule* r = match(2, tool, canonical, lexical, url, directory)) {
      return decided(CallVerdict::Deny, fmt::format("denied by {}", r->rule.text), &r->rule, false);
    }
    if (const Rule* r = match(1, tool, canonical, lexical, url, directory)) {
      return decided(CallVerdict::Ask, fmt::format("{} asks for it", r->rule.text), &r->rule,
                     false);
    }
    if (const Rule* r = match(0, tool, canonical, lexical, url, directory)) {
      return decided(CallVerdict::Allow, fmt::format("allowed by {}", r->rule.text), &r->rule,
                     false);
    }
    *decided_out = false;
    return {};
  }

  [[nodiscard]] CallDecision contained(std::string reason) const {
    if (!contained_allow) {
      return decided(CallVerdict::Ask, reason + "; [tools] contained_calls = \"ask\"", nullptr,
                     false);
    }
    return decided(CallVerdict::Allow, std::move(reason), nullptr, false);
  }

  [[nodiscard]] CallDecision decide_bash(const ToolCall& call) const {
    const auto cmd = call.input.find("command");
    if (cmd == call.input.end() || !cmd->is_string()) {
      return decided(CallVerdict::Ask, "a Bash call without a command string", nullptr, false);
    }
    const std::string command = cmd->get<std::string>();
    const auto lift = call.input.find("dangerouslyDisableSandbox");
    const bool lifted = lift != call.input.end() && lift->is_boolean() && lift->get<bool>();
    const bool outside = lifted || !ctx.contained;
    auto analysis = shell::analyze(command);
    if (outside) {
      // Outside the sandbox only a rule decides: the shell analysis must see
      // every command and every command must be allowed.
      shell::ShellVerdict v = std::holds_alternative<shell::Analysis>(analysis)
                                  ? shell::judge(std::get<shell::Analysis>(analysis), bash)
                                  : shell::judge(command, bash);
      CallVerdict verdict = v.kind == shell::ShellVerdict::Allow  ? CallVerdict::Allow
                            : v.kind == shell::ShellVerdict::Deny ? CallVerdict::Deny
                                                                  : CallVerdict::Ask;
      std::string where = lifted ? "asks to run outside the sandbox" : "runs outside any sandbox";
      CallDecision d = decided(verdict, fmt::format("{}: {}", where, v.reason), nullptr, true);
      d.rule = v.rule;
      return d;
    }
    const bool rules_to_check =
        !bash.rules(shell::RuleList::Deny).empty() || !bash.rules(shell::RuleList::Ask).empty();
    if (!std::holds_alternative<shell::Analysis>(analysis)) {
      const auto& err = std::get<shell::ParseError>(analysis);
      if (rules_to_check) {
        return decided(CallVerdict::Ask,
                       fmt::format("the command does not parse ({}), so cordon cannot tell "
                                   "whether a deny or ask rule applies",
                                   err.message),
                       nullptr, false);
      }
      return contained(
          "runs inside the sandbox (the command does not parse; nothing it does "
          "leaves the boundary)");
    }
    const auto& a = std::get<shell::Analysis>(analysis);
    for (auto list : {shell::RuleList::Deny, shell::RuleList::Ask}) {
      for (const auto& c : a.commands) {
        if (const shell::BashPattern* p = bash.match(list, c)) {
          CallDecision d =
              decided(list == shell::RuleList::Deny ? CallVerdict::Deny : CallVerdict::Ask,
                      fmt::format("`{}` {} by {}", c.name(),
                                  list == shell::RuleList::Deny ? "is denied" : "needs a question",
                                  p->rule),
                      nullptr, false);
          d.rule = p->rule;
          size_t colon = p->origin.rfind(':');
          d.source = colon == std::string::npos ? p->origin : p->origin.substr(0, colon);
          d.line = colon == std::string::npos ? 0 : std::atoi(p->origin.c_str() + colon + 1);
          return d;
        }
      }
    }
    bool hidden = !a.unseeable.empty();
    for (const auto& c : a.commands) {
      hidden = hidden || c.dynamic_command || !c.opaque.empty() || c.dynamic_args ||
               (!c.argv.empty() && !c.argv[0].is_static);
    }
    if (hidden && rules_to_check) {
      return decided(CallVerdict::Ask,
                     "cordon cannot see everything this command runs, so it cannot tell whether "
                     "a deny or ask rule applies",
                     nullptr, false);
    }
    shell::ShellVerdict v = shell::judge(a, bash);
    if (v.kind == shell::ShellVerdict::Allow) {
      CallDecision d = decided(CallVerdict::Allow, "allowed by " + v.rule, nullptr, false);
      d.rule = v.rule;
      return d;
    }
    return contained(
        "runs inside the sandbox: what it writes, reads and sends stays within the "
        "policy");
  }

  [[nodiscard]] CallDecision decide(const ToolCall& call) const {
    const std::string& tool = call.tool;
    if (tool == "Bash") return decide_bash(call);
    const bool read = is_read_tool(tool);
    const bool edit = is_edit_tool(tool);
    std::string canonical, lexical, url;
    bool directory = false;
    if (read || edit) {
      std::string target = ctx.cwd;
      for (const char* key : {"file_path", "notebook_path", "path"}) {
        auto it = call.input.find(key);
        if (it != call.input.end() && it->is_string() && !it->get<std::string>().empty()) {
          target = it->get<std::string>();
          break;
        }
      }
      canonical = canonical_target(target, ctx.home, ctx.cwd, &lexical);
      struct stat st {};
      directory = ::stat(canonical.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (tool == "WebFetch") {
      auto it = call.input.find("url");
      if (it != call.input.end() && it->is_string()) url = it->get<std::string>();
    }
    bool by_rule = false;
    CallDecision d = by_rules(tool, canonical, lexical, url, directory, &by_rule);
    if (by_rule) {
      d.outside =
          (read && !readable(canonical)) || (edit && !writable(canonical)) ||
          (!read && !edit && tool != "WebFetch" &&
           std::find(kInternalTools.begin(), kInternalTools.end(), tool) == kInternalTools.end());
      return d;
    }
    if (read) {
      if (readable(canonical)) return contained(fmt::format("the sandbox shows {}", canonical));
      return decided(
          CallVerdict::Ask,
          fmt::format("{} reads {}, which the sandbox hides or does not show", tool, canonical),
          nullptr, true);
    }
    if (edit) {
      if (writable(canonical)) {
        return contained(fmt::format("the sandbox lets commands write {}", canonical));
      }
      return decided(CallVerdict::Ask,
                     fmt::format("{} changes {}, outside what the sandbox lets commands write",
                                 tool, canonical),
                     nullptr, true);
    }
    if (tool == "WebFetch") {
      auto host = url_host(url);
      if (!host) {
        return decided(CallVerdict::Ask, fmt::format("WebFetch of \"{}\": not an http(s) URL", url),
                       nullptr, true);
      }
      egress::Request r;
      r.entry = egress::Entry::HttpConnect;
      r.host = *host;
      r.port = url.starts_with("http://") ? 80 : 443;
      egress::Decision n = egress::decide(net, r);
      if (n.verdict == egress::Verdict::Allow) {
        return contained(fmt::format("the egress policy allows {} ({})", *host, n.rule));
      }
      if (n.verdict == egress::Verdict::Deny && n.rule != "no rule") {
        return decided(CallVerdict::Deny,
                       fmt::format("the egress policy denies {}: {}", *host, n.reason), nullptr,
                       true);
      }
      return decided(CallVerdict::Ask,
                     fmt::format("WebFetch of {}: no rule allows it ({})", *host, n.reason),
                     nullptr, true);
    }
    if (std::find(kInternalTools.begin(), kInternalTools.end(), tool) != kInternalTools.end()) {
      return decided(CallVerdict::Allow, fmt::format("{} is the agent's own bookkeeping", tool),
                     nullptr, false);
    }
    return decided(CallVerdict::Ask,
                   fmt::format("{} acts outside the sandbox and no rule allows it", tool), nullptr,
                   true);
  }
};

CallPolicy::CallPolicy(const Policy& policy, const CallContext& context)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.ctx = context;
  const std::array<const PatternList*, 3> lists = {&policy.tools.allow, &policy.tools.ask,
                                                   &policy.tools.deny};
  const std::array<shell::RuleList, 3> bash_lists = {shell::RuleList::Allow, shell::RuleList::Ask,
                                                     shell::RuleList::Deny};
  for (size_t l = 0; l < 3; ++l) {
    for (const auto& e : *lists[l]) {
      auto parsed = parse_tool_rule(e.value);
      if (!parsed.ok()) continue;
      ToolRule rule = std::move(*parsed);
      rule.source = e.origin.source;
      rule.line = e.origin.line;
      rule.base = rule_base(e.origin, context.workspace);
      if (rule.kind == ToolKind::Bash) {
        (void)m.bash.add(bash_lists[l], rule.text, fmt::format("{}:{}", rule.source, rule.line));
        continue;
      }
      std::string abs;
      if (rule.specifier && (rule.kind == ToolKind::Read || rule.kind == ToolKind::Edit ||
                             rule.kind == ToolKind::Write)) {
        abs = absolute_path_pattern(*rule.specifier, context.home, rule.base, context.cwd);
      }
      m.rules[l].push_back({std::move(rule), std::move(abs)});
    }
  }
  m.net = egress_rules(policy.network);
  auto abs_all = [&](const PatternList& list) {
    std::vector<std::string> out;
    for (const auto& e : list)
      out.push_back(absolute_pattern(e.value, context.home, context.workspace));
    return out;
  };
  m.workspace = {context.workspace};
  m.allow_read = abs_all(policy.filesystem.allow_read);
  m.deny_read = abs_all(policy.filesystem.deny_read);
  m.allow_write = abs_all(policy.filesystem.allow_write);
  m.deny_write = abs_all(policy.filesystem.deny_write);
  m.contained_allow =
      !(policy.tools.contained_calls && policy.tools.contained_calls->value == "ask");
}

CallPolicy::~CallPolicy() = default;
CallPolicy::CallPolicy(CallPolicy&&) noexcept = default;
CallPolicy& CallPolicy::operator=(CallPolicy&&) noexcept = default;

CallDecision CallPolicy::decide(const ToolCall& call) const { return impl_->decide(call); }
bool CallPolicy::readable(const std::string& path) const { return impl_->readable(path); }
bool CallPolicy::writable(const std::string& path) const { return impl_->writable(path); }
bool CallPolicy::private_path(const std::string& path) const {
  return Impl::cover(impl_->deny_read, path) >= 0 && !impl_->readable(path);
}
const CallContext& CallPolicy::context() const { return impl_->ctx; }

}  // namespace cordon::policy
