#include "policy/toolrules.h"

#include <limits.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "egress/host.h"
#include "policy/load.h"
#include "policy/pattern.h"

namespace cordon::policy {
namespace {

constexpr std::array<std::string_view, 5> kReadTools = {"Read", "Glob", "Grep", "LS",
                                                        "NotebookRead"};
constexpr std::array<std::string_view, 4> kEditTools = {"Edit", "Write", "MultiEdit",
                                                        "NotebookEdit"};
// Tools that take no specifier.
constexpr std::array<std::string_view, 1> kBareTools = {"WebSearch"};

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Matches pattern components [pi..] against path components [ti..]; a
// pattern that runs out while the path goes on matches (everything below
// a matched directory is covered).
bool match_from(std::span<const std::string_view> p, size_t pi, std::span<const std::string_view> t,
                size_t ti, int depth) {
  if (depth > 64) return false;  // "**/**/**/..." cannot make us recurse forever
  while (pi < p.size()) {
    if (p[pi] == "**") {
      // Zero or more components; "dir/**" needs at least one below dir.
      if (pi + 1 == p.size()) return ti < t.size();
      for (size_t k = ti; k <= t.size(); ++k) {
        if (match_from(p, pi + 1, t, k, depth + 1)) return true;
      }
      return false;
    }
    if (ti >= t.size() || !glob_match(p[pi], t[ti])) return false;
    ++pi;
    ++ti;
  }
  return true;
}

std::string join(std::string_view dir, std::string_view rel) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += rel;
  return out;
}

}  // namespace

bool is_read_tool(std::string_view tool) {
  return std::find(kReadTools.begin(), kReadTools.end(), tool) != kReadTools.end();
}

bool is_edit_tool(std::string_view tool) {
  return std::find(kEditTools.begin(), kEditTools.end(), tool) != kEditTools.end();
}

Result<ToolRule> parse_tool_rule(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return plain_error(fmt::format("\"{}\": control bytes are not allowed in a rule",
                                     std::string(text.substr(0, 40))));
    }
  }
  ToolRule rule;
  rule.text = std::string(text);
  size_t open = text.find('(');
  std::string_view name = text.substr(0, open);
  // "mcp__server__*": every tool of a server.
  std::string_view plain =
      name.starts_with("mcp__") && name.ends_with("__*") ? name.substr(0, name.size() - 1) : name;
  if (name.empty() || !std::all_of(plain.begin(), plain.end(), name_char)) {
    return plain_error(fmt::format(
        "\"{}\": expected Tool or Tool(specifier), with a tool name of letters, digits, _ and -",
        text));
  }
  rule.tool = std::string(name);
  if (open != std::string_view::npos) {
    if (text.back() != ')') {
      return plain_error(fmt::format("\"{}\": expected \")\" at the end", text));
    }
    std::string_view spec = text.substr(open + 1, text.size() - open - 2);
    if (spec.empty()) {
      return plain_error(fmt::format(
          "\"{}\": empty parentheses; write \"{}\" alone to mean every call", text, name));
    }
    rule.specifier = std::string(spec);
  }
  if (rule.tool == "Bash") {
    rule.kind = ToolKind::Bash;
  } else if (rule.tool == "Write") {
    rule.kind = ToolKind::Write;
  } else if (is_edit_tool(rule.tool)) {
    rule.kind = ToolKind::Edit;
  } else if (is_read_tool(rule.tool)) {
    rule.kind = ToolKind::Read;
  } else if (rule.tool == "WebFetch") {
    rule.kind = ToolKind::WebFetch;
    if (rule.specifier) {
      if (!rule.specifier->starts_with("domain:")) {
        return plain_error(fmt::format(
            "\"{}\": expected WebFetch(domain:HOST), e.g. WebFetch(domain:example.com)", text));
      }
      std::string_view host = std::string_view(*rule.specifier).substr(7);
      auto canonical = egress::canonical_pattern(host);
      if (!canonical.ok()) {
        return plain_error(fmt::format("\"{}\": {}", text, canonical.error().message));
      }
    }
  } else if (rule.tool.starts_with("mcp__")) {
    rule.kind = ToolKind::Mcp;
    if (rule.specifier) {
      return plain_error(fmt::format(
          "\"{}\": MCP rules take no parentheses: mcp__server or mcp__server__tool", text));
    }
  } else {
    rule.kind = ToolKind::Other;
    bool bare = std::find(kBareTools.begin(), kBareTools.end(), rule.tool) != kBareTools.end();
    if (bare && rule.specifier) {
      return plain_error(fmt::format("\"{}\": {} takes no specifier", text, rule.tool));
    }
  }
  if ((rule.kind == ToolKind::Read || rule.kind == ToolKind::Edit ||
       rule.kind == ToolKind::Write) &&
      rule.specifier) {
    const std::string& p = *rule.specifier;
    if (std::find(p.begin(), p.end(), '\0') != p.end() || p.find("/../") != std::string::npos ||
        p.ends_with("/..") || p.starts_with("../") || p == "..") {
      return plain_error(fmt::format("\"{}\": a path pattern may not contain \"..\"", text));
    }
  }
  return rule;
}

std::string absolute_path_pattern(std::string_view pattern, std::string_view home,
                                  std::string_view base, std::string_view cwd) {
  std::string abs;
  if (pattern.starts_with("//")) {
    abs = std::string(pattern.substr(1));
  } else if (pattern == "~" || pattern.starts_with("~/")) {
    abs = join(home, pattern.substr(std::min<size_t>(2, pattern.size())));
  } else if (pattern.starts_with("/")) {
    abs = join(base, pattern.substr(1));
  } else {
    std::string_view rel = pattern.starts_with("./") ? pattern.substr(2) : pattern;
    // gitignore: a pattern with no slash but at its end matches at any depth.
    std::string_view trimmed = rel;
    while (trimmed.ends_with('/')) trimmed.remove_suffix(1);
    if (trimmed.find('/') == std::string_view::npos && !pattern.starts_with("./")) {
      abs = join(cwd, "**/" + std::string(trimmed));
    } else {
      abs = join(cwd, rel);
    }
  }
  return abs;
}

bool path_pattern_matches(std::string_view absolute_pattern, std::string_view path) {
  auto p = path_components(absolute_pattern);
  auto t = path_components(path);
  return path_components_match(p, t);
}

bool path_components_match(std::span<const std::string_view> pattern,
                           std::span<const std::string_view> path) {
  // A leading "**" (from "name" at any depth) may also match nothing.
  return match_from(pattern, 0, path, 0, 0);
}

std::string canonical_target(std::string_view path, std::string_view home, std::string_view cwd,
                             std::string* lexical) {
  // "~" expanded, relative to cwd, ".." resolved: as a policy path is.
  std::string abs = absolute_pattern(path, home, cwd);
  if (lexical != nullptr) *lexical = abs;
  // realpath() of the longest prefix that exists; the rest as written.
  std::string head = abs;
  std::string tail;
  for (int i = 0; i < 4096; ++i) {
    char buf[PATH_MAX];
    if (::realpath(head.c_str(), buf) != nullptr) {
      // `tail` comes from a normalised path: no "." or ".." to resolve.
      return tail.empty() ? std::string(buf) : join(buf, tail);
    }
    size_t slash = head.rfind('/');
    if (slash == std::string::npos || head == "/") break;
    std::string last = head.substr(slash + 1);
    tail = tail.empty() ? last : last + "/" + tail;
    head = slash == 0 ? "/" : head.substr(0, slash);
  }
  return abs;
}

std::optional<std::string> url_host(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  std::string s(url.substr(0, scheme));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s != "http" && s != "https") return std::nullopt;
  std::string_view rest = url.substr(scheme + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  auto canonical = egress::canonical_host(host);
  if (!canonical.ok()) return std::nullopt;
  return *canonical;
}

bool url_matches_domain(std::string_view url, std::string_view domain_rule) {
  auto host = url_host(url);
  if (!host) return false;
  auto pattern = egress::canonical_pattern(domain_rule);
  return pattern.ok() && egress::host_matches(*pattern, *host);
}

}  // namespace cordon::policy
