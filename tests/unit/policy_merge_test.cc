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

const Ignored* find_ignored(const Policy& p, std::string_view field, std::string_view value) {
  for (const auto& i : p.ignored) {
    if (i.field == field && i.value == value) return &i;
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
