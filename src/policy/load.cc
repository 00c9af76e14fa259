// Loading the policy layers from their files. The only part of src/policy
// that touches the filesystem, and only to read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "policy/claude_settings.h"
#include "policy/load.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

constexpr size_t kMaxPolicyBytes = 1 << 20;

// The file's text; nullopt when it does not exist.
Result<std::optional<std::string>> read_if_present(const std::string& path) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang cordon
  // (the project file lives in a directory the agent writes).
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (raw < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>{};
    return sys_error(fmt::format("cannot open policy file {}", path));
  }
  UniqueFd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return sys_error(fmt::format("cannot stat policy file {}", path));
  if (!S_ISREG(st.st_mode)) {
    return plain_error(fmt::format("policy file {} is not a regular file", path));
  }
  if (st.st_size > static_cast<off_t>(kMaxPolicyBytes)) {
    return plain_error(fmt::format("policy file {} is larger than 1 MiB", path));
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("cannot read policy file {}", path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    // The size was checked, but the file may grow while we read it.
    if (text.size() > kMaxPolicyBytes) {
      return plain_error(fmt::format("policy file {} is larger than 1 MiB", path));
    }
  }
  return std::optional<std::string>{std::move(text)};
}

// Appends the parsed file to `layers`; a missing file is skipped unless required.
Status load_into(std::vector<Policy>& layers, const std::string& path, Layer layer, bool required) {
  auto text = read_if_present(path);
  if (!text) return text.error();
  if (!text.value()) {
    if (required) return plain_error(fmt::format("policy file {} does not exist", path));
    return ok_status();
  }
  auto parsed = parse_policy(**text, path, layer);
  if (!parsed) return parsed.error();
  layers.push_back(std::move(parsed.value()));
  return ok_status();
}

// A Claude Code or sandbox-runtime settings file, when it exists.
Status load_settings_into(std::vector<Policy>& layers, const SettingsFile& file) {
  auto text = read_if_present(file.path);
  if (!text) return text.error();
  if (!text.value()) return ok_status();
  auto parsed = file.srt ? parse_srt_settings(**text, file.path, file.layer)
                         : parse_claude_settings(**text, file.path, file.layer);
  if (!parsed) return parsed.error();
  layers.push_back(std::move(parsed.value()));
  return ok_status();
}

// Whether a user-layer [trust] entry names this workspace.
bool trusted_by_user(const std::vector<Policy>& user_layers, const LoadRequest& request) {
  for (const Policy& p : user_layers) {
    for (const auto& e : p.trust.projects) {
      std::string abs = absolute_pattern(e.value, request.home, request.workspace);
      if (path_glob_match(abs, request.workspace)) return true;
    }
  }
  return false;
}

// The command-line layer as the request gave it, with every origin forced to
// Layer::CommandLine: the layer decides what an entry may do in merge().
Policy as_command_line(Policy p) {
  auto stamp = [](Origin& o) {
    o.layer = Layer::CommandLine;
    if (o.source.empty()) o.source = "command line";
  };
  for (const Field& f : fields()) {
    if (PatternList* list = pattern_list(p, f.id)) {
      for (auto& e : *list) stamp(e.origin);
    } else if (auto* number = number_value(p, f.id); number != nullptr && *number) {
      stamp((*number)->origin);
    } else if (auto* word = choice_value(p, f.id); word != nullptr && *word) {
      stamp((*word)->origin);
    }
  }
  p.sources = {{Layer::CommandLine, "command line"}};
  return p;
}

bool empty_layer(const Policy& p) {
  for (const Field& f : fields()) {
    const PatternList* list = pattern_list(p, f.id);
    if (list != nullptr && !list->empty()) return false;
    const auto* number = number_value(p, f.id);
    if (number != nullptr && number->has_value()) return false;
    const auto* word = choice_value(p, f.id);
    if (word != nullptr && word->has_value()) return false;
  }
  return true;
}

}  // namespace

Result<Policy> load_policy_file(const std::string& path, Layer layer) {
  std::vector<Policy> layers;
  CORDON_TRY(load_into(layers, path, layer, /*required=*/true));
  return std::move(layers.front());
}

std::string user_policy_path(std::string_view home, std::string_view xdg_config_home) {
  // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and ignored.
  if (xdg_config_home.starts_with("/"))
    return fmt::format("{}/cordon/policy.toml", xdg_config_home);
  if (home.starts_with("/")) return fmt::format("{}/.config/cordon/policy.toml", home);
  return {};
}

std::string project_policy_path(std::string_view workspace) {
  return fmt::format("{}/.cordon/policy.toml", workspace);
}

Result<Policy> load_effective(const LoadRequest& request) {
  if (!request.workspace.starts_with("/")) {
    return plain_error(fmt::format("workspace \"{}\" is not an absolute path", request.workspace));
  }
  if (!request.home.starts_with("/")) {
    return plain_error(fmt::format(
        "home directory \"{}\" is not an absolute path; set HOME so that \"~\" patterns mean "
        "something",
        request.home));
  }
  std::vector<Policy> layers;
  layers.push_back(builtin_default());
  std::vector<SettingsFile> claude;
  if (request.claude_settings) {
    claude = claude_settings_files(request.home, request.workspace, request.claude_config_dir,
                                   request.claude_managed_dir);
  }
  auto load_claude = [&](Layer layer) -> Status {
    for (const auto& f : claude) {
      if (f.layer == layer) CORDON_TRY(load_settings_into(layers, f));
    }
    return ok_status();
  };
  CORDON_TRY(load_claude(Layer::User));

  std::vector<Policy> user;
  std::string user_file = user_policy_path(request.home, request.xdg_config_home);
  if (!user_file.empty()) CORDON_TRY(load_into(user, user_file, Layer::User, false));
  for (const std::string& extra : request.extra_files) {
    CORDON_TRY(load_into(user, extra, Layer::User, true));
  }
  bool trust = request.trust_project || trusted_by_user(user, request);
  for (auto& p : user) layers.push_back(std::move(p));

  CORDON_TRY(load_claude(Layer::Project));
  CORDON_TRY(load_into(layers, project_policy_path(request.workspace), Layer::Project, false));

  // Listed only when flags said something, so `policy show` stays quiet otherwise.
  Policy command_line = as_command_line(request.command_line);
  if (!empty_layer(command_line)) layers.push_back(std::move(command_line));

  CORDON_TRY(load_claude(Layer::Managed));
  size_t before_managed = layers.size();
  if (!request.managed_file.empty()) {
    CORDON_TRY(load_into(layers, request.managed_file, Layer::Managed, false));
  }
  if (!request.managed_override.empty() && request.managed_override != request.managed_file) {
    // Two managed files would let the stand-in loosen the real one (a
    // managed env_pass overrides a managed scrub, a managed allow is never
    // filtered), and replacing it would switch it off: refuse both.
    if (layers.size() != before_managed) {
      return plain_error(fmt::format(
          "CORDON_MANAGED_POLICY={} cannot be used while {} exists: the variable stands in for "
          "the managed policy on test machines only; unset it",
          request.managed_override, request.managed_file));
    }
    CORDON_TRY(load_into(layers, request.managed_override, Layer::Managed, false));
  }
  return merge(layers, trust, request.home, request.workspace);
}

}  // namespace cordon::policy
