#include "policy/decide_call.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
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
  // An absolute path pattern, split into components once: `parts` are
  // views into `abs`, filled when the policy is complete (split_all) and
  // valid as long as the Impl, which never moves its vectors after that.
  struct PathPattern {
    std::string abs;
    std::vector<std::string_view> parts;
    // How many leading parts have no glob character: each matches only a
    // path component equal to it.
    size_t literal = 0;

    void split() {
      parts = path_components(abs);
      literal = 0;
      while (literal < parts.size() &&
             parts[literal].find_first_of("*?[") == std::string_view::npos) {
        ++literal;
      }
    }

    // path_components_match(parts, path), with the literal parts compared
    // as strings first, the deepest first (where patterns differ most:
    // "~/.ssh" and "~/.aws" share all but the last), so that most patterns
    // are ruled out without running a glob.
    [[nodiscard]] bool covers(std::span<const std::string_view> path) const {
      if (path.size() < literal) return false;
      for (size_t i = literal; i-- > 0;) {
        if (parts[i] != path[i]) return false;
      }
      return path_components_match(std::span(parts).subspan(literal), path.subspan(literal));
    }
  };
  struct Rule {
    ToolRule rule;
    PathPattern path;  // path rules: the absolute pattern
    // WebFetch(domain:...): the canonical pattern; nullopt matches nothing.
    std::optional<std::string> domain;
    // mcp__server (every tool of the server) and mcp__server__*: the prefix
    // of the tool names it covers ("mcp__server__").
    std::string mcp_prefix;
  };
  // The path rules of one kind (Read, Edit or Write) in one list, indexed
  // by their literal prefix: the leading components of the absolute pattern
  // before the first one holding a glob character. A pattern covers a path
  // only if that prefix equals the path's first components (covers()
  // compares them as strings), so a walk down the target's components
  // finds every rule that can cover it; the rest are never tried.
  struct PathIndex {
    struct Node {
      std::unordered_map<std::string_view, std::uint32_t> children;
      std::vector<std::uint32_t> here;   // literal prefix ends at this node
      std::vector<std::uint32_t> below;  // here and in every node beneath, in rule order
    };
    std::vector<std::uint32_t> all;      // every rule of the group, in rule order
    std::vector<std::uint32_t> no_path;  // no specifier: every call of the tool
    std::vector<Node> nodes = {Node{}};  // nodes[0]: "/"; a rule starting with a glob is there

    void add(std::uint32_t at, const Rule& r) {
      all.push_back(at);
      if (!r.rule.specifier) {
        no_path.push_back(at);
        return;
      }
      std::uint32_t n = 0;
      nodes[0].below.push_back(at);
      for (size_t i = 0; i < r.path.literal; ++i) {
        auto [it, fresh] = nodes[n].children.try_emplace(r.path.parts[i],
                                                         static_cast<std::uint32_t>(nodes.size()));
        n = it->second;
        if (fresh) nodes.emplace_back();  // may move the nodes: `it` is not used after
        nodes[n].below.push_back(at);
      }
      nodes[n].here.push_back(at);
    }

    // The node reached by walking `path` from the root, calling `visit` on
    // each node on the way (the root included); nullptr when the walk
    // leaves the trie before the path's end.
    template <typename Visit>
    const Node* walk(std::span<const std::string_view> path, Visit&& visit) const {
      const Node* n = nodes.data();
      visit(*n);
      for (std::string_view part : path) {
        auto it = n->children.find(part);
        if (it == n->children.end()) return nullptr;
        n = &nodes[it->second];
        visit(*n);
      }
      return n;
    }
  };

  // The rules of one list (allow, ask or deny) and, so that a call looks
  // only at the rules that can apply to it, their indices by what they
  // apply to, each in rule order (the first matching rule is cited).
  struct RuleList {
    std::vector<Rule> rules;
    PathIndex read;                           // Read(...) and the other read tools' rules
    PathIndex edit;                           // Edit(...), MultiEdit(...), NotebookEdit(...)
    PathIndex write;                          // Write(...): the Write tool only
    std::vector<std::uint32_t> webfetch;      // WebFetch, WebFetch(domain:...)
    std::vector<std::uint32_t> mcp_prefixed;  // mcp__server, mcp__server__*
    // By exact tool name: other tools' rules and mcp__server__tool.
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_name;
  };
  std::array<RuleList, 3> lists;  // 0 allow, 1 ask, 2 deny
  shell::BashRules bash;
  egress::Rules net;
  std::vector<PathPattern> allow_read, deny_read, allow_write, deny_write;
  std::vector<PathPattern> workspace;  // {ctx.workspace}: a list, as cover() takes
  bool contained_allow = true;

  // What a call touches, worked out once per decision: the canonical and
  // lexical target (with their components) and a WebFetch URL's host.
  struct Target {
    std::string canonical, lexical, url;
    std::vector<std::string_view> canonical_parts, lexical_parts;
    std::optional<std::string> host;
    // Whether the canonical target is a directory: a stat() made only when
    // a rule needs the answer.
    mutable std::optional<bool> directory;

    [[nodiscard]] bool is_directory() const {
      if (!directory) {
        struct stat st {};
        directory = ::stat(canonical.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      return *directory;
    }
  };

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
  static int cover(const std::vector<PathPattern>& list, std::span<const std::string_view> path) {
    int best = -1;
    for (const auto& p : list) {
      if (p.covers(path)) {
        best = std::max(best, static_cast<int>(p.parts.size()));
      }
    }
    return best;
  }

  [[nodiscard]] bool readable(std::span<const std::string_view> path) const {
    int allow =
        std::max({cover(allow_read, path), cover(allow_write, path), cover(workspace, path)});
    return allow >= 0 && allow > cover(deny_read, path);
  }

  [[nodiscard]] bool writable(std::span<const std::string_view> path) const {
    int allow = std::max(cover(allow_write, path), cover(workspace, path));
    return allow >= 0 && cover(deny_write, path) < 0 && cover(deny_read, path) < allow;
  }

  // Whether a rule that applies to the call's tool matches the call: its
  // specifier against the target (list `l`: deny and ask match more
  // spellings than allow).
  static bool rule_matches(int l, const Rule& r, const Target& t, bool read) {
    const ToolRule& tr = r.rule;
    if (!tr.specifier) return true;
    switch (tr.kind) {
      case ToolKind::WebFetch:
        return r.domain && t.host && egress::host_matches(*r.domain, *t.host);
      case ToolKind::Read:
      case ToolKind::Edit:
      case ToolKind::Write:
        // Allow needs the real target; deny and ask take either spelling,
        // and, for a directory a tool searches (Grep, Glob, LS), anything
        // the rule could cover below it.
        if (r.path.covers(t.canonical_parts)) return true;
        if (l != 0 && r.path.covers(t.lexical_parts)) return true;
        // may_lie_within() before is_directory(): a file's call then pays
        // the stat() only when some rule could lie below it.
        return l != 0 && read &&
               (may_lie_within(r.path.abs, t.canonical) || may_lie_within(r.path.abs, t.lexical)) &&
               t.is_directory();
      default: return *tr.specifier == "*";  // Tool(*) of another tool: every call
    }
  }

  // The first rule of list `l` matching a call on `tool`. Each group of
  // rules that can apply is searched up to its first match; the earliest
  // of those is the list's first match.
  const Rule* match(int l, const std::string& tool, const Target& t) const {
    const RuleList& list = lists[static_cast<size_t>(l)];
    const bool read = is_read_tool(tool);
    constexpr std::uint32_t kNone = UINT32_MAX;
    std::uint32_t best = kNone;
    auto first = [&](const std::vector<std::uint32_t>& group, auto&& applies) {
      for (std::uint32_t i : group) {
        if (i >= best) return;
        const Rule& r = list.rules[i];
        if (applies(r) && rule_matches(l, r, t, read)) {
          best = i;
          return;
        }
      }
    };
    auto always = [](const Rule&) { return true; };
    // The path rules of a group that can match the target: those without a
    // specifier, those whose literal prefix the canonical target (and, for
    // deny and ask, the lexical one) starts with, and, for a directory a
    // read tool searches, those that may lie within it (below its node).
    auto first_path = [&](const PathIndex& group) {
      first(group.no_path, always);
      auto here = [&](const PathIndex::Node& n) { first(n.here, always); };
      const PathIndex::Node* end = group.walk(t.canonical_parts, here);
      const bool both = l != 0 && t.lexical_parts != t.canonical_parts;
      const PathIndex::Node* lexical_end = both ? group.walk(t.lexical_parts, here) : nullptr;
      if (l == 0 || !read) return;
      // may_lie_within() reads a target component holding a glob character
      // as a glob, which the walk (string equality) cannot follow: try
      // every rule of the group then, as rule_matches() would.
      auto globbed = [](std::span<const std::string_view> parts) {
        return std::any_of(parts.begin(), parts.end(), has_glob);
      };
      if (globbed(t.canonical_parts) || (both && globbed(t.lexical_parts))) {
        first(group.all, always);
        return;
      }
      // Below the target's own node every rule may lie within it (if it is
      // a directory): rule_matches() decides, so the first such is cited.
      for (const PathIndex::Node* n : {end, lexical_end}) {
        if (n != nullptr && !n->below.empty() && n->below.front() < best && t.is_directory()) {
          first(n->below, always);
        }
      }
    };
    if (read) first_path(list.read);
    if (is_edit_tool(tool)) first_path(list.edit);
    if (tool == "Write") first_path(list.write);
    if (tool == "WebFetch") first(list.webfetch, always);
    if (auto it = list.by_name.find(tool); it != list.by_name.end()) first(it->second, always);
    if (tool.starts_with("mcp__")) {
      // mcp__server: every tool of the server (and the server's own name);
      // mcp__server__*: every tool of the server, too.
      first(list.mcp_prefixed,
            [&](const Rule& r) { return tool == r.rule.tool || tool.starts_with(r.mcp_prefix); });
    }
    return best == kNone ? nullptr : &list.rules[best];
  }

  // Splits every path pattern into components, once the vectors holding
  // them are complete (the views point into their strings), and indexes
  // the path rules by their literal prefix (the trie's keys are those views).
  void split_all() {
    for (auto& list : lists) {
      for (Rule& r : list.rules) r.path.split();
      for (std::uint32_t at = 0; at < list.rules.size(); ++at) {
        const Rule& r = list.rules[at];
        switch (r.rule.kind) {
          case ToolKind::Read: list.read.add(at, r); break;
          case ToolKind::Edit: list.edit.add(at, r); break;
          case ToolKind::Write: list.write.add(at, r); break;
          default: break;
        }
      }
    }
    for (auto* v : {&allow_read, &deny_read, &allow_write, &deny_write, &workspace}) {
      for (PathPattern& p : *v) p.split();
    }
  }

  [[nodiscard]] CallDecision by_rules(const std::string& tool, const Target& t,
                                      bool* decided_out) const {
    *decided_out = true;
    if (const Rule* r = match(2, tool, t)) {
      return decided(CallVerdict::Deny, fmt::format("denied by {}", r->rule.text), &r->rule, false);
    }
    if (const Rule* r = match(1, tool, t)) {
      return decided(CallVerdict::Ask, fmt::format("{} asks for it", r->rule.text), &r->rule,
                     false);
    }
    if (const Rule* r = match(0, tool, t)) {
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
    Target t;
    const std::string& canonical = t.canonical;
    if (read || edit) {
      std::string target = ctx.cwd;
      for (const char* key : {"file_path", "notebook_path", "path"}) {
        auto it = call.input.find(key);
        if (it != call.input.end() && it->is_string() && !it->get<std::string>().empty()) {
          target = it->get<std::string>();
          break;
        }
      }
      t.canonical = canonical_target(target, ctx.home, ctx.cwd, &t.lexical);
      t.canonical_parts = path_components(t.canonical);
      t.lexical_parts = path_components(t.lexical);
    }
    if (tool == "WebFetch") {
      auto it = call.input.find("url");
      if (it != call.input.end() && it->is_string()) t.url = it->get<std::string>();
      t.host = url_host(t.url);
    }
    bool by_rule = false;
    CallDecision d = by_rules(tool, t, &by_rule);
    if (by_rule) {
      d.outside =
          (read && !readable(t.canonical_parts)) || (edit && !writable(t.canonical_parts)) ||
          (!read && !edit && tool != "WebFetch" &&
           std::find(kInternalTools.begin(), kInternalTools.end(), tool) == kInternalTools.end());
      return d;
    }
    if (read) {
      if (readable(t.canonical_parts))
        return contained(fmt::format("the sandbox shows {}", canonical));
      return decided(
          CallVerdict::Ask,
          fmt::format("{} reads {}, which the sandbox hides or does not show", tool, canonical),
          nullptr, true);
    }
    if (edit) {
      if (writable(t.canonical_parts)) {
        return contained(fmt::format("the sandbox lets commands write {}", canonical));
      }
      return decided(CallVerdict::Ask,
                     fmt::format("{} changes {}, outside what the sandbox lets commands write",
                                 tool, canonical),
                     nullptr, true);
    }
    if (tool == "WebFetch") {
      const std::string& url = t.url;
      const auto& host = t.host;
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
      Impl::RuleList& list = m.lists[l];
      const auto at = static_cast<std::uint32_t>(list.rules.size());
      Impl::Rule r;
      switch (rule.kind) {
        case ToolKind::Read:
        case ToolKind::Edit:
        case ToolKind::Write: break;  // indexed by split_all(), once the patterns are split
        case ToolKind::WebFetch: list.webfetch.push_back(at); break;
        case ToolKind::Mcp: {
          const bool server_only =
              std::string_view(rule.tool).substr(5).find("__") == std::string_view::npos;
          const bool star = rule.tool.ends_with("*");
          if (server_only || star) {
            r.mcp_prefix = star ? rule.tool.substr(0, rule.tool.size() - 1) : rule.tool + "__";
            list.mcp_prefixed.push_back(at);
          } else {
            list.by_name[rule.tool].push_back(at);
          }
          break;
        }
        default: list.by_name[rule.tool].push_back(at); break;
      }
      if (rule.specifier && (rule.kind == ToolKind::Read || rule.kind == ToolKind::Edit ||
                             rule.kind == ToolKind::Write)) {
        r.path.abs = absolute_path_pattern(*rule.specifier, context.home, rule.base, context.cwd);
      }
      if (rule.specifier && rule.kind == ToolKind::WebFetch) {
        // As url_matches_domain(): a pattern that does not canonicalise
        // matches nothing (the parser refused it already).
        auto pattern = egress::canonical_pattern(std::string_view(*rule.specifier).substr(7));
        if (pattern.ok()) r.domain = std::move(*pattern);
      }
      r.rule = std::move(rule);
      list.rules.push_back(std::move(r));
    }
  }
  m.net = egress_rules(policy.network);
  auto abs_all = [&](const PatternList& list) {
    std::vector<Impl::PathPattern> out;
    for (const auto& e : list) {
      Impl::PathPattern p;
      p.abs = absolute_pattern(e.value, context.home, context.workspace);
      out.push_back(std::move(p));
    }
    return out;
  };
  m.workspace.emplace_back().abs = context.workspace;
  m.allow_read = abs_all(policy.filesystem.allow_read);
  m.deny_read = abs_all(policy.filesystem.deny_read);
  m.allow_write = abs_all(policy.filesystem.allow_write);
  m.deny_write = abs_all(policy.filesystem.deny_write);
  m.split_all();
  m.contained_allow =
      !(policy.tools.contained_calls && policy.tools.contained_calls->value == "ask");
}

CallPolicy::~CallPolicy() = default;
CallPolicy::CallPolicy(CallPolicy&&) noexcept = default;
CallPolicy& CallPolicy::operator=(CallPolicy&&) noexcept = default;

CallDecision CallPolicy::decide(const ToolCall& call) const { return impl_->decide(call); }
bool CallPolicy::readable(const std::string& path) const {
  return impl_->readable(path_components(path));
}
bool CallPolicy::writable(const std::string& path) const {
  return impl_->writable(path_components(path));
}
bool CallPolicy::private_path(const std::string& path) const {
  auto parts = path_components(path);
  return Impl::cover(impl_->deny_read, parts) >= 0 && !impl_->readable(parts);
}
const CallContext& CallPolicy::context() const { return impl_->ctx; }

}  // namespace cordon::policy
