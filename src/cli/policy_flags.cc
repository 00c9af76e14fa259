#include "cli/policy_flags.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <cstdlib>

#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::cli {
namespace {

using policy::FieldId;

// Where a schema field's flag values land in PolicyFlags; nullptr for the
// fields without a list flag.
std::vector<std::string>* flag_values(PolicyFlags& flags, FieldId id) {
  switch (id) {
    case FieldId::AllowRead: return &flags.allow_read;
    case FieldId::DenyRead: return &flags.deny_read;
    case FieldId::AllowWrite: return &flags.allow_write;
    case FieldId::DenyWrite: return &flags.deny_write;
    case FieldId::EnvPass: return &flags.pass_env;
    case FieldId::Timeout:
    case FieldId::EnvScrub:
    case FieldId::TrustProjects: return nullptr;
  }
  return nullptr;
}

const std::vector<std::string>* flag_values(const PolicyFlags& flags, FieldId id) {
  return flag_values(const_cast<PolicyFlags&>(flags), id);
}

policy::Origin command_line_origin() {
  return policy::Origin{policy::Layer::CommandLine, "command line", 0, 0};
}

// realpath(3) of `path`, or nullopt with errno set.
std::optional<std::string> canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

Result<std::string> home_directory() {
  const char* env = std::getenv("HOME");
  std::string home = env != nullptr ? env : "";
  if (home.empty()) {
    // No HOME (a service, env -i): ask the passwd database, as a shell would.
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buf[4096];
    if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr) {
      home = found->pw_dir;
    }
  }
  if (!home.starts_with("/")) {
    return plain_error(fmt::format(
        "HOME is \"{}\", not an absolute path; set HOME so that \"~\" in policies can be resolved",
        home));
  }
  // Canonical, so that "~/src/proj" in [trust] names the same directory as
  // the canonical workspace when /home is a symlink. A home that does not
  // exist keeps its lexical form: nothing there to protect or expose.
  if (auto real = canonical(home)) return *real;
  return policy::absolute_pattern(home, "/", "/");
}

}  // namespace

void add_policy_flags(CLI::App* sub, PolicyFlags& flags) {
  sub->add_option("--policy", flags.policy_files,
                  "Also load policy FILE, as if it were part of the user file (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  sub->add_flag("--trust-project", flags.trust_project,
                "Let the workspace's .cordon/policy.toml loosen the policy, not only tighten it");
  for (const policy::Field& f : policy::fields()) {
    if (f.flag.empty()) continue;
    if (auto* values = flag_values(flags, f.id)) {
      // One value per occurrence: "--deny-read A cmd" must not swallow "cmd".
      sub->add_option(std::string(f.flag), *values, fmt::format("{} (repeatable)", f.help))
          ->type_name(std::string(f.value_name))
          ->allow_extra_args(false);
    } else if (f.id == FieldId::Timeout) {
      sub->add_option(std::string(f.flag), flags.timeout, std::string(f.help))
          ->type_name(std::string(f.value_name));
    }
  }
}

Result<policy::Policy> command_line_policy(const PolicyFlags& flags) {
  policy::Policy out;
  out.sources.push_back({policy::Layer::CommandLine, "command line"});
  for (const policy::Field& f : policy::fields()) {
    const auto* values = flag_values(flags, f.id);
    if (values == nullptr) continue;
    policy::PatternList& list = *policy::pattern_list(out, f.id);
    for (const std::string& v : *values) {
      Status valid = f.kind == policy::FieldKind::NameList ? policy::check_name_pattern(v)
                                                           : policy::check_path_pattern(v);
      if (!valid) return plain_error(fmt::format("{}: {}", f.flag, valid.error().message));
      list.push_back({v, command_line_origin()});
    }
  }
  if (!flags.timeout.empty()) {
    auto seconds = policy::parse_duration(flags.timeout);
    if (!seconds) {
      return plain_error(fmt::format("{}: {}, got \"{}\"", policy::field(FieldId::Timeout).flag,
                                     policy::kDurationExpected, flags.timeout));
    }
    out.process.timeout_seconds = policy::Entry<double>{*seconds, command_line_origin()};
  }
  return out;
}

Result<policy::LoadRequest> load_request(const PolicyFlags& flags, const std::string& workspace) {
  policy::LoadRequest request;
  auto real = canonical(workspace);
  if (!real) return sys_error(fmt::format("workspace {}", workspace));
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0) return sys_error(fmt::format("workspace {}", *real));
  if (!S_ISDIR(st.st_mode))
    return plain_error(fmt::format("workspace {} is not a directory", *real));
  request.workspace = *real;

  auto home = home_directory();
  if (!home) return home.error();
  request.home = *home;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME")) request.xdg_config_home = xdg;
  // For tests: a stand-in managed file. load_effective() refuses it when the
  // real one exists, so it can never replace or loosen an administrator's rules.
  if (const char* managed = std::getenv("CORDON_MANAGED_POLICY"))
    request.managed_override = managed;

  request.extra_files = flags.policy_files;
  request.trust_project = flags.trust_project;
  auto command_line = command_line_policy(flags);
  if (!command_line) return command_line.error();
  request.command_line = std::move(command_line.value());
  return request;
}

}  // namespace cordon::cli
