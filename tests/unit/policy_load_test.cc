// Loading the layers from real files in a scratch directory: which files are
// read, which may be missing, and who may trust a project.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "policy/load.h"

namespace cordon::policy {
namespace {

namespace fs = std::filesystem;

class PolicyLoad : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-policy-load-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    home_ = root_ + "/home";
    workspace_ = home_ + "/src/proj";
    fs::create_directories(workspace_);
    request_.home = home_;
    request_.workspace = workspace_;
    request_.managed_file = root_ + "/etc/managed.toml";
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& path, std::string_view text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  std::string user_file() const { return home_ + "/.config/cordon/policy.toml"; }
  std::string project_file() const { return workspace_ + "/.cordon/policy.toml"; }

  Policy load_ok() {
    auto loaded = load_effective(request_);
    EXPECT_TRUE(loaded.ok()) << loaded.error().what();
    return loaded.ok() ? loaded.value() : Policy{};
  }
  std::string load_error() {
    auto loaded = load_effective(request_);
    return loaded.ok() ? "(loaded without error)" : loaded.error().what();
  }

  static bool has(const PatternList& list, std::string_view v) {
    for (const auto& e : list) {
      if (e.value == v) return true;
    }
    return false;
  }

  std::string root_, home_, workspace_;
  LoadRequest request_;
};

TEST_F(PolicyLoad, NoFilesGivesTheBuiltInDefault) {
  Policy p = load_ok();
  ASSERT_EQ(p.sources.size(), 1u);
  EXPECT_EQ(p.sources[0].layer, Layer::BuiltIn);
  EXPECT_TRUE(has(p.filesystem.deny_read, "~/.ssh"));
  EXPECT_TRUE(has(p.filesystem.allow_write, "."));
  EXPECT_TRUE(p.ignored.empty());
}

TEST_F(PolicyLoad, ReadsUserProjectAndManagedInOrder) {
  write(user_file(), "[filesystem]\ndeny_read = [\"~/user-secret\"]\n");
  write(project_file(), "[filesystem]\ndeny_write = [\"vendor\"]\n");
  write(request_.managed_file, "[process]\ntimeout = 60\n");
  Policy p = load_ok();
  ASSERT_EQ(p.sources.size(), 4u);
  EXPECT_EQ(p.sources[1].name, user_file());
  EXPECT_EQ(p.sources[2].name, project_file());
  EXPECT_EQ(p.sources[3].layer, Layer::Managed);
  EXPECT_TRUE(has(p.filesystem.deny_read, "~/user-secret"));
  EXPECT_TRUE(has(p.filesystem.deny_write, "vendor"));
  EXPECT_EQ(p.process.timeout_seconds->value, 60);
  EXPECT_EQ(p.filesystem.deny_write.back().origin.layer, Layer::Project);
}

TEST_F(PolicyLoad, XdgConfigHomeWhenAbsolute) {
  write(root_ + "/xdg/cordon/policy.toml", "[filesystem]\ndeny_read = [\"/from-xdg\"]\n");
  write(user_file(), "[filesystem]\ndeny_read = [\"/from-home\"]\n");
  request_.xdg_config_home = root_ + "/xdg";
  Policy p = load_ok();
  EXPECT_TRUE(has(p.filesystem.deny_read, "/from-xdg"));
  EXPECT_FALSE(has(p.filesystem.deny_read, "/from-home"));

  request_.xdg_config_home = "relative/xdg";  // invalid per the XDG spec: ignored
  p = load_ok();
  EXPECT_TRUE(has(p.filesystem.deny_read, "/from-home"));
  EXPECT_EQ(user_policy_path("/h", ""), "/h/.config/cordon/policy.toml");
  EXPECT_EQ(user_policy_path("/h", "/x"), "/x/cordon/policy.toml");
  EXPECT_EQ(project_policy_path("/ws"), "/ws/.cordon/policy.toml");
}

TEST_F(PolicyLoad, UntrustedProjectOnlyTightens) {
  write(project_file(), "[filesystem]\nallow_read = [\"/\"]\ndeny_read = [\"data\"]\n");
  Policy p = load_ok();
  EXPECT_FALSE(p.project_trusted);
  EXPECT_FALSE(has(p.filesystem.allow_read, "/"));
  EXPECT_TRUE(has(p.filesystem.deny_read, "data"));
  ASSERT_EQ(p.ignored.size(), 1u);
  EXPECT_EQ(p.ignored[0].reason, "project not trusted");
}

TEST_F(PolicyLoad, TrustProjectFlag) {
  write(project_file(), "[filesystem]\nallow_write = [\"~/.cache\"]\n");
  request_.trust_project = true;
  Policy p = load_ok();
  EXPECT_TRUE(p.project_trusted);
  EXPECT_TRUE(has(p.filesystem.allow_write, "~/.cache"));
}

TEST_F(PolicyLoad, UserFileTrustsTheWorkspace) {
  write(project_file(), "[filesystem]\nallow_write = [\"~/.cache\"]\n");
  for (const char* trusted : {"~/src/proj", "~/src/*", "/tmp/*/home/src/proj"}) {
    write(user_file(), std::string("[trust]\nprojects = [\"") + trusted + "\"]\n");
    Policy p = load_ok();
    EXPECT_TRUE(p.project_trusted) << trusted;
    EXPECT_TRUE(has(p.filesystem.allow_write, "~/.cache")) << trusted;
  }
  // Neither a parent nor a sibling trusts this workspace.
  for (const char* other : {"~/src", "~/src/other", "~/*"}) {
    write(user_file(), std::string("[trust]\nprojects = [\"") + other + "\"]\n");
    EXPECT_FALSE(load_ok().project_trusted) << other;
  }
}

TEST_F(PolicyLoad, ExtraPolicyFileTrustsTheWorkspace) {
  write(root_ + "/extra.toml", "[trust]\nprojects = [\"~/src/proj\"]\n");
  request_.extra_files = {root_ + "/extra.toml"};
  EXPECT_TRUE(load_ok().project_trusted);
}

TEST_F(PolicyLoad, AProjectCannotTrustItself) {
  write(project_file(),
        "[trust]\nprojects = [\"~/src/proj\"]\n[filesystem]\nallow_read = [\"/root\"]\n");
  Policy p = load_ok();
  EXPECT_FALSE(p.project_trusted);
  EXPECT_FALSE(has(p.filesystem.allow_read, "/root"));
  EXPECT_EQ(p.ignored.size(), 2u);
}

TEST_F(PolicyLoad, ExtraFilesAreUserLayerAndMustExist) {
  write(root_ + "/a.toml", "[filesystem]\nallow_read = [\"/data\"]\n");
  request_.extra_files = {root_ + "/a.toml"};
  Policy p = load_ok();
  ASSERT_TRUE(has(p.filesystem.allow_read, "/data"));
  EXPECT_EQ(p.filesystem.allow_read.back().origin.layer, Layer::User);

  request_.extra_files.push_back(root_ + "/missing.toml");
  EXPECT_EQ(load_error(), "policy file " + root_ + "/missing.toml does not exist");
}

TEST_F(PolicyLoad, InvalidFileIsAnErrorWithItsPath) {
  write(project_file(), "[filesystem]\ndeny_read = [\"\"]\n");
  EXPECT_EQ(load_error(),
            project_file() + ":2:14: filesystem.deny_read: expected a non-empty path pattern");
}

TEST_F(PolicyLoad, FifoAtTheProjectPathDoesNotHang) {
  fs::create_directories(workspace_ + "/.cordon");
  ASSERT_EQ(::mkfifo(project_file().c_str(), 0600), 0);
  EXPECT_EQ(load_error(), "policy file " + project_file() + " is not a regular file");
}

TEST_F(PolicyLoad, DirectoryAtThePathIsAnError) {
  fs::create_directories(project_file());
  EXPECT_EQ(load_error(), "policy file " + project_file() + " is not a regular file");
}

TEST_F(PolicyLoad, HugeFileIsRefused) {
  write(project_file(), std::string(2 << 20, '#'));
  EXPECT_EQ(load_error(), "policy file " + project_file() + " is larger than 1 MiB");
}

TEST_F(PolicyLoad, UnopenableFileIsAnErrorNotSkipped) {
  // A file that exists but cannot be opened must stop cordon, not be taken
  // for missing. A symlink loop fails for root too (a 0 mode would not).
  fs::create_directories(fs::path(user_file()).parent_path());
  fs::create_symlink(user_file(), user_file());
  EXPECT_EQ(load_error(),
            "cannot open policy file " + user_file() + ": Too many levels of symbolic links");
}

TEST_F(PolicyLoad, ManagedStandInForTests) {
  write(root_ + "/test-managed.toml", "[filesystem]\ndeny_read = [\"/test\"]\n");
  request_.managed_override = root_ + "/test-managed.toml";
  Policy p = load_ok();
  EXPECT_TRUE(has(p.filesystem.deny_read, "/test"));
  EXPECT_EQ(p.filesystem.deny_read.back().origin.layer, Layer::Managed);
}

TEST_F(PolicyLoad, ManagedStandInIsRefusedWhereTheRealManagedFileExists) {
  // A stand-in beside the real file could loosen it (a managed env_pass
  // overrides a managed scrub); instead of it, it would switch it off.
  write(request_.managed_file, "[process]\nenv_scrub = [\"CORP_*\"]\n");
  write(root_ + "/test-managed.toml", "[process]\nenv_pass = [\"*\"]\n");
  request_.managed_override = root_ + "/test-managed.toml";
  EXPECT_EQ(load_error(), "CORDON_MANAGED_POLICY=" + root_ +
                              "/test-managed.toml cannot be used while " + request_.managed_file +
                              " exists: the variable stands in for the managed policy on test "
                              "machines only; unset it");
}

TEST_F(PolicyLoad, ManagedDenyBeatsTheUsersAllowAcrossForms) {
  write(user_file(), "[filesystem]\nallow_read = [\"~/.ssh/known_hosts\"]\n");
  write(request_.managed_file, "[filesystem]\ndeny_read = [\"" + home_ + "/.ssh\"]\n");
  Policy p = load_ok();
  EXPECT_FALSE(has(p.filesystem.allow_read, "~/.ssh/known_hosts"));
}

TEST_F(PolicyLoad, CommandLineEntriesAreStampedAsCommandLine) {
  request_.command_line.filesystem.allow_read.push_back({"/opt/x", Origin{}});  // layer BuiltIn
  request_.command_line.process.timeout_seconds = Entry<double>{30, Origin{Layer::Managed}};
  request_.command_line.resources.pids = Entry<double>{20, Origin{Layer::Managed}};
  request_.command_line.sandbox.mode = Entry<std::string>{"landlock", Origin{Layer::Managed}};
  Policy p = load_ok();
  ASSERT_TRUE(has(p.filesystem.allow_read, "/opt/x"));
  EXPECT_EQ(p.filesystem.allow_read.back().origin.layer, Layer::CommandLine);
  EXPECT_EQ(p.filesystem.allow_read.back().origin.source, "command line");
  EXPECT_EQ(p.process.timeout_seconds->origin.layer, Layer::CommandLine);
  EXPECT_EQ(p.resources.pids->origin.layer, Layer::CommandLine);
  // Stamped as the command line, the mode replaces the built-in "auto" (a
  // managed origin would have too, but it must not claim to be managed).
  EXPECT_EQ(p.sandbox.mode->value, "landlock");
  EXPECT_EQ(p.sandbox.mode->origin.layer, Layer::CommandLine);
  EXPECT_EQ(p.sources.back().layer, Layer::CommandLine);
}

TEST_F(PolicyLoad, CommandLineWithOnlyAOneValueSettingIsALayer) {
  request_.command_line.sandbox.on_violation = Entry<std::string>{"kill", Origin{}};
  Policy p = load_ok();
  EXPECT_EQ(p.sandbox.on_violation->value, "kill");
  EXPECT_EQ(p.sources.back().layer, Layer::CommandLine);
}

TEST_F(PolicyLoad, UntrustedProjectTightensResourcesAndSandboxOnly) {
  write(user_file(), "[resources]\ntmpfs_size = \"2G\"\n");
  write(project_file(),
        "[resources]\nmemory = \"1G\"\ntmpfs_size = \"8G\"\n"
        "[sandbox]\nmode = \"landlock\"\nunix_sockets = \"deny\"\nrequire = [\"landlock\"]\n");
  Policy p = load_ok();
  EXPECT_EQ(p.resources.memory_bytes->value, 1024.0 * 1024 * 1024);
  EXPECT_EQ(p.resources.tmpfs_bytes->value, 2048.0 * 1024 * 1024);  // the user's, not the project's
  EXPECT_EQ(p.sandbox.mode->value, "auto");
  EXPECT_EQ(p.sandbox.unix_sockets->value, "deny");
  EXPECT_TRUE(has(p.sandbox.require, "landlock"));
  EXPECT_TRUE(has(p.sandbox.require, "seccomp"));  // the built-in's stay
  bool mode_ignored = false;
  for (const auto& i : p.ignored) {
    if (i.field == "sandbox.mode" && i.value == "landlock") mode_ignored = true;
  }
  EXPECT_TRUE(mode_ignored);
}

TEST_F(PolicyLoad, RelativeWorkspaceOrHomeIsRefused) {
  request_.workspace = "proj";
  EXPECT_EQ(load_error(), "workspace \"proj\" is not an absolute path");
  request_.workspace = workspace_;
  request_.home = "";
  EXPECT_EQ(load_error(),
            "home directory \"\" is not an absolute path; set HOME so that \"~\" patterns mean "
            "something");
}

TEST_F(PolicyLoad, LoadPolicyFileForCheck) {
  EXPECT_EQ(load_policy_file(root_ + "/nope.toml", Layer::User).error().what(),
            "policy file " + root_ + "/nope.toml does not exist");
  write(root_ + "/ok.toml", "[process]\ntimeout = \"5m\"\n");
  auto ok = load_policy_file(root_ + "/ok.toml", Layer::User);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->process.timeout_seconds->value, 300);
}

}  // namespace
}  // namespace cordon::policy
