// Merging layers: deny wins everywhere, a repository cannot loosen its own
// containment unless trusted, and the managed file cannot be loosened at all.
#include <gtest/gtest.h>

#include <string>

#include "policy/load.h"

namespace cordon::policy {
namespace {

using Strings = std::vector<std::string>;

Policy layer(Layer layer, std::string_view text, const std::string& name) {
  auto parsed = parse_policy(text, name, layer);
  EXPECT_TRUE(parsed.ok()) << parsed.error().what();
  return parsed.ok() ? parsed.value() : Policy{};
}

Strings values(const PatternList& list) {
  Strings out;
  for (const auto& e : list) out.push_back(e.value);
  return out;
}

std::string fmt_mode(std::string_view mode) {
  return "[sandbox]\nmode = \"" + std::string(mode) + "\"\n";
}

// The first ignored entry of `field` with `value` (and, when given, from `source`).
const Ignored* find_ignored(const Policy& p, std::string_view field, std::string_view value,
                            std::string_view source = {}) {
  for (const auto& i : p.ignored) {
    if (i.field == field && i.value == value && (source.empty() || i.origin.source == source)) {
      return &i;
    }
  }
  return nullptr;
}

TEST(PolicyMerge, DenyListsAreTheUnionOfEveryLayer) {
  Policy merged = merge(
      {
          layer(Layer::BuiltIn, "[filesystem]\ndeny_read = [\"~/.ssh\"]\n", "built-in"),
          layer(Layer::User, "[filesystem]\ndeny_read = [\"~/secret\"]\n", "user.toml"),
          layer(Layer::Project, "[filesystem]\ndeny_read = [\"data\"]\ndeny_write = [\"src\"]\n",
                "project.toml"),
          layer(Layer::Managed, "[filesystem]\ndeny_write = [\"/etc\"]\n", "managed.toml"),
      },
      false);
  EXPECT_EQ(values(merged.filesystem.deny_read), (Strings{"~/.ssh", "~/secret", "data"}));
  EXPECT_EQ(values(merged.filesystem.deny_write), (Strings{"src", "/etc"}));
  EXPECT_EQ(merged.sources.size(), 4u);
}

TEST(PolicyMerge, EnvScrubIsTheUnionOfEveryLayer) {
  Policy merged = merge({layer(Layer::BuiltIn, "[process]\nenv_scrub = [\"A_*\"]\n", "b"),
                         layer(Layer::Project, "[process]\nenv_scrub = [\"B_*\"]\n", "p")},
                        false);
  EXPECT_EQ(values(merged.process.env_scrub), (Strings{"A_*", "B_*"}));
}

TEST(PolicyMerge, UntrustedProjectCannotLoosen) {
  constexpr std::string_view kProject = R"([filesystem]
allow_read = ["/"]
allow_write = ["~"]
deny_write = ["build"]
[process]
env_pass = ["*"]
)";
  Policy merged = merge({layer(Layer::BuiltIn, "[filesystem]\nallow_write = [\".\"]\n", "b"),
                         layer(Layer::Project, kProject, "/ws/.cordon/policy.toml")},
                        false);
  EXPECT_EQ(values(merged.filesystem.allow_read), Strings{});
  EXPECT_EQ(values(merged.filesystem.allow_write), (Strings{"."}));
  EXPECT_EQ(values(merged.filesystem.deny_write), (Strings{"build"}));  // tightening is kept
  EXPECT_EQ(values(merged.process.env_pass), Strings{});
  EXPECT_FALSE(merged.project_trusted);

  const Ignored* read = find_ignored(merged, "filesystem.allow_read", "/");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->reason, "project not trusted");
  EXPECT_EQ(read->origin.source, "/ws/.cordon/policy.toml");
  EXPECT_EQ(read->origin.line, 2);
  EXPECT_NE(find_ignored(merged, "filesystem.allow_write", "~"), nullptr);
  EXPECT_NE(find_ignored(merged, "process.env_pass", "*"), nullptr);
}

TEST(PolicyMerge, TrustedProjectMayLoosen) {
  Policy merged = merge({layer(Layer::Project,
                               "[filesystem]\nallow_write = [\"~/.cache\"]\n[process]\n"
                               "env_pass = [\"NPM_TOKEN\"]\n",
                               "p")},
                        true);
  EXPECT_EQ(values(merged.filesystem.allow_write), (Strings{"~/.cache"}));
  EXPECT_EQ(values(merged.process.env_pass), (Strings{"NPM_TOKEN"}));
  EXPECT_TRUE(merged.ignored.empty());
  EXPECT_TRUE(merged.project_trusted);
}

TEST(PolicyMerge, OnlyTheUserLayerVouchesForProjects) {
  Policy merged = merge({layer(Layer::User, "[trust]\nprojects = [\"~/a\"]\n", "u"),
                         layer(Layer::Project, "[trust]\nprojects = [\"~/b\"]\n", "p"),
                         layer(Layer::Managed, "[trust]\nprojects = [\"~/c\"]\n", "m")},
                        true);
  EXPECT_EQ(values(merged.trust.projects), (Strings{"~/a"}));
  const Ignored* ignored = find_ignored(merged, "trust.projects", "~/b");
  ASSERT_NE(ignored, nullptr);
  EXPECT_EQ(ignored->reason, "[trust] is honoured only in the user file and --policy files");
  EXPECT_NE(find_ignored(merged, "trust.projects", "~/c"), nullptr);
}

TEST(PolicyMerge, SmallestTimeoutWins) {
  Policy merged = merge({layer(Layer::User, "[process]\ntimeout = \"1h\"\n", "u"),
                         layer(Layer::Project, "[process]\ntimeout = 90\n", "p"),
                         layer(Layer::CommandLine, "[process]\ntimeout = \"10m\"\n", "c")},
                        false);
  ASSERT_TRUE(merged.process.timeout_seconds.has_value());
  EXPECT_EQ(merged.process.timeout_seconds->value, 90);
  EXPECT_EQ(merged.process.timeout_seconds->origin.source, "p");
  const Ignored* longer = find_ignored(merged, "process.timeout", "3600");
  ASSERT_NE(longer, nullptr);
  EXPECT_EQ(longer->reason, "a shorter timeout applies (p:2:11)");
  EXPECT_NE(find_ignored(merged, "process.timeout", "600"), nullptr);
}

TEST(PolicyMerge, NoTimeoutAnywhereMeansNone) {
  Policy merged = merge({layer(Layer::User, "", "u")}, false);
  EXPECT_FALSE(merged.process.timeout_seconds.has_value());
}

TEST(PolicyMerge, ManagedTimeoutIsNeverExceeded) {
  Policy merged = merge({layer(Layer::CommandLine, "[process]\ntimeout = \"2h\"\n", "c"),
                         layer(Layer::Managed, "[process]\ntimeout = \"1h\"\n", "m")},
                        true);
  EXPECT_EQ(merged.process.timeout_seconds->value, 3600);
  EXPECT_EQ(merged.process.timeout_seconds->origin.layer, Layer::Managed);
}

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;

TEST(PolicyMerge, EveryResourceTakesTheSmallestLimitOfAnyLayer) {
  Policy merged = merge(
      {layer(Layer::BuiltIn, "[resources]\ntmpfs_size = \"1G\"\n", "b"),
       layer(Layer::User,
             "[resources]\nmemory = \"4G\"\npids = 100\ncpus = 4\nfile_size = \"1G\"\n"
             "open_files = 4096\ntmpfs_size = \"2G\"\n",
             "u"),
       layer(Layer::Project,
             "[resources]\nmemory = \"2G\"\npids = 1000\ncpus = 0.5\nopen_files = 64\n", "p"),
       layer(Layer::CommandLine, "[resources]\nfile_size = \"10M\"\ntmpfs_size = \"256M\"\n", "c")},
      false);
  const Resources& r = merged.resources;
  EXPECT_EQ(r.memory_bytes->value, 2 * kGiB);
  EXPECT_EQ(r.memory_bytes->origin.source, "p");  // an untrusted project may tighten
  EXPECT_EQ(r.pids->value, 100);
  EXPECT_EQ(r.pids->origin.source, "u");
  EXPECT_EQ(r.cpus->value, 0.5);
  EXPECT_EQ(r.file_size_bytes->value, 10 * kMiB);
  EXPECT_EQ(r.open_files->value, 64);
  EXPECT_EQ(r.tmpfs_bytes->value, 256 * kMiB);
  EXPECT_EQ(r.tmpfs_bytes->origin.layer, Layer::CommandLine);

  const Ignored* memory = find_ignored(merged, "resources.memory", "4G");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->reason, "a smaller limit applies (p:2:10)");
  EXPECT_EQ(memory->origin.source, "u");
  const Ignored* pids = find_ignored(merged, "resources.pids", "1000");
  ASSERT_NE(pids, nullptr);
  EXPECT_EQ(pids->reason, "a smaller limit applies (u:3:8)");
  EXPECT_NE(find_ignored(merged, "resources.cpus", "4"), nullptr);
  EXPECT_NE(find_ignored(merged, "resources.file_size", "1G"), nullptr);
  EXPECT_NE(find_ignored(merged, "resources.open_files", "4096"), nullptr);
  EXPECT_NE(find_ignored(merged, "resources.tmpfs_size", "2G"), nullptr);
}

TEST(PolicyMerge, NoResourceLimitAnywhereMeansNone) {
  Policy merged = merge({layer(Layer::User, "[resources]\npids = 10\n", "u")}, false);
  EXPECT_FALSE(merged.resources.memory_bytes.has_value());
  EXPECT_FALSE(merged.resources.cpus.has_value());
  EXPECT_EQ(merged.resources.pids->value, 10);
  EXPECT_TRUE(merged.ignored.empty());
}

// The built-in default is a default: the user may raise it (a bigger /tmp
// for a big build), and so may the command line and a trusted project.
TEST(PolicyMerge, TheUserReplacesABuiltInLimit) {
  Policy builtin = layer(Layer::BuiltIn, "[resources]\ntmpfs_size = \"1G\"\n", "built-in");
  Policy merged =
      merge({builtin, layer(Layer::User, "[resources]\ntmpfs_size = \"4G\"\n", "u")}, false);
  EXPECT_EQ(merged.resources.tmpfs_bytes->value, 4 * kGiB);
  const Ignored* replaced = find_ignored(merged, "resources.tmpfs_size", "1G");
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(replaced->reason, "built-in default overridden (u:2:14)");

  merged = merge({builtin, layer(Layer::Project, "[resources]\ntmpfs_size = \"4G\"\n", "p")},
                 /*trust_project=*/true);
  EXPECT_EQ(merged.resources.tmpfs_bytes->value, 4 * kGiB);
}

TEST(PolicyMerge, UntrustedProjectCannotRaiseABuiltInLimit) {
  Policy merged = merge({layer(Layer::BuiltIn, "[resources]\ntmpfs_size = \"1G\"\n", "built-in"),
                         layer(Layer::Project, "[resources]\ntmpfs_size = \"64G\"\n", "p")},
                        false);
  EXPECT_EQ(merged.resources.tmpfs_bytes->value, kGiB);
  EXPECT_EQ(merged.resources.tmpfs_bytes->origin.layer, Layer::BuiltIn);
  const Ignored* raised = find_ignored(merged, "resources.tmpfs_size", "64G");
  ASSERT_NE(raised, nullptr);
  EXPECT_EQ(raised->reason,
            "project not trusted: it may only tighten; a smaller limit applies (built-in:2)");
}

TEST(PolicyMerge, ManagedLimitsAreACeiling) {
  Policy merged = merge({layer(Layer::User, "[resources]\nmemory = \"8G\"\npids = 50\n", "u"),
                         layer(Layer::CommandLine, "[resources]\nmemory = \"16G\"\n", "c"),
                         layer(Layer::Managed, "[resources]\nmemory = \"1G\"\npids = 500\n", "m")},
                        true);
  EXPECT_EQ(merged.resources.memory_bytes->value, kGiB);
  EXPECT_EQ(merged.resources.memory_bytes->origin.layer, Layer::Managed);
  EXPECT_NE(find_ignored(merged, "resources.memory", "8G"), nullptr);
  EXPECT_NE(find_ignored(merged, "resources.memory", "16G"), nullptr);
  // A managed limit bounds; a lower layer may still go below it.
  EXPECT_EQ(merged.resources.pids->value, 50);
  EXPECT_EQ(find_ignored(merged, "resources.pids", "500")->reason,
            "a smaller limit applies (u:3:8)");
}

TEST(PolicyMerge, EqualLimitsCiteTheLowerLayer) {
  Policy merged = merge({layer(Layer::User, "[resources]\npids = 64\n", "u"),
                         layer(Layer::Project, "[resources]\npids = 64\n", "p")},
                        false);
  EXPECT_EQ(merged.resources.pids->origin.source, "u");
  EXPECT_EQ(find_ignored(merged, "resources.pids", "64")->reason, "the same value applies (u:2:8)");
}

constexpr std::string_view kBuiltInSandbox = R"([sandbox]
mode = "auto"
require = ["credential-hiding", "network-isolation", "seccomp"]
on_violation = "errno"
unix_sockets = "allow"
)";

TEST(PolicyMerge, TheStrictestSandboxSettingWins) {
  Policy merged = merge({layer(Layer::BuiltIn, kBuiltInSandbox, "built-in"),
                         layer(Layer::User,
                               "[sandbox]\nmode = \"landlock\"\non_violation = \"kill\"\n"
                               "unix_sockets = \"allow\"\n",
                               "u"),
                         layer(Layer::Project, "[sandbox]\nmode = \"full\"\n", "p"),
                         layer(Layer::CommandLine, "[sandbox]\nunix_sockets = \"deny\"\n", "c")},
                        false);
  const Sandbox& s = merged.sandbox;
  EXPECT_EQ(s.mode->value, "full");  // a project may tighten
  EXPECT_EQ(s.mode->origin.source, "p");
  EXPECT_EQ(s.on_violation->value, "kill");
  EXPECT_EQ(s.unix_sockets->value, "deny");
  EXPECT_EQ(s.unix_sockets->origin.layer, Layer::CommandLine);
  EXPECT_EQ(find_ignored(merged, "sandbox.mode", "landlock")->reason,
            "a stricter setting applies (p:2:8)");
  EXPECT_EQ(find_ignored(merged, "sandbox.mode", "auto")->reason,
            "built-in default overridden (u:2:8)");
  EXPECT_NE(find_ignored(merged, "sandbox.on_violation", "errno"), nullptr);
  EXPECT_EQ(find_ignored(merged, "sandbox.unix_sockets", "allow")->origin.source, "built-in");
}

TEST(PolicyMerge, ModeOrder) {
  auto mode_of = [](std::string_view a, std::string_view b) {
    Policy merged =
        merge({layer(Layer::User, fmt_mode(a), "u"), layer(Layer::User, fmt_mode(b), "v")}, false);
    return merged.sandbox.mode->value;
  };
  EXPECT_EQ(mode_of("landlock", "auto"), "auto");
  EXPECT_EQ(mode_of("auto", "landlock"), "auto");
  EXPECT_EQ(mode_of("auto", "full"), "full");
  EXPECT_EQ(mode_of("full", "landlock"), "full");
  EXPECT_EQ(mode_of("landlock", "landlock"), "landlock");
}

// A repository's own file names its sandbox; it cannot make it weaker than
// what the built-in default (or the user) asked for.
TEST(PolicyMerge, UntrustedProjectCannotLoosenTheSandbox) {
  Policy merged =
      merge({layer(Layer::BuiltIn, kBuiltInSandbox, "built-in"),
             layer(Layer::User, "[sandbox]\non_violation = \"kill\"\n", "u"),
             layer(Layer::Project, "[sandbox]\nmode = \"landlock\"\non_violation = \"errno\"\n",
                   "/ws/.cordon/policy.toml")},
            false);
  EXPECT_EQ(merged.sandbox.mode->value, "auto");
  EXPECT_EQ(merged.sandbox.mode->origin.layer, Layer::BuiltIn);
  EXPECT_EQ(merged.sandbox.on_violation->value, "kill");
  const Ignored* mode = find_ignored(merged, "sandbox.mode", "landlock");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->reason,
            "project not trusted: it may only tighten; a stricter setting applies (built-in:2)");
  EXPECT_EQ(mode->origin.source, "/ws/.cordon/policy.toml");
  EXPECT_EQ(mode->origin.line, 2);
  const Ignored* action =
      find_ignored(merged, "sandbox.on_violation", "errno", "/ws/.cordon/policy.toml");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->reason, "a stricter setting applies (u:2:16)");
  EXPECT_EQ(action->origin.source, "/ws/.cordon/policy.toml");
}

TEST(PolicyMerge, TrustedProjectMayChooseLandlockMode) {
  Policy merged = merge({layer(Layer::BuiltIn, kBuiltInSandbox, "built-in"),
                         layer(Layer::Project, "[sandbox]\nmode = \"landlock\"\n", "p")},
                        true);
  EXPECT_EQ(merged.sandbox.mode->value, "landlock");
}

TEST(PolicyMerge, NothingBelowTheManagedFileLoosensItsSandbox) {
  Policy merged =
      merge({layer(Layer::BuiltIn, kBuiltInSandbox, "built-in"),
             layer(Layer::User, "[sandbox]\nmode = \"landlock\"\nunix_sockets = \"allow\"\n", "u"),
             layer(Layer::CommandLine, "[sandbox]\non_violation = \"errno\"\n", "c"),
             layer(Layer::Managed,
                   "[sandbox]\nmode = \"full\"\non_violation = \"kill\"\nunix_sockets = \"deny\"\n"
                   "require = [\"filesystem-isolation\"]\n",
                   "m")},
            true);
  EXPECT_EQ(merged.sandbox.mode->value, "full");
  EXPECT_EQ(merged.sandbox.on_violation->value, "kill");
  EXPECT_EQ(merged.sandbox.unix_sockets->value, "deny");
  EXPECT_EQ(find_ignored(merged, "sandbox.mode", "landlock")->reason,
            "a stricter setting applies (m:2:8)");
  EXPECT_EQ(find_ignored(merged, "sandbox.on_violation", "errno", "c")->reason,
            "a stricter setting applies (m:3:16)");
}

TEST(PolicyMerge, RequirementsAreTheUnionOfEveryLayer) {
  Policy merged = merge(
      {layer(Layer::BuiltIn, kBuiltInSandbox, "built-in"),
       layer(Layer::User, "[sandbox]\nrequire = [\"landlock\"]\n", "u"),
       layer(Layer::Project, "[sandbox]\nrequire = [\"protected-paths\", \"seccomp\"]\n", "p"),
       layer(Layer::Managed, "[sandbox]\nrequire = [\"resource-limits\"]\n", "m")},
      false);
  EXPECT_EQ(values(merged.sandbox.require),
            (Strings{"credential-hiding", "network-isolation", "seccomp", "landlock",
                     "protected-paths", "resource-limits"}));
  EXPECT_EQ(merged.sandbox.require[2].origin.source, "p");  // the higher layer is cited
  EXPECT_EQ(merged.sandbox.require[4].origin.layer, Layer::Project);
  EXPECT_TRUE(merged.ignored.empty());
}

TEST(PolicyMerge, ManagedDenyCannotBeReopenedByALowerAllow) {
  constexpr std::string_view kUser = R"([filesystem]
allow_read = ["/srv/secret", "/srv/secret/sub/file", "/srv/*/x", "/srv/public", "/"]
allow_write = ["/srv/ro/cache", "/srv/secret/w", "/tmp/ok"]
)";
  constexpr std::string_view kManaged = R"([filesystem]
deny_read = ["/srv/secret"]
deny_write = ["/srv/ro"]
allow_read = ["/srv/secret/managed-opened"]
)";
  Policy merged =
      merge({layer(Layer::User, kUser, "u"), layer(Layer::Managed, kManaged, "m")}, true);
  // Allows inside (or possibly inside, through a glob) the managed deny are gone;
  // an allow above it ("/") stays, since the deeper deny still wins there.
  EXPECT_EQ(values(merged.filesystem.allow_read),
            (Strings{"/srv/public", "/", "/srv/secret/managed-opened"}));
  EXPECT_EQ(values(merged.filesystem.allow_write), (Strings{"/tmp/ok"}));
  const Ignored* sub = find_ignored(merged, "filesystem.allow_read", "/srv/secret/sub/file");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->reason, "the managed policy denies /srv/secret (m:2:14)");
  EXPECT_NE(find_ignored(merged, "filesystem.allow_read", "/srv/*/x"), nullptr);
  EXPECT_NE(find_ignored(merged, "filesystem.allow_write", "/srv/ro/cache"), nullptr);
  // Writable implies visible: a write allow inside a managed read deny goes too.
  EXPECT_NE(find_ignored(merged, "filesystem.allow_write", "/srv/secret/w"), nullptr);
}

TEST(PolicyMerge, ManagedChecksCompareHomeAndWorkspaceForms) {
  Policy user = layer(Layer::User, "[filesystem]\nallow_read = [\"~/.ssh/known_hosts\"]\n", "u");
  Policy managed = layer(Layer::Managed, "[filesystem]\ndeny_read = [\"/home/u/.ssh\"]\n", "m");
  // Without home, "~/..." and "/home/u/..." cannot be compared...
  EXPECT_EQ(merge({user, managed}, true).filesystem.allow_read.size(), 1u);
  // ...with it they can.
  EXPECT_EQ(merge({user, managed}, true, "/home/u", "/home/u/ws").filesystem.allow_read.size(), 0u);

  Policy cli = layer(Layer::CommandLine, "[filesystem]\nallow_write = [\"out\"]\n", "c");
  Policy managed_ws = layer(Layer::Managed, "[filesystem]\ndeny_write = [\"/ws/out\"]\n", "m");
  EXPECT_EQ(merge({cli, managed_ws}, true, "/home/u", "/ws").filesystem.allow_write.size(), 0u);
}

TEST(PolicyMerge, LowerLayersMayStillLoosenTheBuiltIn) {
  // The built-in deny of ~/.ssh is a default, not a rule: the user may open a file in it.
  Policy merged =
      merge({layer(Layer::BuiltIn, "[filesystem]\ndeny_read = [\"~/.ssh\"]\n", "built-in"),
             layer(Layer::User, "[filesystem]\nallow_read = [\"~/.ssh/known_hosts\"]\n", "u")},
            false, "/home/u", "/ws");
  EXPECT_EQ(values(merged.filesystem.allow_read), (Strings{"~/.ssh/known_hosts"}));
}

TEST(PolicyMerge, ManagedScrubCannotBePassedByALowerLayer) {
  Policy merged =
      merge({layer(Layer::User, "[process]\nenv_pass = [\"AWS_PROFILE\", \"HOME\"]\n", "u"),
             layer(Layer::Managed, "[process]\nenv_scrub = [\"AWS_*\"]\n", "m")},
            true);
  EXPECT_EQ(values(merged.process.env_pass), (Strings{"HOME"}));
  const Ignored* pass = find_ignored(merged, "process.env_pass", "AWS_PROFILE");
  ASSERT_NE(pass, nullptr);
  EXPECT_EQ(pass->reason, "the managed policy scrubs AWS_* (m:2:14)");
}

TEST(PolicyMerge, ManagedMayLoosenItself) {
  Policy merged = merge({layer(Layer::Managed,
                               "[filesystem]\ndeny_read = [\"/srv\"]\nallow_read = [\"/srv/pub\"]\n"
                               "[process]\nenv_scrub = [\"*_KEY\"]\nenv_pass = [\"PUBLIC_KEY\"]\n",
                               "m")},
                        false);
  EXPECT_EQ(values(merged.filesystem.allow_read), (Strings{"/srv/pub"}));
  EXPECT_EQ(values(merged.process.env_pass), (Strings{"PUBLIC_KEY"}));
}

TEST(PolicyMerge, DuplicatesAreKeptOnceWithTheHighestOrigin) {
  Policy merged =
      merge({layer(Layer::BuiltIn, "[filesystem]\ndeny_read = [\"~/.ssh\", \"~/.aws\"]\n", "b"),
             layer(Layer::Managed, "[filesystem]\ndeny_read = [\"~/.ssh\"]\n", "m")},
            false);
  EXPECT_EQ(values(merged.filesystem.deny_read), (Strings{"~/.ssh", "~/.aws"}));
  EXPECT_EQ(merged.filesystem.deny_read[0].origin.layer, Layer::Managed);
  EXPECT_EQ(merged.filesystem.deny_read[0].origin.source, "m");
}

}  // namespace
}  // namespace cordon::policy
