// The [network] section: every key, every way it can be wrong (with the
// exact FILE:LINE:COL), how the layers combine, what the proxy's rules
// become, and the "allow always" edit of the user's file.
#include <gtest/gtest.h>

#include <string>

#include "policy/edit.h"
#include "policy/load.h"
#include "policy/network.h"

namespace cordon::policy {
namespace {

using Strings = std::vector<std::string>;

Policy parse_ok(std::string_view text, Layer layer = Layer::User,
                const std::string& name = "p.toml") {
  auto parsed = parse_policy(text, name, layer);
  EXPECT_TRUE(parsed.ok()) << parsed.error().what();
  return parsed.ok() ? parsed.value() : Policy{};
}

std::string parse_error(std::string_view text) {
  auto parsed = parse_policy(text, "p.toml", Layer::User);
  if (parsed.ok()) return "(parsed without error)";
  return parsed.error().what();
}

Strings values(const PatternList& list) {
  Strings out;
  for (const auto& e : list) out.push_back(e.value);
  return out;
}

TEST(PolicyNetwork, EveryKey) {
  Policy p = parse_ok(R"([network]
allow = ["github.com", "*.npmjs.org", "api.example.com:443", "[::1]:8080"]
deny = ["evil.example"]
ask = ["*.example.net"]
open_ranges = ["127.0.0.0/8", "fd00::/8"]
resolve = { "test.internal" = "10.1.2.3" }

[network.limits."api.example.com"]
ports = [443, 8443]
methods = ["GET", "HEAD"]
paths = ["/v1/"]

[network.credentials.GITHUB_TOKEN]
env = "GH_TOKEN"
hosts = ["api.github.com"]
header = "Authorization"
)");
  EXPECT_EQ(values(p.network.allow),
            (Strings{"github.com", "*.npmjs.org", "api.example.com:443", "[::1]:8080"}));
  EXPECT_EQ(values(p.network.deny), (Strings{"evil.example"}));
  EXPECT_EQ(values(p.network.ask), (Strings{"*.example.net"}));
  EXPECT_EQ(values(p.network.open_ranges), (Strings{"127.0.0.0/8", "fd00::/8"}));
  EXPECT_EQ(values(p.network.resolve), (Strings{"test.internal=10.1.2.3"}));
  ASSERT_EQ(p.network.limits.size(), 1u);
  EXPECT_EQ(p.network.limits[0].host, "api.example.com");
  EXPECT_EQ(p.network.limits[0].ports, (std::vector<uint16_t>{443, 8443}));
  EXPECT_EQ(p.network.limits[0].methods, (Strings{"GET", "HEAD"}));
  EXPECT_EQ(p.network.limits[0].paths, (Strings{"/v1/"}));
  EXPECT_EQ(p.network.limits[0].origin.line, 8);
  ASSERT_EQ(p.network.credentials.size(), 1u);
  EXPECT_EQ(p.network.credentials[0].name, "GITHUB_TOKEN");
  EXPECT_EQ(p.network.credentials[0].env, "GH_TOKEN");
  EXPECT_EQ(p.network.credentials[0].hosts, (Strings{"api.github.com"}));
  EXPECT_EQ(p.network.allow[1].origin.line, 2);
  EXPECT_TRUE(p.network.any_egress());
  EXPECT_FALSE(Policy{}.network.any_egress());
}

TEST(PolicyNetwork, ResolveAlsoAsAList) {
  Policy p = parse_ok("[network]\nresolve = [\"a.test=127.0.0.1\", \"b.test=::1\"]\n");
  EXPECT_EQ(values(p.network.resolve), (Strings{"a.test=127.0.0.1", "b.test=::1"}));
}

TEST(PolicyNetwork, BadValuesPointAtTheirPlace) {
  EXPECT_EQ(parse_error("[network]\nallow = [\"*\"]\n").rfind("p.toml:2:10: network.allow: ", 0),
            0u)
      << parse_error("[network]\nallow = [\"*\"]\n");
  for (const char* bad :
       {"\"a\\u0000.b\"", "\"a b.com\"", "\"\"", "\"x.com:0\"", "\"x.com:70000\"", "\"x.com:ab\"",
        "\"*x.com\"", "\"a.*.com\"", "\"[::1\"", "\"*.10.0.0.1\"", "\"0x7f.1\"", "\"-a.com\""}) {
    std::string text = std::string("[network]\nallow = [") + bad + "]\n";
    std::string err = parse_error(text);
    EXPECT_EQ(err.rfind("p.toml:2:10: network.allow: ", 0), 0u) << bad << " -> " << err;
  }
  EXPECT_EQ(parse_error("[network]\nopen_ranges = [\"10.0.0.1/8\"]\n").rfind("p.toml:2:16: ", 0),
            0u);
  EXPECT_EQ(parse_error("[network]\nopen_ranges = [\"nonsense\"]\n").rfind("p.toml:2:16: ", 0), 0u);
  EXPECT_EQ(parse_error("[network]\nresolve = [\"a.test\"]\n"),
            "p.toml:2:12: network.resolve: \"a.test\": expected NAME=ADDRESS");
  EXPECT_EQ(parse_error("[network]\nresolve = [\"a.test=300.1.1.1\"]\n"),
            "p.toml:2:12: network.resolve: \"a.test=300.1.1.1\": expected an IPv4 or IPv6 "
            "address after \"=\"");
  EXPECT_EQ(parse_error("[network]\nresolve = { \"a.test\" = 5 }\n"),
            "p.toml:2:24: network.resolve.\"a.test\": expected an address string, got an integer");
  EXPECT_EQ(parse_error("[network]\nproxy = true\n"),
            "p.toml:2:1: unknown key \"proxy\" in [network]; expected one of limits, credentials, "
            "allow, deny, ask, open_ranges, resolve");
  EXPECT_EQ(parse_error("[network.limits.\"a.com\"]\nports = [0]\n"),
            "p.toml:2:10: network.limits.\"a.com\".ports: expected a port number from 1 to 65535");
  EXPECT_EQ(parse_error("[network.limits.\"a.com\"]\nmethods = [\"get\"]\n"),
            "p.toml:2:12: network.limits.\"a.com\".methods: \"get\": expected an HTTP method in "
            "upper case (\"GET\", \"POST\")");
  EXPECT_EQ(parse_error("[network.limits.\"a.com\"]\npaths = [\"v1\"]\n"),
            "p.toml:2:10: network.limits.\"a.com\".paths: \"v1\": expected a path prefix starting "
            "with \"/\", without spaces or control bytes");
  EXPECT_EQ(parse_error("[network.limits.\"a.com\"]\nverbs = []\n"),
            "p.toml:2:1: unknown key \"verbs\" in network.limits.\"a.com\"; expected one of ports, "
            "methods, paths");
  EXPECT_EQ(parse_error("[network.credentials.T]\nhosts = [\"a.com\"]\n"),
            "p.toml:1:22: network.credentials.\"T\": expected exactly one of env or file");
  EXPECT_EQ(
      parse_error("[network.credentials.T]\nenv = \"X\"\nfile = \"/x\"\nhosts = [\"a.com\"]\n"),
      "p.toml:1:22: network.credentials.\"T\": expected exactly one of env or file");
  EXPECT_EQ(parse_error("[network.credentials.T]\nenv = \"X\"\n"),
            "p.toml:1:22: network.credentials.\"T\": expected hosts = [\"...\"], the hosts that "
            "receive it");
  EXPECT_EQ(parse_error("[network.credentials.T]\nfile = \"rel/path\"\nhosts = [\"a.com\"]\n"),
            "p.toml:2:8: network.credentials.\"T\".file: expected an absolute or \"~/\" path");
  EXPECT_EQ(parse_error("[network.credentials.\"1X\"]\nenv = \"X\"\nhosts = [\"a.com\"]\n"),
            "p.toml:1:22: network.credentials.\"1X\": \"1X\": expected an environment variable "
            "name (letters, digits, _)");
}

Policy layer(Layer l, std::string_view text, const std::string& name) {
  return parse_ok(text, l, name);
}

TEST(PolicyNetwork, UntrustedProjectMayOnlyTighten) {
  const char* project = R"([network]
allow = ["exfil.example"]
deny = ["bad.example"]
ask = ["maybe.example"]
open_ranges = ["10.0.0.0/8"]
resolve = ["github.com=10.9.9.9"]
[network.limits."github.com"]
methods = ["GET"]
[network.credentials.GITHUB_TOKEN]
env = "GITHUB_TOKEN"
hosts = ["exfil.example"]
)";
  Policy merged = merge({layer(Layer::User, "[network]\nallow = [\"github.com\"]\n", "u"),
                         layer(Layer::Project, project, "proj")},
                        false);
  EXPECT_EQ(values(merged.network.allow), (Strings{"github.com"}));
  EXPECT_EQ(values(merged.network.deny), (Strings{"bad.example"}));
  EXPECT_TRUE(merged.network.ask.empty());
  EXPECT_TRUE(merged.network.open_ranges.empty());
  EXPECT_TRUE(merged.network.resolve.empty());
  EXPECT_TRUE(merged.network.credentials.empty());
  ASSERT_EQ(merged.network.limits.size(), 1u);  // a limit only narrows
  Strings ignored;
  for (const auto& i : merged.ignored) ignored.push_back(i.field + " " + i.reason);
  EXPECT_EQ(
      ignored,
      (Strings{"network.allow project not trusted", "network.ask project not trusted",
               "network.open_ranges project not trusted", "network.resolve project not trusted",
               "network.credentials.GITHUB_TOKEN project not trusted"}));

  Policy trusted = merge({layer(Layer::Project, project, "proj")}, true);
  EXPECT_EQ(values(trusted.network.allow), (Strings{"exfil.example"}));
  EXPECT_EQ(trusted.network.credentials.size(), 1u);
}

TEST(PolicyNetwork, HigherLayerCredentialReplacesLower) {
  Policy merged = merge(
      {layer(Layer::User, "[network.credentials.T]\nenv = \"A\"\nhosts = [\"a.com\"]\n", "u"),
       layer(Layer::Managed, "[network.credentials.T]\nenv = \"B\"\nhosts = [\"b.com\"]\n", "m")},
      false);
  ASSERT_EQ(merged.network.credentials.size(), 1u);
  EXPECT_EQ(merged.network.credentials[0].env, "B");
  ASSERT_EQ(merged.ignored.size(), 1u);
  EXPECT_EQ(merged.ignored[0].reason, "replaced by m:1:22");
}

TEST(PolicyNetwork, ProxyRules) {
  Policy merged = merge({layer(Layer::User, R"([network]
allow = ["API.Example.com.", "*.npmjs.org", "pinned.example:8443"]
deny = ["evil.example:25"]
open_ranges = ["127.0.0.1"]
resolve = ["a.test=127.0.0.1"]
[network.limits."api.example.com"]
ports = [443, 8443]
methods = ["GET", "HEAD"]
paths = ["/v1/", "/v2/"]
[network.limits."pinned.example"]
ports = [443]
[network.limits."evil.example"]
ports = [80]
)",
                               "u"),
                         layer(Layer::Project, R"([network.limits."api.example.com"]
ports = [443]
methods = ["GET", "POST"]
paths = ["/v1/users/"]
)",
                               "proj")},
                        false);
  egress::Rules rules = egress_rules(merged.network);
  ASSERT_EQ(rules.allow.size(), 3u);
  EXPECT_EQ(rules.allow[0].pattern, "api.example.com");
  EXPECT_EQ(rules.allow[0].ports, (std::vector<uint16_t>{443}));
  EXPECT_EQ(rules.allow[0].methods, (Strings{"GET"}));
  EXPECT_EQ(rules.allow[0].path_prefixes, (Strings{"/v1/users/"}));
  EXPECT_EQ(rules.allow[0].origin, "API.Example.com. (u:2:10)");
  EXPECT_EQ(rules.allow[1].pattern, "*.npmjs.org");
  EXPECT_TRUE(rules.allow[1].ports.empty());
  // 8443 on the entry, 443 in the limit: nothing is left (port 0 never matches).
  EXPECT_EQ(rules.allow[2].ports, (std::vector<uint16_t>{0}));
  // A deny is never narrowed by a limit.
  ASSERT_EQ(rules.deny.size(), 1u);
  EXPECT_EQ(rules.deny[0].ports, (std::vector<uint16_t>{25}));
  ASSERT_EQ(rules.open_ranges.size(), 1u);
  EXPECT_EQ(rules.open_ranges[0].str(), "127.0.0.1/32");
  auto overrides = egress_overrides(merged.network);
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].first, "a.test");
  EXPECT_EQ(overrides[0].second.str(), "127.0.0.1");
}

TEST(PolicyNetwork, ShowPrintsTheTablesAndParsesAgain) {
  Policy p = parse_ok(R"([network]
allow = ["github.com"]
[network.limits."github.com"]
methods = ["GET"]
[network.credentials.T]
file = "~/.token"
hosts = ["github.com"]
)");
  std::string shown = show(merge({p}, false));
  EXPECT_NE(shown.find("[network.limits.\"github.com\"]  # p.toml:3:17\nmethods = [\"GET\"]\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("file = \"~/.token\""), std::string::npos) << shown;
  auto again = parse_policy(shown, "shown", Layer::User);
  ASSERT_TRUE(again.ok()) << again.error().what() << "\n" << shown;
  EXPECT_EQ(values(again->network.allow), (Strings{"github.com"}));
  EXPECT_EQ(again->network.limits.size(), 1u);
  EXPECT_EQ(again->network.credentials.size(), 1u);
}

TEST(PolicyEdit, AllowAlwaysKeepsTheFileAndAddsOneEntry) {
  auto added = [](std::string_view text) {
    auto r = with_allowed_host(text, "u.toml", "new.example", "approved");
    return r.ok() ? *r : "error: " + r.error().message;
  };
  EXPECT_EQ(added(""), "\n[network]\nallow = [\"new.example\"]  # approved\n");
  EXPECT_EQ(added("# mine\n[filesystem]\ndeny_read = [\"~/x\"]"),
            "# mine\n[filesystem]\ndeny_read = [\"~/x\"]\n\n[network]\nallow = "
            "[\"new.example\"]  # approved\n");
  EXPECT_EQ(added("[network]\n# keep me\nallow = [\"a.com\"]  # note\n"),
            "[network]\n# keep me\nallow = [\"new.example\", \"a.com\"]  # note\n");
  EXPECT_EQ(added("[network]\nallow = []\n"), "[network]\nallow = [\"new.example\"]\n");
  EXPECT_EQ(added("[network]\ndeny = [\"x.com\"]\n[trust]\n"),
            "[network]\nallow = [\"new.example\"]  # approved\ndeny = [\"x.com\"]\n[trust]\n");
  EXPECT_EQ(added("[network.limits.\"a.com\"]\nports = [443]\n"),
            "[network.limits.\"a.com\"]\nports = [443]\n\n[network]\nallow = [\"new.example\"]  "
            "# approved\n");
  EXPECT_EQ(added("[network]\nallow = [\n  \"a.com\",\n]\n"),
            "[network]\nallow = [\"new.example\", \n  \"a.com\",\n]\n");
  EXPECT_EQ(
      added("network = { allow = [] }\n").rfind("error: u.toml:1:11: [network] is not a table", 0),
      0u)
      << added("network = { allow = [] }\n");
  EXPECT_EQ(added("[network\n").rfind("error: u.toml:1:", 0), 0u);
}

}  // namespace
}  // namespace cordon::policy
