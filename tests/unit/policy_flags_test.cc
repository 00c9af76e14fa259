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

TEST(PolicyFlags, ResourceAndSandboxFlagsFillTheirFields) {
  Parsed p = parse({"--memory",
                    "2G",
                    "--pids",
                    "512",
                    "--cpus",
                    "1.5",
                    "--file-size",
                    "1G",
                    "--open-files",
                    "1024",
                    "--tmpfs-size",
                    "512M",
                    "--mode",
                    "landlock",
                    "--require",
                    "network-isolation",
                    "--require",
                    "seccomp",
                    "--on-violation",
                    "kill",
                    "--unix-sockets",
                    "deny",
                    "make"});
  EXPECT_EQ(p.flags.memory, "2G");
  EXPECT_EQ(p.flags.require, (Strings{"network-isolation", "seccomp"}));
  EXPECT_EQ(p.rest, (Strings{"make"}));

  auto layer = command_line_policy(p.flags);
  ASSERT_TRUE(layer.ok()) << layer.error().what();
  const policy::Resources& r = layer->resources;
  EXPECT_EQ(r.memory_bytes->value, 2.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(r.pids->value, 512);
  EXPECT_EQ(r.cpus->value, 1.5);
  EXPECT_EQ(r.file_size_bytes->value, 1024.0 * 1024 * 1024);
  EXPECT_EQ(r.open_files->value, 1024);
  EXPECT_EQ(r.tmpfs_bytes->value, 512.0 * 1024 * 1024);
  EXPECT_EQ(r.pids->origin.layer, policy::Layer::CommandLine);
  const policy::Sandbox& s = layer->sandbox;
  EXPECT_EQ(s.mode->value, "landlock");
  EXPECT_EQ(s.mode->origin.layer, policy::Layer::CommandLine);
  EXPECT_EQ(values(s.require), (Strings{"network-isolation", "seccomp"}));
  EXPECT_EQ(s.on_violation->value, "kill");
  EXPECT_EQ(s.unix_sockets->value, "deny");
  EXPECT_EQ(policy::origin_text(s.unix_sockets->origin), "command line");
}

// --mode on the command line is how a user asks for landlock mode on a host
// that could do full: the built-in "auto" is only a default.
TEST(PolicyFlags, ModeFlagReplacesTheBuiltInDefault) {
  PolicyFlags flags;
  flags.mode = "landlock";
  flags.tmpfs_size = "4G";
  auto cli = command_line_policy(flags);
  ASSERT_TRUE(cli.ok());
  policy::Policy merged = policy::merge({policy::builtin_default(), *cli}, false);
  EXPECT_EQ(merged.sandbox.mode->value, "landlock");
  EXPECT_EQ(merged.resources.tmpfs_bytes->value, 4.0 * 1024 * 1024 * 1024);
}

TEST(PolicyFlags, BadResourceAndSandboxValuesNameTheFlag) {
  struct Case {
    std::string PolicyFlags::*member;
    const char* value;
    const char* error;
  } cases[] = {
      {&PolicyFlags::memory, "lots",
       "--memory: expected a size from 1 byte to 8192T: a number of bytes (1048576) or a string "
       "with a K, M, G or T suffix in powers of 1024 (\"512M\", \"1.5G\"), got \"lots\""},
      {&PolicyFlags::file_size, "0", nullptr},
      {&PolicyFlags::tmpfs_size, "1GB", nullptr},
      {&PolicyFlags::pids, "0", "--pids: expected an integer from 1 to 4194304, got \"0\""},
      {&PolicyFlags::pids, "1.5", nullptr},
      {&PolicyFlags::pids, "12abc", nullptr},
      {&PolicyFlags::pids, "-3", nullptr},
      {&PolicyFlags::open_files, "8",
       "--open-files: expected an integer from 16 to 1073741824, got \"8\""},
      {&PolicyFlags::cpus, "0", "--cpus: expected a number from 0.01 to 1024, got \"0\""},
      {&PolicyFlags::cpus, "inf", nullptr},
      {&PolicyFlags::cpus, "nan", nullptr},
      {&PolicyFlags::cpus, "1.5x", nullptr},
      {&PolicyFlags::mode, "strict",
       "--mode: expected \"landlock\", \"auto\" or \"full\", got \"strict\""},
      {&PolicyFlags::on_violation, "log",
       "--on-violation: expected \"errno\" or \"kill\", got \"log\""},
      {&PolicyFlags::unix_sockets, "yes",
       "--unix-sockets: expected \"allow\" or \"deny\", got \"yes\""},
  };
  for (const auto& c : cases) {
    PolicyFlags flags;
    flags.*c.member = c.value;
    auto layer = command_line_policy(flags);
    ASSERT_FALSE(layer.ok()) << c.value;
    if (c.error != nullptr) {
      EXPECT_EQ(layer.error().what(), c.error);
    }
  }
  PolicyFlags flags;
  flags.require = {"seccomp", "nsjail"};
  EXPECT_EQ(command_line_policy(flags).error().what(),
            "--require: expected one of filesystem-isolation, protected-paths, credential-hiding, "
            "network-isolation, process-isolation, landlock, seccomp, resource-limits, got "
            "\"nsjail\"");
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
  for (const policy::Field& f : policy::fields()) {
    const auto* list = policy::pattern_list(*layer, f.id);
    const auto* n = policy::number_value(*layer, f.id);
    const auto* c = policy::choice_value(*layer, f.id);
    EXPECT_TRUE((list == nullptr || list->empty()) && (n == nullptr || !n->has_value()) &&
                (c == nullptr || !c->has_value()))
        << f.name();
  }
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
