// Reading policy files and combining the layers into the effective policy.
//
// This is the policy layer's whole public surface: `cordon run` and
// `cordon policy` call these and nothing below them. Everything here is pure
// except load_effective() and load_policy_file(), which read files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "policy/policy.h"

namespace cordon::policy {

// The embedded default policy as TOML text (compiled in), so `policy show`
// can cite "built-in:LINE". Line 1 is the first line of the returned text.
std::string_view builtin_default_toml();
// The same default as a Policy, built without parsing: what load_effective()
// uses. parse_policy(builtin_default_toml(), "built-in", Layer::BuiltIn)
// gives the same entries with the same origins (a unit test checks it).
const Policy& builtin_default();

// Parses one policy file. Errors read "FILE:LINE:COL: <what was expected>",
// also for unknown sections or keys, wrong types and bad values (a negative
// timeout, an empty pattern, a ".." component, NUL or other control bytes,
// a size of "2GB", pids = 0, an unknown mode or requirement).
// Every entry's Origin carries `layer` and its own line and column.
Result<Policy> parse_policy(std::string_view text, const std::string& source_name, Layer layer);

// Reads and parses one file. A file that does not exist is an error here;
// load_effective() decides which files may be missing. Refuses anything
// that is not a regular file (a FIFO would block, /dev/zero never ends) and
// files over 1 MiB.
Result<Policy> load_policy_file(const std::string& path, Layer layer);

// Where the user file lives: $XDG_CONFIG_HOME/cordon/policy.toml when
// xdg_config_home is absolute, else HOME/.config/cordon/policy.toml; empty
// when neither is usable.
std::string user_policy_path(std::string_view home, std::string_view xdg_config_home);
// WORKSPACE/.cordon/policy.toml
std::string project_policy_path(std::string_view workspace);

struct LoadRequest {
  std::string workspace;        // canonical absolute; project file is WORKSPACE/.cordon/policy.toml
  std::string home;             // absolute; "~" in patterns and the default user file
  std::string xdg_config_home;  // may be empty; used only when absolute
  std::string managed_file = "/etc/cordon/managed.toml";
  // A stand-in managed file for tests (CORDON_MANAGED_POLICY), used only when
  // managed_file does not exist; when it does, load_effective() refuses to
  // run rather than let an environment variable replace, or add loosening
  // "managed" entries beside, what an administrator wrote.
  std::string managed_override;
  std::vector<std::string> extra_files;  // --policy FILE..., Layer::User after the user file
  bool trust_project = false;            // --trust-project (the user file's [trust] is checked too)
  Policy command_line;                   // entries from flags, origin Layer::CommandLine
  // Claude Code's settings files and sandbox-runtime's (claude_settings.h),
  // as layers beside cordon's own: user ones after the built-in default,
  // project ones before cordon's project file, managed ones before cordon's
  // managed file.
  bool claude_settings = true;
  std::string claude_config_dir;  // $CLAUDE_CONFIG_DIR; empty: ~/.claude
  std::string claude_managed_dir = "/etc/claude-code";
};

// Loads built-in < user file < extra files < project file < command line <
// managed file and merges them. Missing user, project and managed files
// are skipped; a missing --policy file, an unreadable or an invalid file is
// an error. The project is trusted when request.trust_project is set or a
// [trust] projects pattern from the user or a --policy file matches the
// workspace exactly (globs per component, "~" expanded).
Result<Policy> load_effective(const LoadRequest& request);

// Merges layers given lowest first. Rules:
// - deny_read, deny_write, env_scrub: the union of every layer;
// - allow_read, allow_write, env_pass from an UNTRUSTED project layer are
//   dropped (a repository's own file may only tighten) and recorded in
//   `ignored` with reason "project not trusted";
// - [trust] counts only from Layer::User; elsewhere it is recorded as ignored;
// - timeout and every [resources] limit: the smallest value set by any
//   layer; [sandbox] mode, on_violation, unix_sockets: the strictest (full >
//   auto > landlock, kill > errno, deny > allow); require: the union. The
//   built-in default's values are only defaults: a User, CommandLine,
//   Managed or trusted Project value replaces them (looser or tighter), and
//   only an untrusted Project is held to them. Every value not applied is
//   recorded in `ignored` with the one that applies;
// - managed: an allow_read or allow_write from a lower layer that could lie
//   within a managed deny_read (or, for allow_write, deny_write) is dropped,
//   and so is an env_pass that a managed env_scrub matches; so a managed
//   deny always applies, and no layer exceeds a managed timeout or limit or
//   runs with a looser sandbox setting than the managed one.
// Identical patterns in one list are kept once (the highest layer's origin).
// `home` and `workspace` let the managed checks compare "~/x", "x" and
// "/abs/x" forms; the two-argument form compares each form only with itself.
Policy merge(const std::vector<Policy>& layers_in_order, bool trust_project);
Policy merge(const std::vector<Policy>& layers_in_order, bool trust_project, std::string_view home,
             std::string_view workspace);

// Expands "~" / "~/x" with `home` and relative patterns against `workspace`
// (both absolute); absolute patterns stay. The result is absolute and
// lexically normalised (no "..", no "//", no "." and no trailing "/");
// globs are left as they are.
std::string absolute_pattern(std::string_view pattern, std::string_view home,
                             std::string_view workspace);

// Drops every NAME=VALUE whose NAME matches an env_scrub glob unless it
// matches an env_pass glob; a managed scrub is overridden only by a managed
// pass. Names match case-insensitively ("github_token" is still a token).
// Entries without "=" are judged by their whole text.
std::vector<std::string> scrub_environment(const Process& process,
                                           const std::vector<std::string>& environ);

// The effective policy as valid TOML: each entry followed by a comment
// naming its origin ("# built-in:12", "# /home/u/.config/cordon/policy.toml:3:5",
// "# command line"), then the ignored entries as comments.
std::string show(const Policy& effective);

}  // namespace cordon::policy
