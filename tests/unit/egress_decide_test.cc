// The one decision of the egress proxy (THREATS.md: empty allow list read
// as allow-all, a plain HTTP or SOCKS path skipping the check, rebinding to
// loopback or metadata) and the path normal form that path rules see.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "egress/decide.h"

namespace cordon::egress {
namespace {

HostRule rule(std::string pattern, std::vector<uint16_t> ports = {},
              std::vector<std::string> methods = {}, std::vector<std::string> paths = {}) {
  return HostRule{std::move(pattern), std::move(ports), std::move(methods), std::move(paths),
                  "policy.toml:7"};
}

Request connect(std::string host, uint16_t port = 443) {
  return Request{Entry::HttpConnect, std::move(host), port, "", ""};
}
Request socks(std::string host, uint16_t port = 443) {
  return Request{Entry::Socks5, std::move(host), port, "", ""};
}
Request http(std::string host, std::string method = "GET", std::string path = "/",
             uint16_t port = 80) {
  return Request{Entry::HttpForward, std::move(host), port, std::move(method), std::move(path)};
}

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

const Entry kEntries[] = {Entry::HttpConnect, Entry::HttpForward, Entry::Socks5};

Request any(Entry entry, std::string host, uint16_t port) {
  return Request{entry, std::move(host), port, entry == Entry::HttpForward ? "GET" : "",
                 entry == Entry::HttpForward ? "/" : ""};
}

TEST(EgressDecide, EmptyAllowListAllowsNothing) {
  Rules rules;
  for (Entry entry : kEntries) {
    auto d = decide(rules, any(entry, "example.com", 443));
    EXPECT_EQ(d.verdict, Verdict::Deny) << entry_name(entry);
    EXPECT_EQ(d.rule, "no rule");
    EXPECT_EQ(d.reason, "no allow rule for example.com");
  }
}

TEST(EgressDecide, EveryEntryPointRefusesADeniedHost) {
  Rules rules;
  rules.allow = {rule("*.example.com")};
  rules.deny = {rule("evil.example.com")};
  for (Entry entry : kEntries) {
    auto d = decide(rules, any(entry, "evil.example.com", 443));
    EXPECT_EQ(d.verdict, Verdict::Deny) << entry_name(entry);
    EXPECT_EQ(d.rule, "deny evil.example.com (policy.toml:7)");
    EXPECT_EQ(d.reason, "evil.example.com:443 is denied by deny evil.example.com (policy.toml:7)");
    auto ok = decide(rules, any(entry, "good.example.com", 443));
    EXPECT_EQ(ok.verdict, Verdict::Allow) << entry_name(entry);
    EXPECT_EQ(ok.rule, "allow *.example.com (policy.toml:7)");
    EXPECT_EQ(ok.reason, "good.example.com:443 is allowed by allow *.example.com (policy.toml:7)");
  }
}

TEST(EgressDecide, DenyComesBeforeAllowAndAsk) {
  Rules rules;
  rules.allow = {rule("api.example.com")};
  rules.ask = {rule("api.example.com")};
  rules.deny = {rule("*.example.com")};
  auto d = decide(rules, connect("api.example.com"));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "deny *.example.com (policy.toml:7)");
}

TEST(EgressDecide, WildcardDoesNotCoverTheDomainItself) {
  Rules rules;
  rules.allow = {rule("*.github.com")};
  EXPECT_EQ(decide(rules, connect("api.github.com")).verdict, Verdict::Allow);
  auto d = decide(rules, connect("github.com"));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.reason, "no allow rule for github.com");
  EXPECT_EQ(decide(rules, connect("notgithub.com")).verdict, Verdict::Deny);
}

TEST(EgressDecide, AllowRulePorts) {
  Rules rules;
  rules.allow = {rule("example.com", {443, 8443})};
  EXPECT_EQ(decide(rules, connect("example.com", 443)).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, connect("example.com", 8443)).verdict, Verdict::Allow);
  auto d = decide(rules, connect("example.com", 22));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "allow example.com (policy.toml:7)");
  EXPECT_EQ(d.reason,
            "port 22 is not allowed for example.com by allow example.com (policy.toml:7), which "
            "allows ports 443, 8443");
}

TEST(EgressDecide, DefaultPortsApplyToAllowRulesWithoutPorts) {
  Rules rules;
  rules.allow = {rule("example.com"), rule("ssh.example.com", {22})};
  rules.default_ports = {80, 443};
  EXPECT_EQ(decide(rules, connect("example.com", 443)).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, http("example.com")).verdict, Verdict::Allow);
  auto d = decide(rules, connect("example.com", 25));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.reason,
            "port 25 is not allowed for example.com by allow example.com (policy.toml:7), which "
            "allows ports 80, 443");
  // A rule's own ports replace the defaults.
  EXPECT_EQ(decide(rules, connect("ssh.example.com", 22)).verdict, Verdict::Allow);
  auto one = decide(rules, connect("ssh.example.com", 443));
  EXPECT_EQ(one.reason,
            "port 443 is not allowed for ssh.example.com by allow ssh.example.com (policy.toml:7), "
            "which allows port 22");
}

TEST(EgressDecide, SecondAllowRuleCanAllowWhatTheFirstRefuses) {
  Rules rules;
  rules.allow = {rule("*.example.com", {443}), rule("dev.example.com", {8080})};
  EXPECT_EQ(decide(rules, connect("dev.example.com", 8080)).verdict, Verdict::Allow);
  auto d = decide(rules, connect("dev.example.com", 9000));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "allow *.example.com (policy.toml:7)");  // the first that named the host
}

TEST(EgressDecide, MethodsAndPathsForPlainHttp) {
  Rules rules;
  rules.allow = {rule("registry.example.com", {}, {"GET", "HEAD"}, {"/v2/", "/simple"})};
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/v2/lib/x")).verdict,
            Verdict::Allow);
  EXPECT_EQ(decide(rules, http("registry.example.com", "HEAD", "/simple")).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/simple/pkg/?q=1")).verdict,
            Verdict::Allow);
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/v2/./a//b")).verdict,
            Verdict::Allow);

  auto method = decide(rules, http("registry.example.com", "POST", "/v2/x"));
  EXPECT_EQ(method.verdict, Verdict::Deny);
  EXPECT_EQ(method.reason,
            "method POST is not allowed for registry.example.com by allow registry.example.com "
            "(policy.toml:7), which allows GET, HEAD");
  // Methods are case-sensitive tokens: "get" is another method to a server.
  EXPECT_EQ(decide(rules, http("registry.example.com", "get", "/v2/x")).verdict, Verdict::Deny);

  auto path = decide(rules, http("registry.example.com", "GET", "/admin"));
  EXPECT_EQ(path.verdict, Verdict::Deny);
  EXPECT_EQ(path.reason,
            "path /admin is not allowed for registry.example.com by allow registry.example.com "
            "(policy.toml:7), which allows paths under /v2/, /simple");
  // Prefixes end on a segment boundary.
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/simplex")).verdict, Verdict::Deny);
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/v2")).verdict, Verdict::Deny);

  // Dot segments and encodings cannot climb out of an allowed prefix.
  auto climb = decide(rules, http("registry.example.com", "GET", "/v2/../admin"));
  EXPECT_EQ(climb.verdict, Verdict::Deny);
  EXPECT_EQ(climb.reason,
            "path /admin is not allowed for registry.example.com by allow registry.example.com "
            "(policy.toml:7), which allows paths under /v2/, /simple");
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/v2/%2e%2e/admin")).verdict,
            Verdict::Deny);
  auto slash = decide(rules, http("registry.example.com", "GET", "/v2/..%2Fadmin"));
  EXPECT_EQ(slash.verdict, Verdict::Deny);
  EXPECT_EQ(slash.reason,
            "path of the request to registry.example.com is refused by allow registry.example.com "
            "(policy.toml:7): the path holds an encoded '/' (%2F)");
  EXPECT_EQ(decide(rules, http("registry.example.com", "GET", "/v2/..;/admin")).verdict,
            Verdict::Deny);
}

TEST(EgressDecide, MethodAndPathRulesCannotBeCheckedInsideATunnel) {
  Rules rules;
  rules.allow = {rule("api.example.com", {}, {"GET"})};
  auto d = decide(rules, connect("api.example.com"));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "allow api.example.com (policy.toml:7)");
  EXPECT_EQ(d.reason,
            "allow api.example.com (policy.toml:7) limits api.example.com to some methods or "
            "paths, which cannot be checked inside a CONNECT tunnel; use plain HTTP through the "
            "proxy, or a rule without methods and paths");
  auto s = decide(rules, socks("api.example.com"));
  EXPECT_EQ(s.verdict, Verdict::Deny);
  EXPECT_NE(s.reason.find("inside a SOCKS5 connection"), std::string::npos) << s.reason;
  EXPECT_EQ(decide(rules, http("api.example.com")).verdict, Verdict::Allow);
}

TEST(EgressDecide, DenyRuleWithPortsDeniesOnlyThosePorts) {
  Rules rules;
  rules.allow = {rule("mail.example.com")};
  rules.deny = {rule("mail.example.com", {25, 587})};
  EXPECT_EQ(decide(rules, connect("mail.example.com", 443)).verdict, Verdict::Allow);
  auto d = decide(rules, socks("mail.example.com", 25));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.reason, "mail.example.com:25 is denied by deny mail.example.com (policy.toml:7)");
}

TEST(EgressDecide, DenyRuleWithMethodsOrPaths) {
  Rules rules;
  rules.allow = {rule("*.example.com")};
  rules.deny = {rule("api.example.com", {}, {"POST", "PUT"}),
                rule("files.example.com", {}, {}, {"/private"})};
  EXPECT_EQ(decide(rules, http("api.example.com", "GET", "/")).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, http("api.example.com", "POST", "/")).verdict, Verdict::Deny);
  EXPECT_EQ(decide(rules, http("files.example.com", "GET", "/public/x")).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, http("files.example.com", "GET", "/private/x")).verdict, Verdict::Deny);
  EXPECT_EQ(decide(rules, http("files.example.com", "GET", "/public/../private/x")).verdict,
            Verdict::Deny);
  EXPECT_EQ(decide(rules, http("files.example.com", "GET", "/%70rivate/x")).verdict,
            Verdict::Deny);  // %70 is 'p'
  // A path with no normal form might be a way around the deny rule.
  auto odd = decide(rules, http("files.example.com", "GET", "/a%2Fprivate"));
  EXPECT_EQ(odd.verdict, Verdict::Deny);
  EXPECT_EQ(odd.reason,
            "path of the request to files.example.com is refused by deny files.example.com "
            "(policy.toml:7): the path holds an encoded '/' (%2F)");
  // Inside a tunnel the method is not visible: fail closed.
  auto tunnel = decide(rules, connect("api.example.com"));
  EXPECT_EQ(tunnel.verdict, Verdict::Deny);
  EXPECT_EQ(tunnel.reason,
            "api.example.com:443 is denied by deny api.example.com (policy.toml:7) for some "
            "methods or paths, which cannot be told apart inside a CONNECT tunnel");
}

TEST(EgressDecide, AskComesAfterAllow) {
  Rules rules;
  rules.allow = {rule("a.example.com")};
  rules.ask = {rule("*.example.com", {443})};
  EXPECT_EQ(decide(rules, connect("a.example.com")).verdict, Verdict::Allow);
  auto d = decide(rules, connect("b.example.com"));
  EXPECT_EQ(d.verdict, Verdict::Ask);
  EXPECT_EQ(d.rule, "ask *.example.com (policy.toml:7)");
  EXPECT_EQ(d.reason, "b.example.com:443 needs approval by ask *.example.com (policy.toml:7)");
  // An ask rule whose port does not match does not ask: default deny.
  auto port = decide(rules, connect("b.example.com", 80));
  EXPECT_EQ(port.verdict, Verdict::Deny);
  EXPECT_EQ(port.reason, "no allow rule for b.example.com");
  EXPECT_EQ(decide(rules, connect("example.org")).verdict, Verdict::Deny);
}

TEST(EgressDecide, AllowRuleNamingTheHostWithOtherPortsIsNotOverriddenByAsk) {
  Rules rules;
  rules.allow = {rule("github.com", {443})};
  rules.ask = {rule("github.com")};
  auto d = decide(rules, connect("github.com", 22));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "allow github.com (policy.toml:7)");
}

TEST(EgressDecide, AddressLiteralsAreHostsLikeAnyOther) {
  Rules rules;
  rules.allow = {rule("*.example.com"), rule("10.1.2.3")};
  EXPECT_EQ(decide(rules, connect("10.1.2.3")).verdict, Verdict::Allow);
  EXPECT_EQ(decide(rules, connect("10.1.2.4")).verdict, Verdict::Deny);
  EXPECT_EQ(decide(rules, socks("::1")).verdict, Verdict::Deny);
}

TEST(EgressDecide, RuleWithoutOriginIsNamedByItsPattern) {
  Rules rules;
  rules.allow = {HostRule{"example.com", {}, {}, {}, ""}};
  EXPECT_EQ(decide(rules, connect("example.com")).rule, "allow example.com");
}

// ---- after resolution --------------------------------------------------------

TEST(EgressCheckAddress, RebindingToLoopbackAndMetadataIsRefused) {
  Rules rules;
  rules.allow = {rule("allowed.example.com")};
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"127.0.0.1", "resolves to 127.0.0.1 (loopback)"},
      {"::1", "resolves to ::1 (loopback)"},
      {"::ffff:127.0.0.1", "resolves to ::ffff:127.0.0.1 (loopback)"},
      {"64:ff9b::7f00:1", "resolves to 64:ff9b::7f00:1 (loopback)"},
      {"169.254.169.254", "resolves to 169.254.169.254 (link-local)"},
      {"::ffff:169.254.169.254", "resolves to ::ffff:169.254.169.254 (link-local)"},
      {"2002:a9fe:a9fe::", "resolves to 2002:a9fe:a9fe:: (link-local)"},
      {"fd00:ec2::254", "resolves to fd00:ec2::254 (private)"},
      {"10.0.0.1", "resolves to 10.0.0.1 (private)"},
      {"100.100.100.200", "resolves to 100.100.100.200 (CGNAT)"},  // Alibaba metadata
      {"0.0.0.0", "resolves to 0.0.0.0 (unspecified)"},
      {"224.0.0.1", "resolves to 224.0.0.1 (multicast)"},
      {"255.255.255.255", "resolves to 255.255.255.255 (broadcast)"},
      {"fe80::1", "resolves to fe80::1 (link-local)"},
  };
  for (const auto& [address, reason] : cases) {
    auto d = check_address(rules, "allowed.example.com", ip(address));
    EXPECT_EQ(d.verdict, Verdict::Deny) << address;
    EXPECT_EQ(d.rule, "no rule");
    EXPECT_EQ(d.reason, reason);
  }
  for (std::string_view address : {"8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    auto d = check_address(rules, "allowed.example.com", ip(address));
    EXPECT_EQ(d.verdict, Verdict::Allow) << address;
    EXPECT_EQ(d.reason, "resolves to " + std::string(address) + " (public)");
  }
}

TEST(EgressCheckAddress, OpenRangesOpen) {
  Rules rules;
  rules.open_ranges = {Cidr::parse("10.0.0.0/8").value(), Cidr::parse("fd00::/8").value()};
  auto d = check_address(rules, "internal.example.com", ip("10.2.3.4"));
  EXPECT_EQ(d.verdict, Verdict::Allow);
  EXPECT_EQ(d.rule, "open range 10.0.0.0/8");
  EXPECT_EQ(d.reason, "resolves to 10.2.3.4 (private), opened by the range 10.0.0.0/8");
  EXPECT_EQ(check_address(rules, "x", ip("::ffff:10.2.3.4")).verdict, Verdict::Allow);
  EXPECT_EQ(check_address(rules, "x", ip("fd00:ec2::254")).verdict, Verdict::Allow);
  // Other ranges stay shut, and so do other embeddings of the opened one.
  EXPECT_EQ(check_address(rules, "x", ip("192.168.1.1")).verdict, Verdict::Deny);
  EXPECT_EQ(check_address(rules, "x", ip("169.254.169.254")).verdict, Verdict::Deny);
  EXPECT_EQ(check_address(rules, "x", ip("64:ff9b::a02:304")).verdict, Verdict::Deny);
}

TEST(EgressCheckAddress, AnAllowRuleForTheExactAddressOpensIt) {
  Rules rules;
  rules.allow = {rule("127.0.0.1", {8080}), rule("*.example.com"), rule("::1")};
  auto d = check_address(rules, "127.0.0.1", ip("127.0.0.1"));
  EXPECT_EQ(d.verdict, Verdict::Allow);
  EXPECT_EQ(d.rule, "allow 127.0.0.1 (policy.toml:7)");
  EXPECT_EQ(d.reason,
            "resolves to 127.0.0.1 (loopback), opened by allow 127.0.0.1 (policy.toml:7)");
  EXPECT_EQ(check_address(rules, "127.0.0.1", ip("::ffff:127.0.0.1")).verdict, Verdict::Allow);
  EXPECT_EQ(check_address(rules, "::1", ip("::1")).verdict, Verdict::Allow);
  EXPECT_EQ(check_address(rules, "127.0.0.2", ip("127.0.0.2")).verdict, Verdict::Deny);
  EXPECT_EQ(check_address(rules, "x", ip("169.254.169.254")).verdict, Verdict::Deny);
}

TEST(EgressCheckAddress, ADenyRuleForTheExactAddressDeniesNamesResolvingToIt) {
  Rules rules;
  rules.allow = {rule("*.example.com"), rule("10.0.0.5")};
  rules.deny = {rule("93.184.216.34"), rule("10.0.0.5"), rule("8.8.8.8", {53})};
  rules.open_ranges = {Cidr::parse("10.0.0.0/8").value()};
  auto d = check_address(rules, "www.example.com", ip("93.184.216.34"));
  EXPECT_EQ(d.verdict, Verdict::Deny);
  EXPECT_EQ(d.rule, "deny 93.184.216.34 (policy.toml:7)");
  EXPECT_EQ(d.reason,
            "resolves to 93.184.216.34 (public), which is denied by deny 93.184.216.34 "
            "(policy.toml:7)");
  EXPECT_EQ(check_address(rules, "x", ip("::ffff:93.184.216.34")).verdict, Verdict::Deny);
  // Deny wins over an open range and an allow rule for the same address.
  EXPECT_EQ(check_address(rules, "x", ip("10.0.0.5")).verdict, Verdict::Deny);
  EXPECT_EQ(check_address(rules, "x", ip("10.0.0.6")).verdict, Verdict::Allow);
  // A deny rule limited to ports cannot be applied without the port: decide() did.
  EXPECT_EQ(check_address(rules, "x", ip("8.8.8.8")).verdict, Verdict::Allow);
}

// ---- path normal form ---------------------------------------------------------

TEST(EgressPath, NormalForms) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "/"},
      {"/", "/"},
      {"/a", "/a"},
      {"/a/", "/a/"},
      {"/a/b/c", "/a/b/c"},
      {"//a///b//", "/a/b/"},
      {"/a/./b", "/a/b"},
      {"/a/.", "/a/"},
      {"/a/b/..", "/a/"},
      {"/a/b/../c", "/a/c"},
      {"/a/../", "/"},
      {"/a/..", "/"},
      {"/.", "/"},
      {"/./", "/"},
      {"/a/b/../../c/./d/", "/c/d/"},
      {"/%61%62c", "/abc"},  // unreserved characters decoded
      {"/%7e%2D%5f%2e", "/~-_."},
      {"/a/%2e/b", "/a/b"},  // an encoded dot is a dot
      {"/a/%2e%2e/b", "/b"},
      {"/a/%2E%2e/b", "/b"},
      {"/a/.%2e/b", "/b"},
      {"/a%3fb", "/a%3Fb"},  // reserved escapes keep their meaning, upper-case hex
      {"/a%3Fb", "/a%3Fb"},
      {"/a%20b", "/a%20b"},
      {"/100%25", "/100%25"},  // a literal '%' not followed by hex digits
      {"/100%25/x", "/100%25/x"},
      {"/a%25zz", "/a%25zz"},
      {"/caf%c3%a9", "/caf%C3%A9"},
      {"/a{b}|c", "/a%7Bb%7D%7Cc"},  // raw characters a path may not hold are escaped
      {"/a%7Bb", "/a%7Bb"},
      {"/a?x=../../y", "/a"},  // the query is not part of the path
      {"/a#frag", "/a"},
      {"/a;v=1/b", "/a;v=1/b"},
      {"/.well-known/x", "/.well-known/x"},
      {"/...", "/..."},  // three dots is a name
      {"/..a/b", "/..a/b"},
      {"/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="},
  };
  for (const auto& [in, out] : cases) {
    std::string why;
    auto got = normalize_path(in, &why);
    ASSERT_TRUE(got.has_value()) << in << ": " << why;
    EXPECT_EQ(*got, out) << in;
    // The normal form is a fixed point.
    EXPECT_EQ(normalize_path(*got).value_or("(refused)"), *got) << in;
  }
}

TEST(EgressPath, RefusalsSayWhy) {
  using namespace std::string_literals;
  const std::pair<std::string, std::string_view> cases[] = {
      {"a/b", "the path does not start with '/'"},
      {"*", "the path does not start with '/'"},
      {"http://example.com/", "the path does not start with '/'"},
      {"/a%2Fb", "the path holds an encoded '/' (%2F)"},
      {"/a%2fb", "the path holds an encoded '/' (%2F)"},
      {"/v2/..%2F..%2Fadmin", "the path holds an encoded '/' (%2F)"},
      {"/a%5Cb", "the path holds an encoded '\\' (%5C)"},
      {"/a%00b", "the path holds an encoded NUL (%00)"},
      {"/a%252e%252e/b", "the path is encoded twice (\"%25\" followed by hex digits)"},
      {"/a%252F", "the path is encoded twice (\"%25\" followed by hex digits)"},
      // The digits after "%25" escaped too (found by fuzz_path).
      {"/a%252%46", "the path is encoded twice (\"%25\" followed by hex digits)"},
      {"/a%25%32%46", "the path is encoded twice (\"%25\" followed by hex digits)"},
      {"/a%255%42", "the path is encoded twice (\"%25\" followed by hex digits)"},
      {"/a/%c0%ae%c0%ae/b", "the path holds an overlong UTF-8 lead byte (%C0 or %C1)"},
      {"/a/%C1%9C", "the path holds an overlong UTF-8 lead byte (%C0 or %C1)"},
      {"/a%", "the path ends in an incomplete escape"},
      {"/a%4", "the path ends in an incomplete escape"},
      {"/a%zz", "invalid escape at offset 2 of the path"},
      {"/a%+1b", "invalid escape at offset 2 of the path"},
      {"/a\0b"s, "the path holds a NUL byte"},
      {"/a\tb", "the path holds control byte 0x09"},
      {"/a\r\nb", "the path holds control byte 0x0d"},
      {"/a\x7f", "the path holds control byte 0x7f"},
      {"/a b", "the path holds a space"},
      {"/caf\xc3\xa9", "the path holds a non-ASCII byte (not percent-encoded)"},
      {"/a\\..\\b", "the path holds a '\\' (some servers read it as '/')"},
      {"/..", "the path goes above the root with \"..\""},
      {"/../a", "the path goes above the root with \"..\""},
      {"/a/../../b", "the path goes above the root with \"..\""},
      {"/%2e%2e/a", "the path goes above the root with \"..\""},
      {"/a/..;/b", "the path holds a \"..;\" segment (a dot segment with parameters)"},
      {"/a/..;x=1/b", "the path holds a \"..;x=1\" segment (a dot segment with parameters)"},
      {"/a/.;/b", "the path holds a \".;\" segment (a dot segment with parameters)"},
      {"/a/%2e%2e;/b", "the path holds a \"..;\" segment (a dot segment with parameters)"},
  };
  for (const auto& [in, reason] : cases) {
    std::string why;
    auto got = normalize_path(in, &why);
    EXPECT_FALSE(got.has_value()) << in << " -> " << got.value_or("");
    EXPECT_EQ(why, reason) << in;
  }
  EXPECT_FALSE(normalize_path("/a%2F").has_value());  // why is optional
}

TEST(EgressPath, PrefixesEndOnSegmentBoundaries) {
  EXPECT_TRUE(path_has_prefix("/api", "/api"));
  EXPECT_TRUE(path_has_prefix("/api/", "/api"));
  EXPECT_TRUE(path_has_prefix("/api/x", "/api"));
  EXPECT_FALSE(path_has_prefix("/apikeys", "/api"));
  EXPECT_FALSE(path_has_prefix("/ap", "/api"));
  EXPECT_TRUE(path_has_prefix("/api/x", "/api/"));
  EXPECT_FALSE(path_has_prefix("/api", "/api/"));
  EXPECT_TRUE(path_has_prefix("/anything", "/"));
  EXPECT_TRUE(path_has_prefix("/", "/"));
  EXPECT_TRUE(path_has_prefix("/x", ""));
}

TEST(EgressDecide, Names) {
  EXPECT_EQ(verdict_name(Verdict::Allow), "allow");
  EXPECT_EQ(verdict_name(Verdict::Deny), "deny");
  EXPECT_EQ(verdict_name(Verdict::Ask), "ask");
  EXPECT_EQ(entry_name(Entry::HttpConnect), "CONNECT");
  EXPECT_EQ(entry_name(Entry::HttpForward), "HTTP");
  EXPECT_EQ(entry_name(Entry::Socks5), "SOCKS5");
}

}  // namespace
}  // namespace cordon::egress
