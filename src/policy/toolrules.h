// Tool-call rules in Claude Code's syntax: "Tool" or "Tool(specifier)".
//
//   Bash(npm run test:*)   Bash(git diff)   Bash(git * main)   Bash
//   Read(./.env)   Read(~/.ssh/**)   Read(//etc/passwd)   Edit(src/**)   Write(/docs/*.md)
//   WebFetch(domain:example.com)   WebSearch   mcp__github   mcp__github__create_issue
//
// Parsing and the matching of one rule against one call live here; the
// decision over a whole rule set (deny, then ask, then allow, then what the
// sandbox contains) is decide_call.h. Pure: the only filesystem access is
// resolving the path a call would touch (canonical_target).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace cordon::policy {

enum class ToolKind {
  Bash,      // specifier: a command pattern (src/shell/rules.h)
  Read,      // Read, and the tools that read files: Glob, Grep, LS, NotebookRead
  Edit,      // Edit, and the tools that change files: Write, MultiEdit, NotebookEdit
  Write,     // Write(path): as Edit, for the Write tool only
  WebFetch,  // specifier: "domain:HOST" (HOST exact, or "*.suffix")
  Mcp,       // mcp__server (every tool of the server) or mcp__server__tool
  Other,     // any other tool name: matched by name only
};

struct ToolRule {
  std::string text;  // as written: "Bash(npm run test:*)"
  std::string tool;  // "Bash", "mcp__github__create_issue"
  ToolKind kind = ToolKind::Other;
  std::optional<std::string> specifier;  // inside the parentheses
  // Where it was written, for every answer that cites it.
  std::string source;  // file, "built-in" or "command line"
  int line = 0;
  // For path rules written "/path": the directory it is relative to (the
  // project of the settings file that holds it).
  std::string base;
};

// "Tool" or "Tool(specifier)". Errors name what was expected: an empty
// specifier, unbalanced parentheses, a tool name with odd characters,
// "domain:" missing in a WebFetch rule, a specifier on a tool that takes
// none (WebSearch, MCP tools), control bytes anywhere.
Result<ToolRule> parse_tool_rule(std::string_view text);

// The tools each kind of path rule covers (Claude Code: "Edit rules apply
// to all built-in tools that edit files").
bool is_read_tool(std::string_view tool);
bool is_edit_tool(std::string_view tool);

// A path pattern of a Read/Edit/Write rule as an absolute glob:
//   "//abs/path" -> "/abs/path"; "~/x" -> HOME/x; "/x" -> BASE/x;
//   "./x" or "x" -> CWD/x.
// A pattern with no "/" inside (".env", "*.pem") matches that name at any
// depth below its directory, as in gitignore ("CWD/**/.env").
std::string absolute_path_pattern(std::string_view pattern, std::string_view home,
                                  std::string_view base, std::string_view cwd);

// gitignore-style glob on absolute paths: "*" and "?" within a component,
// "**" any number of components, "[...]" classes. "dir/**" matches
// everything below dir (not dir itself); a pattern also matches everything
// below a directory it matches ("~/.ssh" covers "~/.ssh/id_rsa").
bool path_pattern_matches(std::string_view absolute_pattern, std::string_view path);
// The same on both sides already split by path_components(): what the
// decision engine uses, with each rule's pattern split once.
bool path_components_match(std::span<const std::string_view> pattern,
                           std::span<const std::string_view> path);

// The path a call would touch, made absolute against `cwd` with "~"
// expanded, ".." resolved, and symbolic links resolved as far as the path
// exists (the rest appended): what a rule must be matched against.
// `lexical` gets the same path with only "~" and ".." resolved.
std::string canonical_target(std::string_view path, std::string_view home, std::string_view cwd,
                             std::string* lexical = nullptr);

// Whether a WebFetch(domain:...) rule covers a URL: its host, canonical,
// equal to the domain or below a "*.suffix". A URL without a parseable
// http(s) host matches no domain rule.
bool url_matches_domain(std::string_view url, std::string_view domain_rule);
// The canonical host of an http(s) URL, or nullopt.
std::optional<std::string> url_host(std::string_view url);

}  // namespace cordon::policy
