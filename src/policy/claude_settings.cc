#include "policy/claude_settings.h"

#include <dirent.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "policy/load.h"
#include "policy/network.h"
#include "policy/pattern.h"
#include "policy/schema.h"
#include "policy/toolrules.h"

namespace cordon::policy {
namespace {

using nlohmann::json;

// Top-level Claude Code settings that do not concern cordon: known, so not
// reported as unknown, but listed as not applied.
constexpr std::array<std::string_view, 40> kOtherClaudeKeys = {
    "$schema",
    "apiKeyHelper",
    "awsAuthRefresh",
    "awsCredentialExport",
    "cleanupPeriodDays",
    "companyAnnouncements",
    "disableAllHooks",
    "enableAllProjectMcpServers",
    "enabledMcpjsonServers",
    "disabledMcpjsonServers",
    "enabledPlugins",
    "env",
    "extraKnownMarketplaces",
    "forceLoginMethod",
    "forceLoginOrgUUID",
    "hooks",
    "includeCoAuthoredBy",
    "model",
    "otelHeadersHelper",
    "outputStyle",
    "statusLine",
    "spinnerTipsEnabled",
    "alwaysThinkingEnabled",
    "allowedMcpServers",
    "deniedMcpServers",
    "useEnterpriseMcpConfigOnly",
    "disableBypassPermissionsMode",
    "theme",
    "verbose",
    "autoUpdates",
    "preferredNotifChannel",
    "feedbackSurveyState",
    "attribution",
    "language",
    "respectGitignore",
    "fileSuggestion",
    "allowManagedHooksOnly",
    "allowManagedPermissionRulesOnly",
    "plansDirectory",
    "skipWebFetchPreflight",
};

// The 1-based line of the first occurrence of `needle` (a JSON string
// literal as written) at or after `from`, or 0.
int line_of(std::string_view text, std::string_view needle, size_t from = 0) {
  size_t at = text.find(needle, from);
  if (at == std::string_view::npos) return 0;
  return static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n')) + 1;
}

class Reader {
 public:
  Reader(std::string_view text, const std::string& source, Layer layer)
      : text_(text), source_(source), layer_(layer) {}

  Result<json> parse() const {
    try {
      return json::parse(text_.begin(), text_.end());
    } catch (const json::parse_error& e) {
      // nlohmann reports a byte offset: turn it into line and column.
      size_t byte = e.byte > 0 ? e.byte - 1 : 0;
      byte = std::min(byte, text_.size());
      int line = 1 + static_cast<int>(
                         std::count(text_.begin(), text_.begin() + static_cast<long>(byte), '\n'));
      size_t line_start = text_.rfind('\n', byte == 0 ? 0 : byte - 1);
      size_t column = line_start == std::string_view::npos ? byte + 1 : byte - line_start;
      std::string what = e.what();
      if (size_t colon = what.rfind(": "); colon != std::string::npos)
        what = what.substr(colon + 2);
      return plain_error(fmt::format("{}:{}:{}: {}", source_, line, column, what));
    }
  }

  Origin origin(std::string_view value, std::string_view key) const {
    // The line of this value: after the key it belongs to, where possible.
    size_t after = text_.find("\"" + std::string(key) + "\"");
    std::string literal = json(std::string(value)).dump();
    int line = line_of(text_, literal, after == std::string_view::npos ? 0 : after);
    if (line == 0) line = line_of(text_, literal);
    return Origin{layer_, source_, line, 0};
  }

  int key_line(std::string_view key) const {
    return line_of(text_, "\"" + std::string(key) + "\"");
  }

  // An array of strings at `node`, or an error naming `name`.
  Result<std::vector<std::string>> strings(const json& node, const std::string& name) const {
    if (!node.is_array()) {
      return plain_error(fmt::format("{}:{}: {}: expected an array of strings", source_,
                                     key_line(name.substr(name.rfind('.') + 1)), name));
    }
    std::vector<std::string> out;
    for (const json& e : node) {
      if (!e.is_string()) {
        return plain_error(fmt::format("{}:{}: {}: expected strings only", source_,
                                       key_line(name.substr(name.rfind('.') + 1)), name));
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  void note(Policy& p, std::string_view key, const std::string& what) const {
    p.notes.push_back(fmt::format("{}:{}: {}", source_, key_line(key), what));
  }

  // A list of entries into `into`, each checked like the TOML field.
  Status add(PatternList& into, const json& node, const std::string& name, FieldKind kind,
             std::string_view key) const {
    auto list = strings(node, name);
    if (!list.ok()) return list.error();
    for (const std::string& v : *list) {
      Status valid = ok_status();
      if (kind == FieldKind::HostList) valid = check_host_pattern(v);
      if (kind == FieldKind::PathList) valid = check_path_pattern(v);
      if (kind == FieldKind::ToolRuleList) {
        auto rule = parse_tool_rule(v);
        if (!rule.ok()) valid = rule.error();
      }
      Origin o = origin(v, key);
      if (!valid.ok()) {
        return plain_error(
            fmt::format("{}:{}: {}: {}", source_, o.line, name, valid.error().message));
      }
      into.push_back({v, o});
    }
    return ok_status();
  }

 private:
  std::string_view text_;
  const std::string& source_;
  Layer layer_;
};

// A Read/Edit rule's path as a cordon path pattern for the sandbox, or ""
// when it cannot be one (a "**" inside, a glob cordon does not take).
std::string sandbox_path(const std::string& pattern, std::string_view base) {
  std::string p = pattern;
  while (p.size() > 3 && p.ends_with("/**")) p.resize(p.size() - 3);
  if (p.starts_with("//")) {
    p = p.substr(1);
  } else if (p.starts_with("/")) {
    p = std::string(base) + p;
  } else if (p.starts_with("./")) {
    p = p.substr(2);
  }
  if (p.find("**") != std::string::npos || !check_path_pattern(p).ok()) return {};
  return p;
}

}  // namespace

Result<Policy> parse_claude_settings(std::string_view text, const std::string& source,
                                     Layer layer) {
  Reader r(text, source, layer);
  auto doc = r.parse();
  if (!doc.ok()) return doc.error();
  if (!doc->is_object()) return plain_error(source + ":1:1: expected a JSON object");
  Policy p;
  p.sources.push_back({layer, source});
  bool sandbox_enabled = false;
  if (auto s = doc->find("sandbox"); s != doc->end() && s->is_object()) {
    if (auto e = s->find("enabled"); e != s->end() && e->is_boolean()) sandbox_enabled = *e;
    for (const auto& [key, value] : s->items()) {
      static constexpr std::array<std::string_view, 8> kSandboxKeys = {
          "enabled",          "autoAllowBashIfSandboxed",    "excludedCommands",
          "network",          "allowUnsandboxedCommands",    "enableWeakerNestedSandbox",
          "ignoreViolations", "enableWeakerNetworkIsolation"};
      if (std::find(kSandboxKeys.begin(), kSandboxKeys.end(), key) == kSandboxKeys.end()) {
        r.note(p, key, fmt::format("unknown key \"sandbox.{}\"", key));
      } else if (key != "enabled") {
        r.note(p, key,
               fmt::format("sandbox.{} not applied: cordon's own sandbox settings decide", key));
      }
    }
  }
  for (const auto& [key, value] : doc->items()) {
    if (key == "permissions") {
      if (!value.is_object()) {
        return plain_error(
            fmt::format("{}:{}: permissions: expected an object", source, r.key_line(key)));
      }
      for (const auto& [pkey, pvalue] : value.items()) {
        if (pkey == "allow" || pkey == "ask" || pkey == "deny") {
          PatternList& into = pkey == "allow" ? p.tools.allow
                              : pkey == "ask" ? p.tools.ask
                                              : p.tools.deny;
          CORDON_TRY(r.add(into, pvalue, "permissions." + pkey, FieldKind::ToolRuleList, pkey));
        } else if (pkey == "additionalDirectories") {
          auto dirs = r.strings(pvalue, "permissions.additionalDirectories");
          if (!dirs.ok()) return dirs.error();
          for (const auto& d : *dirs) {
            if (check_path_pattern(d).ok()) {
              p.filesystem.allow_write.push_back({d, r.origin(d, pkey)});
            } else {
              r.note(p, pkey,
                     fmt::format("additional directory \"{}\" not applied: not a path "
                                 "cordon can use",
                                 d));
            }
          }
        } else if (pkey == "defaultMode" || pkey == "disableBypassPermissionsMode") {
          r.note(p, pkey,
                 fmt::format("permissions.{} not applied: cordon decides by its rules", pkey));
        } else {
          r.note(p, pkey, fmt::format("unknown key \"permissions.{}\"", pkey));
        }
      }
    } else if (key == "sandbox") {
      continue;  // above
    } else if (std::find(kOtherClaudeKeys.begin(), kOtherClaudeKeys.end(), key) ==
               kOtherClaudeKeys.end()) {
      r.note(p, key, fmt::format("unknown key \"{}\"", key));
    }
  }
  // With Claude Code's sandbox on, its network and filesystem limits come
  // from the same rules: WebFetch domains, Read and Edit paths.
  if (sandbox_enabled) {
    std::string base = rule_base(Origin{layer, source, 0, 0}, "");
    auto apply = [&](const PatternList& rules, bool allow) {
      for (const auto& e : rules) {
        auto rule = parse_tool_rule(e.value);
        if (!rule.ok() || !rule->specifier) continue;
        if (rule->kind == ToolKind::WebFetch) {
          std::string host = rule->specifier->substr(7);
          (allow ? p.network.allow : p.network.deny).push_back({host, e.origin});
        } else if (!allow && (rule->kind == ToolKind::Read || rule->kind == ToolKind::Edit)) {
          std::string path = sandbox_path(*rule->specifier, base);
          if (path.empty()) {
            p.notes.push_back(
                fmt::format("{}:{}: {} not applied to the sandbox: its path is not "
                            "one cordon can mount",
                            source, e.origin.line, e.value));
          } else {
            (rule->kind == ToolKind::Read ? p.filesystem.deny_read : p.filesystem.deny_write)
                .push_back({path, e.origin});
          }
        }
      }
    };
    apply(p.tools.allow, true);
    apply(p.tools.deny, false);
  }
  return p;
}

Result<Policy> parse_srt_settings(std::string_view text, const std::string& source, Layer layer) {
  Reader r(text, source, layer);
  auto doc = r.parse();
  if (!doc.ok()) return doc.error();
  if (!doc->is_object()) return plain_error(source + ":1:1: expected a JSON object");
  Policy p;
  p.sources.push_back({layer, source});
  for (const auto& [key, value] : doc->items()) {
    if (key == "network" && value.is_object()) {
      for (const auto& [nkey, nvalue] : value.items()) {
        if (nkey == "allowedDomains") {
          CORDON_TRY(
              r.add(p.network.allow, nvalue, "network.allowedDomains", FieldKind::HostList, nkey));
        } else if (nkey == "deniedDomains") {
          CORDON_TRY(
              r.add(p.network.deny, nvalue, "network.deniedDomains", FieldKind::HostList, nkey));
        } else if (nkey == "allowUnixSockets" || nkey == "allowAllUnixSockets" ||
                   nkey == "allowLocalBinding" || nkey == "httpProxyPort" ||
                   nkey == "socksProxyPort") {
          r.note(p, nkey,
                 fmt::format("network.{} not applied: cordon's sandbox has its own "
                             "setting ([sandbox] unix_sockets, the egress proxy)",
                             nkey));
        } else {
          r.note(p, nkey, fmt::format("unknown key \"network.{}\"", nkey));
        }
      }
    } else if (key == "filesystem" && value.is_object()) {
      for (const auto& [fkey, fvalue] : value.items()) {
        PatternList* into = fkey == "denyRead"     ? &p.filesystem.deny_read
                            : fkey == "allowWrite" ? &p.filesystem.allow_write
                            : fkey == "denyWrite"  ? &p.filesystem.deny_write
                                                   : nullptr;
        if (into == nullptr) {
          r.note(p, fkey, fmt::format("unknown key \"filesystem.{}\"", fkey));
          continue;
        }
        auto list = r.strings(fvalue, "filesystem." + fkey);
        if (!list.ok()) return list.error();
        for (const auto& v : *list) {
          std::string path = v.starts_with("./") ? v.substr(2) : v;
          if (check_path_pattern(path).ok()) {
            into->push_back({path, r.origin(v, fkey)});
          } else {
            r.note(p, fkey,
                   fmt::format("filesystem.{} \"{}\" not applied: not a path pattern "
                               "cordon takes (no \"**\", no \"..\")",
                               fkey, v));
          }
        }
      }
    } else if (key == "ignoreViolations" || key == "enableWeakerNestedSandbox" ||
               key == "allowPty" || key == "mandatoryDenySearchDepth") {
      r.note(p, key, fmt::format("{} not applied: cordon's sandbox decides", key));
    } else {
      r.note(p, key, fmt::format("unknown key \"{}\"", key));
    }
  }
  return p;
}

std::vector<SettingsFile> claude_settings_files(std::string_view home, std::string_view workspace,
                                                std::string_view claude_config_dir,
                                                std::string_view managed_dir) {
  std::vector<SettingsFile> out;
  const std::string h(home);
  out.push_back({h + "/.srt-settings.json", Layer::User, true});
  std::string config =
      claude_config_dir.starts_with("/") ? std::string(claude_config_dir) : h + "/.claude";
  out.push_back({config + "/settings.json", Layer::User, false});
  const std::string ws(workspace);
  out.push_back({ws + "/.claude/settings.json", Layer::Project, false});
  out.push_back({ws + "/.claude/settings.local.json", Layer::Project, false});
  if (!managed_dir.empty()) {
    const std::string m(managed_dir);
    out.push_back({m + "/managed-settings.json", Layer::Managed, false});
    std::vector<std::string> drop_ins;
    if (DIR* d = opendir((m + "/managed-settings.d").c_str())) {
      while (struct dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.ends_with(".json") && name[0] != '.') drop_ins.push_back(name);
      }
      closedir(d);
    }
    std::sort(drop_ins.begin(), drop_ins.end());
    for (const auto& name : drop_ins) {
      out.push_back({m + "/managed-settings.d/" + name, Layer::Managed, false});
    }
  }
  return out;
}

std::string rule_base(const Origin& origin, std::string_view workspace) {
  const std::string& s = origin.source;
  for (std::string_view suffix :
       {"/.claude/settings.json", "/.claude/settings.local.json", "/.cordon/policy.toml"}) {
    if (s.ends_with(suffix)) return s.substr(0, s.size() - suffix.size());
  }
  return std::string(workspace);
}

}  // namespace cordon::policy
