#include "policy/schema.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "policy/network.h"
#include "policy/pattern.h"
#include "policy/toolrules.h"

namespace cordon::policy {
namespace {

constexpr std::array<std::string_view, 7> kSections = {
    "filesystem", "process", "resources", "sandbox", "network", "tools", "trust"};

// Loosest first: the rank of a word is how strict it is.
constexpr std::string_view kModes[] = {"landlock", "auto", "full"};
constexpr std::string_view kViolationActions[] = {"errno", "kill"};
constexpr std::string_view kUnixSockets[] = {"allow", "deny"};
constexpr std::string_view kHostPtys[] = {"allow", "deny"};
constexpr std::string_view kContainedCalls[] = {"allow", "ask"};
constexpr std::string_view kFlow[] = {"off", "ask", "deny"};
constexpr std::span<const std::string_view> kNoWords;  // not a Choice

// PID_MAX_LIMIT on 64-bit Linux: no pids.max above it means anything.
constexpr double kMaxPids = 4194304;
// Far above any fs.nr_open in use; the sandbox lowers a limit above the
// hard limit it inherits to that limit (src/sandbox/rlimits.h).
constexpr double kMaxOpenFiles = 1073741824;
// cpu.max cannot give less than 1 ms of CPU per 100 ms period.
constexpr double kMinCpus = 0.01;
constexpr double kMaxCpus = 1024;

constexpr std::array<Field, 30> kFields = {{
    {FieldId::AllowRead, "filesystem", "allow_read", FieldKind::PathList, true, "--allow-read",
     "PATH", "Make PATH visible read-only (also inside a denied tree)"},
    {FieldId::DenyRead, "filesystem", "deny_read", FieldKind::PathList, false, "--deny-read",
     "PATH", "Make PATH appear empty"},
    {FieldId::AllowWrite, "filesystem", "allow_write", FieldKind::PathList, true, "--allow-write",
     "PATH", "Make PATH writable (the workspace always is)"},
    {FieldId::DenyWrite, "filesystem", "deny_write", FieldKind::PathList, false, "--deny-write",
     "PATH", "Keep PATH read-only even inside a writable tree"},
    {FieldId::Timeout, "process", "timeout", FieldKind::Duration, false, "--timeout", "DURATION",
     "Kill the command after DURATION (600, \"10m\", \"1h30m\"); the smallest wins",
     "no wall-clock limit"},
    {FieldId::EnvPass, "process", "env_pass", FieldKind::NameList, true, "--pass-env", "NAME",
     "Keep environment variable NAME even if a scrub pattern matches it"},
    {FieldId::EnvScrub, "process", "env_scrub", FieldKind::NameList, false, "", "NAME",
     "Remove environment variables whose name matches"},
    {FieldId::Memory, "resources", "memory", FieldKind::Size, false, "--memory", "SIZE",
     "Limit the memory of the whole run to SIZE (\"2G\", \"512M\"); the smallest wins",
     "no memory limit"},
    {FieldId::Pids, "resources", "pids", FieldKind::Count, false, "--pids", "N",
     "Limit the run to N processes and threads at once; the smallest wins", "no process limit",
     kNoWords, 1, kMaxPids},
    {FieldId::Cpus, "resources", "cpus", FieldKind::Number, false, "--cpus", "N",
     "Limit the run to N CPUs' worth of time (1.5); the smallest wins", "no CPU limit", kNoWords,
     kMinCpus, kMaxCpus},
    {FieldId::FileSize, "resources", "file_size", FieldKind::Size, false, "--file-size", "SIZE",
     "Refuse to write a file beyond SIZE (\"1G\"); the smallest wins", "no file size limit"},
    {FieldId::OpenFiles, "resources", "open_files", FieldKind::Count, false, "--open-files", "N",
     "Limit each process to N open files (at least 16); the smallest wins",
     "the open-file limit cordon was started with", kNoWords, 16, kMaxOpenFiles},
    {FieldId::TmpfsSize, "resources", "tmpfs_size", FieldKind::Size, false, "--tmpfs-size", "SIZE",
     "Bound each private tmpfs (/tmp, /dev/shm) to SIZE; the smallest wins",
     "the kernel's tmpfs default, half of the memory"},
    {FieldId::Mode, "sandbox", "mode", FieldKind::Choice, false, "--mode", "MODE",
     "Enforcement: full, landlock or auto; the strictest wins (full > auto > landlock)",
     "same as \"auto\"", kModes},
    {FieldId::Require, "sandbox", "require", FieldKind::RequirementList, false, "--require", "NAME",
     "Refuse to run unless the host can enforce NAME (filesystem-isolation, protected-paths, "
     "credential-hiding, network-isolation, process-isolation, landlock, seccomp, "
     "resource-limits)"},
    {FieldId::OnViolation, "sandbox", "on_violation", FieldKind::Choice, false, "--on-violation",
     "ACTION", "What a refused system call does: errno (it fails) or kill (SIGSYS); kill wins",
     "same as \"errno\"", kViolationActions},
    {FieldId::UnixSockets, "sandbox", "unix_sockets", FieldKind::Choice, false, "--unix-sockets",
     "allow|deny", "Allow or deny socket(AF_UNIX); deny wins", "same as \"allow\"", kUnixSockets},
    {FieldId::HostPtys, "sandbox", "host_ptys", FieldKind::Choice, false, "--host-ptys",
     "allow|deny",
     "Landlock mode: let the command open the host's /dev/pts to create ptys of its own, which "
     "also reaches every terminal of the user's; deny wins",
     "same as \"deny\"", kHostPtys},
    {FieldId::NetAllow, "network", "allow", FieldKind::HostList, true, "--allow-domain", "HOST",
     "Let the proxy reach HOST (\"example.com\", \"*.example.com\", \"example.com:443\")"},
    {FieldId::NetDeny, "network", "deny", FieldKind::HostList, false, "--deny-domain", "HOST",
     "Refuse HOST even when an allow or ask rule matches it"},
    {FieldId::NetAsk, "network", "ask", FieldKind::HostList, true, "--ask-domain", "HOST",
     "Ask on cordon's terminal before reaching HOST (denied when there is no terminal)"},
    {FieldId::NetOpenRanges, "network", "open_ranges", FieldKind::CidrList, true, "--open-range",
     "CIDR", "Let the proxy connect to addresses in CIDR (loopback, private, link-local ...)"},
    {FieldId::NetResolve, "network", "resolve", FieldKind::ResolveList, true, "--resolve",
     "NAME=ADDRESS", "Resolve NAME to ADDRESS in the proxy instead of asking DNS"},
    {FieldId::ToolsAllow, "tools", "allow", FieldKind::ToolRuleList, true, "", "RULE",
     "Tool calls allowed without a question (\"Bash(npm run test:*)\", \"Edit(src/**)\")"},
    {FieldId::ToolsAsk, "tools", "ask", FieldKind::ToolRuleList, false, "", "RULE",
     "Tool calls that always need a question"},
    {FieldId::ToolsDeny, "tools", "deny", FieldKind::ToolRuleList, false, "", "RULE",
     "Tool calls refused"},
    {FieldId::ToolsTrusted, "tools", "trusted", FieldKind::NameList, true, "", "TOOL",
     "Tools whose output is trusted (mcp__server, mcp__server__tool; globs)"},
    {FieldId::ToolsContainedCalls, "tools", "contained_calls", FieldKind::Choice, false, "", "",
     "A call that stays inside the sandbox needs no rule (allow) or asks (ask); ask wins",
     "same as \"allow\"", kContainedCalls},
    {FieldId::ToolsFlow, "tools", "flow", FieldKind::Choice, false, "", "",
     "Untrusted input + private data + sending out, or a destination seen only in untrusted "
     "content: off, ask or deny; the strictest wins",
     "same as \"ask\"", kFlow},
    {FieldId::TrustProjects, "trust", "projects", FieldKind::ProjectList, true, "", "PATH",
     "Workspaces whose .cordon/policy.toml may loosen (user file only)"},
}};

// "\"a\", \"b\" or \"c\""
std::string word_list(std::span<const std::string_view> words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += fmt::format("\"{}\"", words[i]);
  }
  return out;
}

bool whole(double value) { return std::isfinite(value) && value == std::floor(value); }

}  // namespace

std::string Field::name() const {
  std::string out(section);
  out += '.';
  out += key;
  return out;
}

bool Field::is_number() const {
  return kind == FieldKind::Duration || kind == FieldKind::Size || kind == FieldKind::Count ||
         kind == FieldKind::Number;
}

bool Field::is_list() const { return !is_number() && kind != FieldKind::Choice; }

std::span<const Field> fields() { return kFields; }

std::span<const std::string_view> sections() { return kSections; }

const Field* find_field(std::string_view section, std::string_view key) {
  for (const Field& f : kFields) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

const Field& field(FieldId id) {
  for (const Field& f : kFields) {
    if (f.id == id) return f;
  }
  return kFields[0];  // unreachable: every FieldId has a row
}

PatternList* pattern_list(Policy& policy, FieldId id) {
  switch (id) {
    case FieldId::AllowRead: return &policy.filesystem.allow_read;
    case FieldId::DenyRead: return &policy.filesystem.deny_read;
    case FieldId::AllowWrite: return &policy.filesystem.allow_write;
    case FieldId::DenyWrite: return &policy.filesystem.deny_write;
    case FieldId::EnvPass: return &policy.process.env_pass;
    case FieldId::EnvScrub: return &policy.process.env_scrub;
    case FieldId::Require: return &policy.sandbox.require;
    case FieldId::NetAllow: return &policy.network.allow;
    case FieldId::NetDeny: return &policy.network.deny;
    case FieldId::NetAsk: return &policy.network.ask;
    case FieldId::NetOpenRanges: return &policy.network.open_ranges;
    case FieldId::NetResolve: return &policy.network.resolve;
    case FieldId::ToolsAllow: return &policy.tools.allow;
    case FieldId::ToolsAsk: return &policy.tools.ask;
    case FieldId::ToolsDeny: return &policy.tools.deny;
    case FieldId::ToolsTrusted: return &policy.tools.trusted;
    case FieldId::TrustProjects: return &policy.trust.projects;
    default: return nullptr;
  }
}

const PatternList* pattern_list(const Policy& policy, FieldId id) {
  // The same switch; the const_cast only lets one function serve both.
  return pattern_list(const_cast<Policy&>(policy), id);
}

std::optional<Entry<double>>* number_value(Policy& policy, FieldId id) {
  switch (id) {
    case FieldId::Timeout: return &policy.process.timeout_seconds;
    case FieldId::Memory: return &policy.resources.memory_bytes;
    case FieldId::Pids: return &policy.resources.pids;
    case FieldId::Cpus: return &policy.resources.cpus;
    case FieldId::FileSize: return &policy.resources.file_size_bytes;
    case FieldId::OpenFiles: return &policy.resources.open_files;
    case FieldId::TmpfsSize: return &policy.resources.tmpfs_bytes;
    default: return nullptr;
  }
}

const std::optional<Entry<double>>* number_value(const Policy& policy, FieldId id) {
  return number_value(const_cast<Policy&>(policy), id);
}

std::optional<Entry<std::string>>* choice_value(Policy& policy, FieldId id) {
  switch (id) {
    case FieldId::Mode: return &policy.sandbox.mode;
    case FieldId::OnViolation: return &policy.sandbox.on_violation;
    case FieldId::UnixSockets: return &policy.sandbox.unix_sockets;
    case FieldId::HostPtys: return &policy.sandbox.host_ptys;
    case FieldId::ToolsContainedCalls: return &policy.tools.contained_calls;
    case FieldId::ToolsFlow: return &policy.tools.flow;
    default: return nullptr;
  }
}

const std::optional<Entry<std::string>>* choice_value(const Policy& policy, FieldId id) {
  return choice_value(const_cast<Policy&>(policy), id);
}

std::string expected_value(const Field& f) {
  switch (f.kind) {
    case FieldKind::Duration: return std::string(kDurationExpected);
    case FieldKind::Size: return std::string(kSizeExpected);
    case FieldKind::Count: return fmt::format("expected an integer from {} to {}", f.min, f.max);
    case FieldKind::Number: return fmt::format("expected a number from {} to {}", f.min, f.max);
    case FieldKind::Choice: return fmt::format("expected {}", word_list(f.choices));
    default: return "expected a list";
  }
}

bool accepts_number(const Field& f, double value) {
  switch (f.kind) {
    case FieldKind::Duration: return value > 0 && value <= kMaxTimeoutSeconds;
    case FieldKind::Size: return whole(value) && value >= 1 && value <= kMaxSizeBytes;
    case FieldKind::Count: return whole(value) && value >= f.min && value <= f.max;
    case FieldKind::Number: return std::isfinite(value) && value >= f.min && value <= f.max;
    default: return false;
  }
}

std::optional<double> number_from_text(const Field& f, std::string_view text) {
  std::optional<double> value;
  switch (f.kind) {
    case FieldKind::Duration: value = parse_duration(text); break;
    case FieldKind::Size: value = parse_size(text); break;
    case FieldKind::Count: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size()) value = static_cast<double>(n);
      break;
    }
    case FieldKind::Number: {
      // from_chars also reads "inf", "nan" and "1e3"; accepts_number() keeps
      // the finite ones in range.
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc() && end == text.data() + text.size()) value = d;
      break;
    }
    default: break;
  }
  if (value && !accepts_number(f, *value)) return std::nullopt;
  return value;
}

std::string number_text(const Field& f, double value) {
  if (f.kind == FieldKind::Size) return size_text(value);
  return fmt::format("{}", value);
}

int choice_rank(const Field& f, std::string_view value) {
  for (size_t i = 0; i < f.choices.size(); ++i) {
    if (f.choices[i] == value) return static_cast<int>(i);
  }
  return -1;
}

Status check_list_entry(const Field& f, std::string_view value) {
  switch (f.kind) {
    case FieldKind::PathList: return check_path_pattern(value);
    case FieldKind::NameList: return check_name_pattern(value);
    case FieldKind::ProjectList: return check_project_pattern(value);
    case FieldKind::RequirementList: return check_requirement(value);
    case FieldKind::HostList: return check_host_pattern(value);
    case FieldKind::CidrList: return check_address_range(value);
    case FieldKind::ResolveList: return check_resolve_entry(value);
    case FieldKind::ToolRuleList: {
      auto rule = parse_tool_rule(value);
      if (!rule.ok()) return rule.error();
      return ok_status();
    }
    default: return plain_error("expected a list");
  }
}

}  // namespace cordon::policy
