// The embedded default policy (DESIGN.md "The embedded default"): useful
// with no file at all. docs/policy.md explains every entry, and a unit test
// keeps the two in step.
//
// The default is a table, not TOML text: every `cordon run` needs it, and
// building it from the table costs microseconds where parsing TOML costs a
// fifth of a millisecond. The TOML that `policy show --builtin` prints is
// rendered from the same table, line numbers and all, so "built-in:LINE"
// points at a real line, and a test parses the text back to the same policy.
#include <fmt/format.h>

#include "policy/load.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

// One key of the default: a list's entries, or a one-value field's single
// value as parse_size/number_from_text or a Choice reads it ("1G", "auto").
struct DefaultList {
  FieldId id;
  std::string_view comment;  // one line, printed above the key
  std::initializer_list<std::string_view> values;
};

// A trailing "/" marks a directory: a protected directory that does not exist
// yet gets a directory placeholder (docs/policy.md, "Patterns").
const DefaultList kDefaults[] = {
    {FieldId::AllowRead,
     "The system is readable; the home directory is, except its credential stores.",
     {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/var",
      "/srv", "/sys", "~"}},
    {FieldId::DenyRead,
     "Credential stores: they appear empty inside the sandbox.",
     {
         "~/.ssh",
         "~/.aws",
         "~/.gnupg",
         "~/.kube",
         "~/.docker/config.json",
         "~/.dockercfg",
         "~/.config/containers/auth.json",
         "~/.netrc",
         "~/.config/gcloud",
         "~/.azure",
         "~/.oci",
         "~/.config/doctl",
         "~/.s3cfg",
         "~/.boto",
         "~/.git-credentials",
         "~/.config/git/credentials",
         "~/.config/gh",
         "~/.config/hub",
         "~/.npmrc",
         "~/.yarnrc.yml",
         "~/.pypirc",
         "~/.gem/credentials",
         "~/.cargo/credentials",
         "~/.cargo/credentials.toml",
         "~/.vault-token",
         "~/.terraform.d/credentials.tfrc.json",
         "~/.config/rclone",
         "~/.config/sops",
         "~/.pgpass",
         "~/.my.cnf",
         "~/.password-store",
         "~/.local/share/keyrings",
         "~/.local/share/kwalletd",
         "~/.config/1Password",
         "~/.config/op",
         "~/.config/Bitwarden",
         "~/.pki",
         "~/.mozilla",
         "~/.thunderbird",
         "~/.config/google-chrome",
         "~/.config/chromium",
         "~/.config/BraveSoftware",
         "~/.claude/.credentials.json",
         "~/.codex/auth.json",
         "~/.gemini/oauth_creds.json",
         "~/.bash_history",
         "~/.zsh_history",
         "~/.local/share/fish/fish_history",
         "~/.python_history",
         "~/.node_repl_history",
         "~/.psql_history",
         "~/.mysql_history",
     }},
    {FieldId::AllowWrite,
     "The workspace is writable (with a private /tmp, which the sandbox adds).",
     {"."}},
    {FieldId::DenyWrite,
     "Protected inside the workspace: writing and creating both refused.",
     {
         ".git/hooks/", ".git/config",   ".gitmodules", ".cordon/", ".claude/", ".codex/",
         ".gemini/",    ".mcp.json",     ".vscode/",    ".idea/",   ".envrc",   ".npmrc",
         ".bashrc",     ".bash_profile", ".bash_login", ".profile", ".zshrc",   ".zshenv",
         ".zprofile",   ".zlogin",       "HEAD",        "objects/", "refs/",
     }},
    {FieldId::EnvScrub,
     "No wall-clock limit by default. Secrets are scrubbed from the environment.",
     {
         "*_TOKEN",       "*_TOKEN_*",      "*_SECRET",      "*_SECRET_*",
         "*_KEY",         "*_API_KEY",      "*_APIKEY",      "*_PASSWORD",
         "*_PASSWD",      "*_PASSPHRASE",   "*_CREDENTIALS", "*_AUTH",
         "*_PAT",         "AWS_*",          "AZURE_*",       "DOCKER_AUTH_CONFIG",
         "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DATABASE_URL",
     }},
    {FieldId::TmpfsSize,
     "No memory, process, CPU or file size limit by default; each private tmpfs is bounded.",
     {"1G"}},
    {FieldId::Mode,
     "Full containment where the host allows it, else Landlock mode, saying so.",
     {"auto"}},
    {FieldId::Require,
     "Refuse to run where the host cannot give these.",
     {"credential-hiding", "network-isolation", "seccomp"}},
    {FieldId::OnViolation,
     "A refused system call fails with an error (EPERM, or ENOSYS where programs fall back).",
     {"errno"}},
    {FieldId::UnixSockets,
     "socket(AF_UNIX) is allowed: in full mode such sockets reach only the sandbox.",
     {"allow"}},
    {FieldId::HostPtys,
     "In Landlock mode the command's own pty is its only terminal: the host's /dev/pts holds "
     "the user's other terminals.",
     {"deny"}},
    {FieldId::ToolsContainedCalls,
     "A tool call that stays inside the sandbox's boundary needs no rule.",
     {"allow"}},
    {FieldId::ToolsFlow,
     "Untrusted input + private data + sending out, or a destination seen only in untrusted "
     "content: ask.",
     {"ask"}},
};

struct Rendered {
  std::string text;
  Policy policy;
};

// The one place where the text and the policy are made, together, so that
// their line numbers cannot disagree.
Rendered render() {
  Rendered out;
  int line = 0;
  auto emit = [&](std::string_view text) {
    out.text += text;
    out.text += '\n';
    ++line;
  };
  out.policy.sources.push_back({Layer::BuiltIn, "built-in"});
  emit("# cordon built-in default policy");
  std::string_view section;
  for (const DefaultList& list : kDefaults) {
    const Field& f = field(list.id);
    if (f.section != section) {
      if (!section.empty()) emit("");
      section = f.section;
      emit(fmt::format("[{}]", f.section));
    }
    emit(fmt::format("# {}", list.comment));
    if (!f.is_list()) {
      // One value, on the key's line; its column is where the parser puts it.
      std::string_view v = *list.values.begin();
      Origin origin{Layer::BuiltIn, "built-in", line + 1, static_cast<int>(f.key.size()) + 4};
      if (f.is_number()) {
        // The table holds only values the parser accepts: a test parses the text back.
        double value = number_from_text(f, v).value_or(0);
        *number_value(out.policy, list.id) = Entry<double>{value, origin};
        bool bare = f.kind != FieldKind::Size;
        std::string text = number_text(f, value);
        emit(fmt::format("{} = {}", f.key, bare ? text : fmt::format("\"{}\"", text)));
      } else {
        *choice_value(out.policy, list.id) = Entry<std::string>{std::string(v), origin};
        emit(fmt::format("{} = \"{}\"", f.key, v));
      }
      continue;
    }
    emit(fmt::format("{} = [", f.key));
    PatternList& into = *pattern_list(out.policy, list.id);
    for (std::string_view v : list.values) {
      // Values are plain ASCII without quotes or backslashes: no escaping needed.
      emit(fmt::format("  \"{}\",", v));
      // Column 3: where the string starts, as the TOML parser would report it.
      into.push_back({std::string(v), Origin{Layer::BuiltIn, "built-in", line, 3}});
    }
    emit("]");
  }
  return out;
}

const Rendered& rendered() {
  static const Rendered kRendered = render();  // built once, on first use
  return kRendered;
}

}  // namespace

std::string_view builtin_default_toml() { return rendered().text; }

const Policy& builtin_default() { return rendered().policy; }

}  // namespace cordon::policy
