// Claude Code's settings.json files and sandbox-runtime's settings JSON,
// read as they are, as policy layers: a user brings what they wrote.
//
//   Claude Code (settings.json):  permissions.allow / ask / deny  -> [tools]
//                                 permissions.additionalDirectories -> filesystem.allow_write
//                                 sandbox.network.allowedDomains / deniedDomains? see below
//   sandbox-runtime (~/.srt-settings.json):
//                                 network.allowedDomains -> [network] allow
//                                 network.deniedDomains  -> [network] deny
//                                 filesystem.denyRead    -> filesystem.deny_read
//                                 filesystem.allowWrite  -> filesystem.allow_write
//                                 filesystem.denyWrite   -> filesystem.deny_write
//
// Every key cordon does not know is reported in Policy::notes ("unknown key
// \"permisions\" in ~/.claude/settings.json:3"), never dropped silently;
// keys it knows but that do not concern it (hooks, model, env, ...) are
// listed once as not applied. Each entry's origin is its file and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "policy/policy.h"

namespace cordon::policy {

// One Claude Code settings file. A JSON syntax error is an error with the
// file, line and column; a value of the wrong type too.
Result<Policy> parse_claude_settings(std::string_view text, const std::string& source, Layer layer);

// sandbox-runtime's settings file.
Result<Policy> parse_srt_settings(std::string_view text, const std::string& source, Layer layer);

struct SettingsFile {
  std::string path;
  Layer layer;
  bool srt = false;  // sandbox-runtime's format
};

// Where they are, lowest precedence first: ~/.srt-settings.json,
// $CLAUDE_CONFIG_DIR/settings.json (else ~/.claude/settings.json) as User;
// WORKSPACE/.claude/settings.json and settings.local.json as Project;
// MANAGED_DIR/managed-settings.json and MANAGED_DIR/managed-settings.d/*.json
// (sorted) as Managed.
std::vector<SettingsFile> claude_settings_files(std::string_view home, std::string_view workspace,
                                                std::string_view claude_config_dir,
                                                std::string_view managed_dir);

// For a "/path" rule: the project root of the settings file it came from
// (the directory holding its .claude directory), else the workspace.
std::string rule_base(const Origin& origin, std::string_view workspace);

}  // namespace cordon::policy
