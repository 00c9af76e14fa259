// The embedded default policy (DESIGN.md "The embedded default"): useful
// with no file at all. docs/policy.md explains every entry; keep the two in
// step. `cordon policy show` cites these lines as "built-in:LINE".
#include "policy/load.h"

namespace cordon::policy {
namespace {

// Line 1 of the policy is the line this literal starts on.
constexpr std::string_view kBuiltinDefault = R"toml(# cordon built-in default policy
[filesystem]
# The system is readable; the home directory is, except its credential stores.
allow_read = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/opt",
  "/var",
  "/srv",
  "/sys",
  "~",
]
# Credential stores: they appear empty inside the sandbox.
deny_read = [
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
]
# The workspace is writable (with a private /tmp, which the sandbox adds).
allow_write = [
  ".",
]
# Protected inside the workspace: writing and creating both refused.
deny_write = [
  ".git/hooks/",
  ".git/config",
  ".gitmodules",
  ".cordon/",
  ".claude/",
  ".codex/",
  ".gemini/",
  ".mcp.json",
  ".vscode/",
  ".idea/",
  ".envrc",
  ".npmrc",
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  "HEAD",
  "objects/",
  "refs/",
]

[process]
# No wall-clock limit by default. Secrets are scrubbed from the environment.
env_scrub = [
  "*_TOKEN",
  "*_TOKEN_*",
  "*_SECRET",
  "*_SECRET_*",
  "*_KEY",
  "*_API_KEY",
  "*_APIKEY",
  "*_PASSWORD",
  "*_PASSWD",
  "*_PASSPHRASE",
  "*_CREDENTIALS",
  "*_AUTH",
  "*_PAT",
  "AWS_*",
  "AZURE_*",
  "DOCKER_AUTH_CONFIG",
  "SSH_AUTH_SOCK",
  "GPG_AGENT_INFO",
  "DATABASE_URL",
]
)toml";

}  // namespace

std::string_view builtin_default_toml() { return kBuiltinDefault; }

}  // namespace cordon::policy
