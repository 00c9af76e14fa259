// The policy flags: registered from the schema, turned into the command-line
// layer, and the LoadRequest built from the environment.
//
// src/cli has no library of its own (its files make the `cordon` binary), so
// this test compiles the one file it tests into itself.
#include "cli/policy_flags.cc"  // NOLINT(bugprone-suspicious-include)

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "policy/schema.h"

namespace cordon::cli {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct Parsed {
  PolicyFlags flags;
  std::vector<std::string> rest;
};

// Parses `args` (after the program name) the way `cordon run` would.
Parsed parse(std::vector<std::string> args) {
  Parsed out;
  CLI::App app;
  add_policy_flags(&app, out.flags);
  app.add_option("rest", out.rest);
  std::vector<const char*> argv = {"cordon"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return out;
}

std::vector<std::string> values(const policy::PatternList& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.value);
  return out;
}

using Strings = std::vector<std::string>;

TEST(PolicyFlags, EveryFlagFillsItsField) {
  Parsed p = parse({"--policy", "a.toml", "--policy", "b.toml", "--trust-project", "--allow-read",
                    "/data", "--allow-read", "~/ref", "--deny-read", "~/.x", "--allow-write", "out",
                    "--deny-write", ".git/", "--pass-env", "NPM_TOKEN", "--timeout", "1h30m"});
  EXPECT_EQ(p.flags.policy_files, (Strings{"a.toml", "b.toml"}));
  EXPECT_TRUE(p.flags.trust_project);
  EXPECT_EQ(p.flags.allow_read, (Strings{"/data", "~/ref"}));
  EXPECT_EQ(p.flags.deny_read, (Strings{"~/.x"}));
  EXPECT_EQ(p.flags.allow_write, (Strings{"out"}));
  EXPECT_EQ(p.flags.deny_write, (Strings{".git/"}));
  EXPECT_EQ(p.flags.pass_env, (Strings{"NPM_TOKEN"}));
  EXPECT_EQ(p.flags.timeout, "1h30m");
  EXPECT_TRUE(p.rest.empty());

  auto layer = command_line_policy(p.flags);
  ASSERT_TRUE(layer.ok()) << layer.error().what();
  EXPECT_EQ(values(layer->filesystem.allow_read), (Strings{"/data", "~/ref"}));
  EXPECT_EQ(values(layer->filesystem.deny_read), (Strings{"~/.x"}));
  EXPECT_EQ(values(layer->filesystem.allow_write), (Strings{"out"}));
  EXPECT_EQ(values(layer->filesystem.deny_write), (Strings{".git/"}));
  EXPECT_EQ(values(layer->process.env_pass), (Strings{"NPM_TOKEN"}));
  EXPECT_EQ(layer->process.timeout_seconds->value, 5400);
  const policy::Origin& o = layer->filesystem.allow_read[0].origin;
  EXPECT_EQ(o.layer, policy::Layer::CommandLine);
  EXPECT_EQ(o.source, "command line");
  EXPECT_EQ(policy::origin_text(o), "command line");
}

TEST(PolicyFlags, OneValuePerOccurrenceSoTheCommandIsNotSwallowed) {
  Parsed p = parse({"--deny-read", "/a", "make", "test"});
  EXPECT_EQ(p.flags.deny_read, (Strings{"/a"}));
  EXPECT_EQ(p.rest, (Strings{"make", "test"}));
}

TEST(PolicyFlags, FlagsAndHelpComeFromTheSchema) {
  PolicyFlags flags;
  CLI::App app;
  add_policy_flags(&app, flags);
  std::string help = app.help();
  for (const policy::Field& f : policy::fields()) {
    if (f.flag.empty()) continue;
    EXPECT_NE(help.find(std::string(f.flag)), std::string::npos) << f.flag;
    EXPECT_NE(help.find(std::string(f.help)), std::string::npos) << f.help;
  }
}

TEST(PolicyFlags, BadValuesNameTheFlag) {
  PolicyFlags flags;
  flags.timeout = "abc";
  EXPECT_EQ(command_line_policy(flags).error().what(),
            "--timeout: expected a positive duration of at most 365 days: seconds (600) or "
            "\"45s\", \"10m\", \"1h30m\", \"1d\", got \"abc\"");
  flags.timeout = "-1";
  EXPECT_FALSE(command_line_policy(flags).ok());
  flags.timeout.clear();
  flags.deny_read = {"../up"};
  EXPECT_EQ(command_line_policy(flags).error().what(),
            "--deny-read: expected a path pattern without \"..\" components");
  flags.deny_read.clear();
  flags.pass_env = {"A=B"};
  EXPECT_EQ(command_line_policy(flags).error().what(),
            "--pass-env: expected a variable name pattern without \"=\"");
  flags.pass_env.clear();
  flags.allow_write = {""};
  EXPECT_EQ(command_line_policy(flags).error().what(),
            "--allow-write: expected a non-empty path pattern");
}

TEST(PolicyFlags, NoFlagsIsAnEmptyLayer) {
  auto layer = command_line_policy(PolicyFlags{});
  ASSERT_TRUE(layer.ok());
  EXPECT_TRUE(layer->filesystem.allow_read.empty());
  EXPECT_FALSE(layer->process.timeout_seconds.has_value());
}

class PolicyLoadRequest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-policy-flags-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ + "/home/ws");
    fs::create_symlink(root_ + "/home", root_ + "/home-link");
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

TEST_F(PolicyLoadRequest, FromEnvironmentAndFlags) {
  ScopedEnv home("HOME", (root_ + "/home-link").c_str());
  ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
  ScopedEnv managed("CORDON_MANAGED_POLICY", "/tmp/test-managed.toml");
  PolicyFlags flags;
  flags.policy_files = {"/p.toml"};
  flags.trust_project = true;
  flags.deny_read = {"/secret"};
  auto request = load_request(flags, root_ + "/home-link/ws/.");
  ASSERT_TRUE(request.ok()) << request.error().what();
  EXPECT_EQ(request->workspace, root_ + "/home/ws");  // canonical
  EXPECT_EQ(request->home, root_ + "/home");          // canonical too, so [trust] compares
  EXPECT_EQ(request->xdg_config_home, "/xdg");
  EXPECT_EQ(request->managed_file, "/etc/cordon/managed.toml");  // kept: load checks it
  EXPECT_EQ(request->managed_override, "/tmp/test-managed.toml");
  EXPECT_EQ(request->extra_files, (Strings{"/p.toml"}));
  EXPECT_TRUE(request->trust_project);
  EXPECT_EQ(values(request->command_line.filesystem.deny_read), (Strings{"/secret"}));
}

TEST_F(PolicyLoadRequest, UnsetHomeFallsBackToThePasswordDatabase) {
  ScopedEnv home("HOME", nullptr);
  auto request = load_request(PolicyFlags{}, root_ + "/home/ws");
  ASSERT_TRUE(request.ok()) << request.error().what();
  EXPECT_EQ(request->home.front(), '/');
}

TEST_F(PolicyLoadRequest, RelativeHomeIsAnError) {
  ScopedEnv home("HOME", "relative/home");
  auto request = load_request(PolicyFlags{}, root_ + "/home/ws");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().what(),
            "HOME is \"relative/home\", not an absolute path; set HOME so that \"~\" in policies "
            "can be resolved");
}

TEST_F(PolicyLoadRequest, WorkspaceMustBeAnExistingDirectory) {
  ScopedEnv home("HOME", "/root");
  EXPECT_EQ(load_request(PolicyFlags{}, root_ + "/nope").error().what(),
            "workspace " + root_ + "/nope: No such file or directory");
  fs::path file = root_ + "/file";
  std::ofstream(file) << "x";
  EXPECT_EQ(load_request(PolicyFlags{}, file).error().what(),
            "workspace " + file.string() + " is not a directory");
}

TEST_F(PolicyLoadRequest, BadFlagIsAnError) {
  ScopedEnv home("HOME", "/root");
  PolicyFlags flags;
  flags.timeout = "soon";
  EXPECT_FALSE(load_request(flags, root_ + "/home/ws").ok());
}

}  // namespace
}  // namespace cordon::cli
