// Secrets do not reach the contained command through its environment.
#include <gtest/gtest.h>

#include "policy/load.h"

namespace cordon::policy {
namespace {

using Strings = std::vector<std::string>;

Entry<std::string> pattern(std::string value, Layer layer = Layer::BuiltIn) {
  return {std::move(value), Origin{layer, "test", 1, 1}};
}

TEST(PolicyEnvironment, ScrubbedNamesAreDroppedOthersKept) {
  Process p;
  p.env_scrub = {pattern("*_TOKEN"), pattern("AWS_*"), pattern("SSH_AUTH_SOCK")};
  Strings env = {"PATH=/usr/bin",
                 "GITHUB_TOKEN=ghp_x",
                 "AWS_SECRET_ACCESS_KEY=k",
                 "SSH_AUTH_SOCK=/tmp/agent",
                 "HOME=/home/u",
                 "TOKEN=not-a-suffix-match",
                 "EMPTY=",
                 "MY_TOKEN=a=b=c"};
  EXPECT_EQ(scrub_environment(p, env),
            (Strings{"PATH=/usr/bin", "HOME=/home/u", "TOKEN=not-a-suffix-match", "EMPTY="}));
}

TEST(PolicyEnvironment, MatchingIgnoresCase) {
  Process p;
  p.env_scrub = {pattern("*_TOKEN")};
  EXPECT_EQ(scrub_environment(p, {"github_token=x", "Gh_Token=y", "path=/bin"}),
            (Strings{"path=/bin"}));
}

TEST(PolicyEnvironment, PassKeepsAScrubbedName) {
  Process p;
  p.env_scrub = {pattern("*_TOKEN")};
  p.env_pass = {pattern("NPM_TOKEN", Layer::User)};
  EXPECT_EQ(scrub_environment(p, {"NPM_TOKEN=n", "GH_TOKEN=g"}), (Strings{"NPM_TOKEN=n"}));
}

TEST(PolicyEnvironment, OnlyAManagedPassKeepsWhatManagedScrubs) {
  Process p;
  p.env_scrub = {pattern("CORP_*", Layer::Managed), pattern("*_TOKEN")};
  p.env_pass = {pattern("*", Layer::User), pattern("CORP_PROXY", Layer::Managed)};
  // The user's "*" passes the built-in scrub of *_TOKEN, but not the managed CORP_*.
  EXPECT_EQ(scrub_environment(p, {"CORP_SECRET=s", "CORP_PROXY=p", "GH_TOKEN=g"}),
            (Strings{"CORP_PROXY=p", "GH_TOKEN=g"}));
}

TEST(PolicyEnvironment, EntryWithoutEqualsIsJudgedByItsWholeText) {
  Process p;
  p.env_scrub = {pattern("*_TOKEN")};
  EXPECT_EQ(scrub_environment(p, {"X_TOKEN", "PLAIN"}), (Strings{"PLAIN"}));
}

TEST(PolicyEnvironment, BuiltInDefaultScrubsCommonSecrets) {
  auto builtin = parse_policy(builtin_default_toml(), "built-in", Layer::BuiltIn);
  ASSERT_TRUE(builtin.ok());
  Strings env = {"GITHUB_TOKEN=1", "GH_TOKEN=1", "OPENAI_API_KEY=1", "ANTHROPIC_API_KEY=1",
                 "AWS_ACCESS_KEY_ID=1", "AWS_SECRET_ACCESS_KEY=1", "AWS_SESSION_TOKEN=1",
                 "AZURE_CLIENT_SECRET=1", "SSH_AUTH_SOCK=1", "GPG_AGENT_INFO=1", "DATABASE_URL=1",
                 "NPM_TOKEN=1", "VAULT_TOKEN=1", "PGPASSWORD_X=1", "DB_PASSWORD=1",
                 "GOOGLE_APPLICATION_CREDENTIALS=1", "CI_JOB_TOKEN_X=1", "STRIPE_SECRET_KEY=1",
                 // kept:
                 "PATH=/usr/bin", "HOME=/home/u", "LANG=C.UTF-8", "TERM=xterm", "USER=u",
                 "SHELL=/bin/bash", "EDITOR=vi", "PWD=/ws", "KEYBOARD=us"};
  EXPECT_EQ(
      scrub_environment(builtin->process, env),
      (Strings{"PGPASSWORD_X=1", "PATH=/usr/bin", "HOME=/home/u", "LANG=C.UTF-8", "TERM=xterm",
               "USER=u", "SHELL=/bin/bash", "EDITOR=vi", "PWD=/ws", "KEYBOARD=us"}));
}

}  // namespace
}  // namespace cordon::policy
