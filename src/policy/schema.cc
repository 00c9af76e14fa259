#include "policy/schema.h"

#include <array>

namespace cordon::policy {
namespace {

constexpr std::array<std::string_view, 3> kSections = {"filesystem", "process", "trust"};

constexpr std::array<Field, 8> kFields = {{
    {FieldId::AllowRead, "filesystem", "allow_read", FieldKind::PathList, true, "--allow-read",
     "PATH", "Make PATH visible read-only (also inside a denied tree)"},
    {FieldId::DenyRead, "filesystem", "deny_read", FieldKind::PathList, false, "--deny-read",
     "PATH", "Make PATH appear empty"},
    {FieldId::AllowWrite, "filesystem", "allow_write", FieldKind::PathList, true, "--allow-write",
     "PATH", "Make PATH writable (the workspace always is)"},
    {FieldId::DenyWrite, "filesystem", "deny_write", FieldKind::PathList, false, "--deny-write",
     "PATH", "Keep PATH read-only even inside a writable tree"},
    {FieldId::Timeout, "process", "timeout", FieldKind::Duration, false, "--timeout", "DURATION",
     "Kill the command after DURATION (600, \"10m\", \"1h30m\"); the smallest wins"},
    {FieldId::EnvPass, "process", "env_pass", FieldKind::NameList, true, "--pass-env", "NAME",
     "Keep environment variable NAME even if a scrub pattern matches it"},
    {FieldId::EnvScrub, "process", "env_scrub", FieldKind::NameList, false, "", "NAME",
     "Remove environment variables whose name matches"},
    {FieldId::TrustProjects, "trust", "projects", FieldKind::ProjectList, true, "", "PATH",
     "Workspaces whose .cordon/policy.toml may loosen (user file only)"},
}};

}  // namespace

std::string Field::name() const {
  std::string out(section);
  out += '.';
  out += key;
  return out;
}

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
    case FieldId::Timeout: return nullptr;
    case FieldId::EnvPass: return &policy.process.env_pass;
    case FieldId::EnvScrub: return &policy.process.env_scrub;
    case FieldId::TrustProjects: return &policy.trust.projects;
  }
  return nullptr;
}

const PatternList* pattern_list(const Policy& policy, FieldId id) {
  // The same switch; the const_cast only lets one function serve both.
  return pattern_list(const_cast<Policy&>(policy), id);
}

}  // namespace cordon::policy
