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
    case FieldId::Require: return &flags.require;
    case FieldId::NetAllow: return &flags.allow_domain;
    case FieldId::NetDeny: return &flags.deny_domain;
    case FieldId::NetAsk: return &flags.ask_domain;
    case FieldId::NetOpenRanges: return &flags.open_range;
    case FieldId::NetResolve: return &flags.resolve;
    default: return nullptr;
  }
}

const std::vector<std::string>* flag_values(const PolicyFlags& flags, FieldId id) {
  return flag_values(const_cast<PolicyFlags&>(flags), id);
}

// Where a one-value field's flag lands; nullptr for the others.
std::string* flag_value(PolicyFlags& flags, FieldId id) {
  switch (id) {
    case FieldId::Timeout: return &flags.timeout;
    case FieldId::Memory: return &flags.memory;
    case FieldId::Pids: return &flags.pids;
    case FieldId::Cpus: return &flags.cpus;
    case FieldId::FileSize: return &flags.file_size;
    case FieldId::OpenFiles: return &flags.open_files;
    case FieldId::TmpfsSize: return &flags.tmpfs_size;
    case FieldId::Mode: return &flags.mode;
    case FieldId::OnViolation: return &flags.on_violation;
    case FieldId::UnixSockets: return &flags.unix_sockets;
    case FieldId::HostPtys: return &flags.host_ptys;
    default: return nullptr;
  }
}

const std::string* flag_value(const PolicyFlags& flags, FieldId id) {
  return flag_value(const_cast<PolicyFlags&>(flags), id);
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
    } else if (auto* value = flag_value(flags, f.id)) {
      sub->add_option(std::string(f.flag), *value, std::string(f.help))
          ->type_name(std::string(f.value_name));
    }
  }
}

Result<policy::Policy> command_line_policy(const PolicyFlags& flags) {
  policy::Policy out;
  out.sources.push_back({policy::Layer::CommandLine, "command line"});
  for (const policy::Field& f : policy::fields()) {
    if (const auto* values = flag_values(flags, f.id)) {
      policy::PatternList& list = *policy::pattern_list(out, f.id);
      for (const std::string& v : *values) {
        Status valid = policy::check_list_entry(f, v);
        if (!valid) {
          // A requirement is a word from a list: say which one was not in it.
          std::string got = f.kind == policy::FieldKind::RequirementList
                                ? fmt::format(", got \"{}\"", v)
                                : std::string();
          return plain_error(fmt::format("{}: {}{}", f.flag, valid.error().message, got));
        }
        list.push_back({v, command_line_origin()});
      }
      continue;
    }
    const std::string* text = flag_value(flags, f.id);
    if (text == nullptr || text->empty()) continue;
    auto bad = [&] {
      return plain_error(
          fmt::format("{}: {}, got \"{}\"", f.flag, policy::expected_value(f), *text));
    };
    if (f.is_number()) {
      auto value = policy::number_from_text(f, *text);
      if (!value) return bad();
      *policy::number_value(out, f.id) = policy::Entry<double>{*value, command_line_origin()};
    } else {
      if (policy::choice_rank(f, *text) < 0) return bad();
      *policy::choice_value(out, f.id) = policy::Entry<std::string>{*text, command_line_origin()};
    }
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
  if (const char* claude = std::getenv("CLAUDE_CONFIG_DIR")) request.claude_config_dir = claude;
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
