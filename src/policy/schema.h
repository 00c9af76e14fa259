// The policy schema: one row per setting, shared by the file parser, the
// command-line flags and `cordon policy show`, so the three cannot drift
// (STYLE.md: "the config schema is the single source").
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "policy/policy.h"

namespace cordon::policy {

enum class FieldId {
  AllowRead,
  DenyRead,
  AllowWrite,
  DenyWrite,
  Timeout,
  EnvPass,
  EnvScrub,
  TrustProjects,
};

enum class FieldKind {
  PathList,     // path patterns: absolute, "~"-relative or workspace-relative
  NameList,     // environment variable names (globs)
  Duration,     // seconds as a number, or "10m", "1h30m", "45s"
  ProjectList,  // absolute or "~" paths of trusted workspaces
};

struct Field {
  FieldId id;
  std::string_view section;  // "filesystem"
  std::string_view key;      // "allow_read"
  FieldKind kind;
  bool loosens;                 // grants something: dropped from an untrusted project
  std::string_view flag;        // "--allow-read"; empty when there is no flag
  std::string_view value_name;  // "PATH", shown in --help
  std::string_view help;        // one line, for --help and docs

  // "filesystem.allow_read"
  [[nodiscard]] std::string name() const;
};

// Every field, in the order files are documented and `policy show` prints them.
std::span<const Field> fields();

// The sections, in order: "filesystem", "process", "trust".
std::span<const std::string_view> sections();

// nullptr when the section has no such key.
const Field* find_field(std::string_view section, std::string_view key);
const Field& field(FieldId id);

// The list a field fills, or nullptr for the timeout (the only scalar).
PatternList* pattern_list(Policy& policy, FieldId id);
const PatternList* pattern_list(const Policy& policy, FieldId id);

}  // namespace cordon::policy
