// The policy schema: one row per setting, shared by the file parser, the
// command-line flags and `cordon policy show`, so the three cannot drift
// (STYLE.md: "the config schema is the single source").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
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
  Memory,
  Pids,
  Cpus,
  FileSize,
  OpenFiles,
  TmpfsSize,
  Mode,
  Require,
  OnViolation,
  UnixSockets,
  HostPtys,
  NetAllow,
  NetDeny,
  NetAsk,
  NetOpenRanges,
  NetResolve,
  ToolsAllow,
  ToolsAsk,
  ToolsDeny,
  ToolsTrusted,
  ToolsContainedCalls,
  ToolsFlow,
  TrustProjects,
};

enum class FieldKind {
  PathList,         // path patterns: absolute, "~"-relative or workspace-relative
  NameList,         // environment variable names (globs)
  Duration,         // seconds as a number, or "10m", "1h30m", "45s"
  ProjectList,      // absolute or "~" paths of trusted workspaces
  Size,             // bytes: an integer, or a string "512M", "1.5G" (powers of 1024)
  Count,            // an integer in [min, max]
  Number,           // a number, integer or not, in [min, max]
  Choice,           // one of `choices`
  RequirementList,  // names from known_requirements() (pattern.h)
  HostList,         // "host", "*.suffix", "host:port", "[v6]:port" (policy/network.h)
  CidrList,         // address ranges: "10.0.0.0/8", "fd00::/8", or one address
  ResolveList,      // "name=address"; in a file also a table { name = "address" }
  ToolRuleList,     // Claude Code rules: "Bash(npm test:*)", "Read(~/.ssh/**)" (toolrules.h)
};

// Duration, Size, Count and Number hold one number, and the smallest that
// any layer sets wins; Choice holds one word, and the strictest wins; the
// other kinds are lists.

struct Field {
  FieldId id;
  std::string_view section;  // "filesystem"
  std::string_view key;      // "allow_read"
  FieldKind kind;
  bool loosens;                 // grants something: dropped from an untrusted project
  std::string_view flag;        // "--allow-read"; empty when there is no flag
  std::string_view value_name;  // "PATH", shown in --help
  std::string_view help;        // one line, for --help and docs
  // What it means when no layer sets a one-value field, for `policy show`
  // ("no memory limit"); empty for lists.
  std::string_view unset = {};
  // Choice: the accepted words, loosest first; the strictest set by any layer wins.
  std::span<const std::string_view> choices = {};
  // Count and Number: the accepted range, both ends included.
  double min = 0;
  double max = 0;

  // "filesystem.allow_read"
  [[nodiscard]] std::string name() const;
  // One number: Duration, Size, Count or Number.
  [[nodiscard]] bool is_number() const;
  [[nodiscard]] bool is_list() const;
};

// Every field, in the order files are documented and `policy show` prints them.
std::span<const Field> fields();

// The sections, in order: "filesystem", "process", "resources", "sandbox", "trust".
std::span<const std::string_view> sections();

// nullptr when the section has no such key.
const Field* find_field(std::string_view section, std::string_view key);
const Field& field(FieldId id);

// The list a field fills, or nullptr for a one-value field.
PatternList* pattern_list(Policy& policy, FieldId id);
const PatternList* pattern_list(const Policy& policy, FieldId id);
// The value a Duration, Size, Count or Number field fills, else nullptr.
std::optional<Entry<double>>* number_value(Policy& policy, FieldId id);
const std::optional<Entry<double>>* number_value(const Policy& policy, FieldId id);
// The value a Choice field fills, else nullptr.
std::optional<Entry<std::string>>* choice_value(Policy& policy, FieldId id);
const std::optional<Entry<std::string>>* choice_value(const Policy& policy, FieldId id);

// The sentence that follows "FILE:LINE:COL: key: " or "--flag: " when a
// one-value field gets a value it does not accept: "expected an integer
// from 1 to 4194304", "expected \"errno\" or \"kill\"", ...
std::string expected_value(const Field& f);
// Whether a number field accepts `value` (in range, whole where it must be).
bool accepts_number(const Field& f, double value);
// A number field's value written as text (a flag's argument, a built-in
// default): "10m", "1.5G", "512", "1.5"; nullopt when not accepted.
std::optional<double> number_from_text(const Field& f, std::string_view text);
// The value as `policy show` writes it, without quotes: "600", "2G", "1.5".
std::string number_text(const Field& f, double value);
// The position of `value` in a Choice field's words (0 = loosest), or -1.
int choice_rank(const Field& f, std::string_view value);
// Checks one entry of a list field (path, name, project or requirement).
Status check_list_entry(const Field& f, std::string_view value);

}  // namespace cordon::policy
