// `cordon policy show`: valid TOML that parses back to the same policy, each
// entry citing where it came from, and what was not applied.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "policy/load.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

Policy layer(Layer l, std::string_view text, const std::string& name) {
  auto parsed = parse_policy(text, name, l);
  EXPECT_TRUE(parsed.ok()) << parsed.error().what();
  return parsed.ok() ? parsed.value() : Policy{};
}

std::vector<std::string> values(const PatternList& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.value);
  return out;
}

Policy sample() {
  Policy cli;
  cli.filesystem.deny_read.push_back(
      {"/srv/\"quoted\"\\dir", Origin{Layer::CommandLine, "command line"}});
  cli.sources.push_back({Layer::CommandLine, "command line"});
  return merge(
      {
          layer(Layer::BuiltIn, builtin_default_toml(), "built-in"),
          layer(Layer::User,
                "[filesystem]\nallow_read = [\"~/.ssh/known_hosts\"]\n[process]\ntimeout = "
                "\"1h\"\nenv_pass = [\"NPM_TOKEN\"]\n[trust]\nprojects = [\"~/src/*\"]\n",
                "/home/u/.config/cordon/policy.toml"),
          layer(Layer::Project,
                "[filesystem]\nallow_write = [\"~\"]\ndeny_read = [\"secrets\"]\n"
                "[resources]\nmemory = \"1536M\"\npids = 64\n"
                "[sandbox]\nmode = \"landlock\"\nrequire = [\"protected-paths\"]\n",
                "/ws/.cordon/policy.toml"),
          cli,
          layer(Layer::Managed,
                "[process]\ntimeout = 1800.5\n[resources]\nmemory = \"2G\"\ncpus = 1.5\n"
                "file_size = 1000\n",
                "/etc/cordon/managed.toml"),
      },
      false);
}

TEST(PolicyShow, OutputParsesBackToTheSamePolicy) {
  Policy effective = sample();
  std::string text = show(effective);
  auto reparsed = parse_policy(text, "shown.toml", Layer::User);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().what() << "\n" << text;
  for (const Field& f : fields()) {
    if (const PatternList* list = pattern_list(effective, f.id)) {
      EXPECT_EQ(values(*pattern_list(*reparsed, f.id)), values(*list)) << f.name();
    }
  }
  for (const Field& f : fields()) {
    if (const auto* n = number_value(effective, f.id)) {
      ASSERT_EQ(number_value(*reparsed, f.id)->has_value(), n->has_value()) << f.name();
      if (n->has_value()) {
        EXPECT_EQ((*number_value(*reparsed, f.id))->value, (*n)->value) << f.name();
      }
    }
    if (const auto* c = choice_value(effective, f.id)) {
      ASSERT_EQ(choice_value(*reparsed, f.id)->has_value(), c->has_value()) << f.name();
      if (c->has_value()) {
        EXPECT_EQ((*choice_value(*reparsed, f.id))->value, (*c)->value) << f.name();
      }
    }
  }
  ASSERT_TRUE(reparsed->process.timeout_seconds.has_value());
  EXPECT_EQ(reparsed->process.timeout_seconds->value, 1800.5);
  EXPECT_EQ(reparsed->resources.memory_bytes->value, 1536.0 * 1024 * 1024);
  EXPECT_EQ(reparsed->sandbox.mode->value, "auto");
}

// Runs of spaces (the alignment padding) squeezed to one, for comparisons.
std::string squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

TEST(PolicyShow, EveryEntryCitesItsOrigin) {
  std::string text = squeezed(show(sample()));
  for (const char* line : {
           "\n \"/usr\", # built-in:5\n",
           "\n \"~/.ssh/known_hosts\", # /home/u/.config/cordon/policy.toml:2:15\n",
           "\n \"/srv/\\\"quoted\\\"\\\\dir\", # command line\n",
           "\n \"secrets\", # /ws/.cordon/policy.toml:3:14\n",
           "\ntimeout = 1800.5 # /etc/cordon/managed.toml:2:11\n",
           "\n[resources]\nmemory = \"1536M\" # /ws/.cordon/policy.toml:5:10\n"
           "pids = 64 # /ws/.cordon/policy.toml:6:8\n"
           "cpus = 1.5 # /etc/cordon/managed.toml:5:8\n"
           "file_size = 1000 # /etc/cordon/managed.toml:6:13\n"
           "# open_files: not set (the open-file limit cordon was started with)\n"
           "tmpfs_size = \"1G\" # built-in:",
           "\n[sandbox]\nmode = \"auto\" # built-in:",
           "\n \"protected-paths\", # /ws/.cordon/policy.toml:9:12\n",
           "\non_violation = \"errno\" # built-in:",
           "\nunix_sockets = \"allow\" # built-in:",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(PolicyShow, OriginsAreAlignedInOneColumn) {
  std::string text = show(sample());
  EXPECT_NE(text.find("  \"/usr\",                # built-in:5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  \"~/.ssh/known_hosts\",  # /home/u/.config/cordon/policy.toml:2:15\n"),
            std::string::npos)
      << text;
}

TEST(PolicyShow, ListsLayersAndWhatWasNotApplied) {
  std::string text = show(sample());
  EXPECT_EQ(text.rfind("# cordon effective policy\n# layers, lowest first:\n#   built-in\n"
                       "#   user: /home/u/.config/cordon/policy.toml\n"
                       "#   project: /ws/.cordon/policy.toml (not trusted: may only tighten)\n"
                       "#   command line\n#   managed: /etc/cordon/managed.toml\n",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("# ignored (project not trusted): filesystem.allow_write = \"~\"  # "
                      "/ws/.cordon/policy.toml:2:16\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# ignored (a shorter timeout applies (/etc/cordon/managed.toml:2:11)): "
                      "process.timeout = 3600  # /home/u/.config/cordon/policy.toml:4:11\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# ignored (a smaller limit applies (/ws/.cordon/policy.toml:5:10)): "
                      "resources.memory = \"2G\"  # /etc/cordon/managed.toml:4:10\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# ignored (project not trusted: it may only tighten; a stricter setting "
                      "applies (built-in:"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sandbox.mode = \"landlock\"  # /ws/.cordon/policy.toml:8:8\n"),
            std::string::npos)
      << text;
}

TEST(PolicyShow, EmptyPolicyStillShowsEverySection) {
  std::string text = show(Policy{});
  EXPECT_EQ(text,
            "# cordon effective policy\n\n[filesystem]\nallow_read = []\ndeny_read = []\n"
            "allow_write = []\ndeny_write = []\n\n[process]\n# timeout: not set (no wall-clock "
            "limit)\nenv_pass = []\nenv_scrub = []\n\n[resources]\n"
            "# memory: not set (no memory limit)\n# pids: not set (no process limit)\n"
            "# cpus: not set (no CPU limit)\n# file_size: not set (no file size limit)\n"
            "# open_files: not set (the open-file limit cordon was started with)\n"
            "# tmpfs_size: not set (the kernel's tmpfs default, half of the memory)\n"
            "\n[sandbox]\n# mode: not set (same as \"auto\")\nrequire = []\n"
            "# on_violation: not set (same as \"errno\")\n"
            "# unix_sockets: not set (same as \"allow\")\n"
            "# host_ptys: not set (same as \"deny\")\n\n"
            "[network]\nallow = []\ndeny = []\nask = []\nopen_ranges = []\nresolve = []\n\n"
            "[tools]\nallow = []\nask = []\ndeny = []\ntrusted = []\n"
            "# contained_calls: not set (same as \"allow\")\n# flow: not set (same as \"ask\")\n\n"
            "[trust]\nprojects = []\n");
  EXPECT_TRUE(parse_policy(text, "empty", Layer::User).ok());
}

TEST(PolicyShow, BuiltInDefaultShowsAndReparses) {
  Policy builtin = merge({layer(Layer::BuiltIn, builtin_default_toml(), "built-in")}, false);
  auto reparsed = parse_policy(show(builtin), "shown", Layer::User);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().what();
  EXPECT_EQ(values(reparsed->filesystem.deny_read), values(builtin.filesystem.deny_read));
}

// The built-in default (DESIGN.md "The embedded default") contains what the
// design promises; docs/policy.md documents every entry.
TEST(PolicyBuiltIn, HasTheDesignedDefaults) {
  Policy p = layer(Layer::BuiltIn, builtin_default_toml(), "built-in");
  // A trailing "/" only marks a directory (see docs/policy.md, Patterns).
  auto has = [](const PatternList& list, const std::string& v) {
    for (const auto& e : list) {
      if (e.value == v || e.value == v + "/") return true;
    }
    return false;
  };
  for (const char* r : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
                        "/opt", "/var", "/srv", "/sys", "~"}) {
    EXPECT_TRUE(has(p.filesystem.allow_read, r)) << r;
  }
  for (const char* d : {"~/.ssh",
                        "~/.aws",
                        "~/.gnupg",
                        "~/.kube",
                        "~/.docker/config.json",
                        "~/.netrc",
                        "~/.config/gcloud",
                        "~/.azure",
                        "~/.git-credentials",
                        "~/.config/gh",
                        "~/.npmrc",
                        "~/.pypirc",
                        "~/.cargo/credentials",
                        "~/.cargo/credentials.toml",
                        "~/.vault-token",
                        "~/.terraform.d/credentials.tfrc.json",
                        "~/.password-store",
                        "~/.local/share/keyrings",
                        "~/.mozilla",
                        "~/.config/google-chrome",
                        "~/.config/chromium",
                        "~/.config/BraveSoftware",
                        "~/.config/1Password",
                        "~/.config/Bitwarden",
                        "~/.claude/.credentials.json",
                        "~/.bash_history",
                        "~/.zsh_history"}) {
    EXPECT_TRUE(has(p.filesystem.deny_read, d)) << d;
  }
  EXPECT_EQ(values(p.filesystem.allow_write), (std::vector<std::string>{"."}));
  for (const char* w :
       {".git/hooks", ".git/config",   ".gitmodules", ".cordon",  ".claude", ".codex",
        ".gemini",    ".mcp.json",     ".vscode",     ".idea",    ".envrc",  ".npmrc",
        ".bashrc",    ".bash_profile", ".bash_login", ".profile", ".zshrc",  ".zshenv",
        ".zprofile",  ".zlogin",       "HEAD",        "objects",  "refs"}) {
    EXPECT_TRUE(has(p.filesystem.deny_write, w)) << w;
  }
  for (const char* s : {"*_TOKEN", "*_TOKEN_*", "*_SECRET", "*_SECRET_*", "*_KEY", "*_PASSWORD",
                        "*_PASSWD", "*_CREDENTIALS", "AWS_*", "AZURE_*", "SSH_AUTH_SOCK",
                        "GPG_AGENT_INFO", "DATABASE_URL", "*_API_KEY"}) {
    EXPECT_TRUE(has(p.process.env_scrub, s)) << s;
  }
  EXPECT_FALSE(p.process.timeout_seconds.has_value());
  // No memory, process, CPU, file size or open-file limit by default; /tmp is bounded.
  EXPECT_FALSE(p.resources.memory_bytes || p.resources.pids || p.resources.cpus ||
               p.resources.file_size_bytes || p.resources.open_files);
  ASSERT_TRUE(p.resources.tmpfs_bytes.has_value());
  EXPECT_EQ(p.resources.tmpfs_bytes->value, 1024.0 * 1024 * 1024);
  EXPECT_EQ(p.sandbox.mode->value, "auto");
  EXPECT_EQ(values(p.sandbox.require),
            (std::vector<std::string>{"credential-hiding", "network-isolation", "seccomp"}));
  EXPECT_EQ(p.sandbox.on_violation->value, "errno");
  EXPECT_EQ(p.sandbox.unix_sockets->value, "allow");
}

// docs/policy.md, found from this file's own path (tests/unit/...).
std::string docs_path() {
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/../../docs/policy.md";
}

TEST(PolicyBuiltIn, DocsListEveryDefaultEntryAndEveryKey) {
  std::ifstream in(docs_path());
  ASSERT_TRUE(in.good()) << "cannot read " << docs_path();
  std::stringstream buf;
  buf << in.rdbuf();
  std::string docs = buf.str();
  Policy p = layer(Layer::BuiltIn, builtin_default_toml(), "built-in");
  for (const Field& f : fields()) {
    EXPECT_NE(docs.find("`" + std::string(f.key) + "`"), std::string::npos) << f.name();
    if (!f.flag.empty()) {
      EXPECT_NE(docs.find("`" + std::string(f.flag)), std::string::npos) << f.flag;
    }
    if (const PatternList* list = pattern_list(p, f.id)) {
      for (const auto& e : *list) {
        EXPECT_NE(docs.find("`" + e.value + "`"), std::string::npos) << f.name() << " " << e.value;
      }
    }
    // One-value defaults are documented as they are written: `tmpfs_size = "1G"`.
    std::string assignment;
    if (const auto* n = number_value(p, f.id); n != nullptr && *n) {
      std::string text = number_text(f, (*n)->value);
      assignment = f.kind == FieldKind::Size ? "\"" + text + "\"" : text;
    } else if (const auto* c = choice_value(p, f.id); c != nullptr && *c) {
      assignment = "\"" + (*c)->value + "\"";
    }
    if (!assignment.empty()) {
      std::string line = "`" + std::string(f.key) + " = " + assignment + "`";
      EXPECT_NE(docs.find(line), std::string::npos) << line;
    }
  }
  // Every accepted word and requirement name is documented.
  for (const Field& f : fields()) {
    for (std::string_view word : f.choices) {
      EXPECT_NE(docs.find("`\"" + std::string(word) + "\"`"), std::string::npos)
          << f.name() << " " << word;
    }
  }
  for (std::string_view name : known_requirements()) {
    EXPECT_NE(docs.find("`" + std::string(name) + "`"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace cordon::policy
