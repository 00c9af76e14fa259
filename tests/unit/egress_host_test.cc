// Host names as the egress policy compares them: one canonical text per
// destination, every odd byte and every ambiguous numeric form refused with
// the reason (THREATS.md: "NUL or odd bytes in a hostname", SSRF bypasses).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "egress/host.h"

namespace cordon::egress {
namespace {

using namespace std::string_literals;

struct Canon {
  std::string raw;
  std::string canonical;
};

TEST(EgressHost, CanonicalForms) {
  const Canon cases[] = {
      {"example.com", "example.com"},
      {"EXAMPLE.Com", "example.com"},
      {"example.com.", "example.com"},  // one trailing dot: the same name
      {"a-b.example.com", "a-b.example.com"},
      {"_dmarc.example.com", "_dmarc.example.com"},  // underscore is allowed
      {"a_b.example.com", "a_b.example.com"},
      {"localhost", "localhost"},
      {"r3---sn-4g5e6nsz.googlevideo.com", "r3---sn-4g5e6nsz.googlevideo.com"},  // "--" at 3-4
      {"0x7f.example.com", "0x7f.example.com"},  // a numeric-looking label, not the last
      {"123.example.com", "123.example.com"},
      {"example.com0", "example.com0"},
      {std::string(63, 'a') + ".com", std::string(63, 'a') + ".com"},
      // IDNA: UTS #46 mapping, then A-labels.
      {"Bücher.example", "xn--bcher-kva.example"},
      {"BÜCHER.example", "xn--bcher-kva.example"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
      {"straße.de", "xn--strae-oqa.de"},  // non-transitional: ß is kept, not "ss"
      {"例え.テスト", "xn--r8jz45g.xn--zckzah"},
      {"evil\xe3\x80\x82"
       "com",
       "evil.com"},  // U+3002 ideographic full stop
      {"evil\xef\xbc\x8e"
       "com",
       "evil.com"},  // U+FF0E fullwidth full stop
      {"evil\xef\xbd\xa1"
       "com",
       "evil.com"},                               // U+FF61 halfwidth ideographic full stop
      {"\xef\xbd\x85xample.com", "example.com"},  // fullwidth 'e'
      {"ⓔxample.com", "example.com"},
      {"example.com\xe3\x80\x82", "example.com"},  // a trailing ideographic dot is a trailing dot
      // Addresses: strict dotted decimal, IPv6 compressed lowercase.
      {"127.0.0.1", "127.0.0.1"},
      {"127.0.0.1.", "127.0.0.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1", "127.0.0.1"},  // fullwidth "127"
      {"::1", "::1"},
      {"[::1]", "::1"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"[0:0::1]", "::1"},
      {"2606:4700:0000:0000:0000:0000:0000:1111", "2606:4700::1111"},
      {"2606:4700::1111", "2606:4700::1111"},
      {"FE80::ABCD", "fe80::abcd"},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
      {"::FFFF:7F00:1", "::ffff:127.0.0.1"},
      {"[::ffff:169.254.169.254]", "::ffff:169.254.169.254"},
  };
  for (const auto& c : cases) {
    auto got = canonical_host(c.raw);
    ASSERT_TRUE(got.ok()) << c.raw << ": " << got.error().what();
    EXPECT_EQ(*got, c.canonical) << c.raw;
    // Canonical is a fixed point.
    auto again = canonical_host(*got);
    ASSERT_TRUE(again.ok()) << *got << ": " << again.error().what();
    EXPECT_EQ(*again, *got);
  }
}

struct Refusal {
  std::string raw;
  std::string message;
};

TEST(EgressHost, RefusalsSayWhy) {
  const std::string long_label(64, 'a');
  const std::string long_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                std::string(63, 'c') + "." + std::string(62, 'd');  // 254
  const Refusal cases[] = {
      {"", "host \"\": empty"},
      {".", "host \".\": empty name"},
      {"allowed.com\0.evil.com"s, "host \"allowed.com\\x00.evil.com\": NUL byte at offset 11"},
      {"\0"s, "host \"\\x00\": NUL byte at offset 0"},
      {"a\tb.com", "host \"a\\x09b.com\": control byte 0x09 at offset 1"},
      {"a.com\r\nX-Evil: 1", "host \"a.com\\x0d\\x0aX-Evil: 1\": control byte 0x0d at offset 5"},
      {"a\x7f.com", "host \"a\\x7f.com\": control byte 0x7f at offset 1"},
      {"a b.com", "host \"a b.com\": space at offset 1"},
      {" example.com", "host \" example.com\": space at offset 0"},
      {"a/b.com",
       "host \"a/b.com\": '/' is not allowed in a host name (letters, digits, '-', "
       "'_' and '.' are)"},
      {"a@b.com",
       "host \"a@b.com\": '@' is not allowed in a host name (letters, digits, '-', "
       "'_' and '.' are)"},
      {"a%2eb.com",
       "host \"a%2eb.com\": '%' is not allowed in a host name (letters, digits, "
       "'-', '_' and '.' are)"},
      {"*.example.com",
       "host \"*.example.com\": '*' is not allowed in a host name (letters, "
       "digits, '-', '_' and '.' are)"},
      {"a\\b.com",
       "host \"a\\x5cb.com\": '\\' is not allowed in a host name (letters, digits, "
       "'-', '_' and '.' are)"},
      // UTS #46 maps U+FF0F to '/': refused after the conversion.
      {"a\xef\xbc\x8f"
       "b.com",
       "host \"a\\xef\\xbc\\x8fb.com\": '/' is not allowed in a host "
       "name (letters, digits, '-', '_' and '.' are)"},
      {"a..b.com", "host \"a..b.com\": empty label (\"..\", or a leading dot)"},
      {".a.com", "host \".a.com\": empty label (\"..\", or a leading dot)"},
      {"a.com..", "host \"a.com..\": empty label (\"..\", or a leading dot)"},
      {long_label + ".com", "host \"" + long_label + ".com\": label of 64 bytes, more than 63"},
      {long_name, "host \"" + long_name.substr(0, 80) +
                      "...\": name is 254 bytes long, more "
                      "than 253"},
      {std::string(1025, 'a'), "host \"" + std::string(80, 'a') +
                                   "...\": 1025 bytes long, "
                                   "more than 1024"},
      {"-a.com", "host \"-a.com\": label \"-a\" starts or ends with '-'"},
      {"a-.com", "host \"a-.com\": label \"a-\" starts or ends with '-'"},
      {"a.-com", "host \"a.-com\": label \"-com\" starts or ends with '-'"},
      // A-labels must decode and be canonical.
      {"xn--zz.com",
       "host \"xn--zz.com\": label \"xn--zz\" is not a valid A-label (string "
       "contains invalid punycode data)"},
      {"xn--ls8h.la",
       "host \"xn--ls8h.la\": label \"xn--ls8h\" is not a valid A-label (string "
       "contains a disallowed character)"},
      {"\xf0\x9f\x92\xa9.la",
       "host \"\\xf0\\x9f\\x92\\xa9.la\": not a valid internationalised "
       "name (string contains a disallowed character)"},
      {"a\xe2\x80\xae"
       "b.com",
       "host \"a\\xe2\\x80\\xaeb.com\": not a valid internationalised "
       "name (string contains a disallowed character)"},  // RLO
      {"\xff.com", "host \"\\xff.com\": not valid UTF-8"},
      {"b\xc3\xbc\xc3"
       ".com",
       "host \"b\\xc3\\xbc\\xc3.com\": not valid UTF-8"},
      // Ambiguous numeric forms: each is 127.0.0.1 to inet_aton.
      {"2130706433",
       "host \"2130706433\": ambiguous numeric address: 1 part instead of 4 "
       "(inet_aton reads \"127.1\" as 127.0.0.1); write an IPv4 address as four "
       "decimal numbers 0-255 without leading zeros"},
      {"127.1",
       "host \"127.1\": ambiguous numeric address: 2 parts instead of 4 (inet_aton "
       "reads \"127.1\" as 127.0.0.1); write an IPv4 address as four decimal numbers "
       "0-255 without leading zeros"},
      {"127.0.1",
       "host \"127.0.1\": ambiguous numeric address: 3 parts instead of 4 (inet_aton "
       "reads \"127.1\" as 127.0.0.1); write an IPv4 address as four decimal numbers "
       "0-255 without leading zeros"},
      {"0x7f.1",
       "host \"0x7f.1\": ambiguous numeric address: \"0x7f\" is hexadecimal; write an "
       "IPv4 address as four decimal numbers 0-255 without leading zeros"},
      {"0x7f000001",
       "host \"0x7f000001\": ambiguous numeric address: \"0x7f000001\" is "
       "hexadecimal; write an IPv4 address as four decimal numbers 0-255 without "
       "leading zeros"},
      {"0X7F.0.0.1",
       "host \"0X7F.0.0.1\": ambiguous numeric address: \"0x7f\" is hexadecimal; "
       "write an IPv4 address as four decimal numbers 0-255 without leading zeros"},
      {"0177.0.0.1",
       "host \"0177.0.0.1\": ambiguous numeric address: \"0177\" has a leading "
       "zero (read as octal by inet_aton); write an IPv4 address as four decimal "
       "numbers 0-255 without leading zeros"},
      {"127.0.0.01",
       "host \"127.0.0.01\": ambiguous numeric address: \"01\" has a leading zero "
       "(read as octal by inet_aton); write an IPv4 address as four decimal "
       "numbers 0-255 without leading zeros"},
      {"256.0.0.1",
       "host \"256.0.0.1\": ambiguous numeric address: a part is larger than 255; "
       "write an IPv4 address as four decimal numbers 0-255 without leading zeros"},
      {"1.2.3.4.5",
       "host \"1.2.3.4.5\": ambiguous numeric address: 5 parts instead of 4 "
       "(inet_aton reads \"127.1\" as 127.0.0.1); write an IPv4 address as four "
       "decimal numbers 0-255 without leading zeros"},
      {"example.123",
       "host \"example.123\": ambiguous numeric address: the last label is a "
       "number, which makes it an address to URL parsers; write an IPv4 address "
       "as four decimal numbers 0-255 without leading zeros"},
      {"example.0x1f",
       "host \"example.0x1f\": ambiguous numeric address: \"0x1f\" is "
       "hexadecimal; write an IPv4 address as four decimal numbers 0-255 without "
       "leading zeros"},
      {"1.2.3.4..", "host \"1.2.3.4..\": empty label (\"..\", or a leading dot)"},
      // IPv6: brackets must pair, no zone id, a valid address.
      {"[::1", "host \"[::1\": '[' without a closing ']'"},
      {"[", "host \"[\": '[' without a closing ']'"},
      {"[]", "host \"[]\": not a valid IPv6 address"},
      {"[127.0.0.1]", "host \"[127.0.0.1]\": not a valid IPv6 address"},
      {"fe80::1%eth0", "host \"fe80::1%eth0\": IPv6 zone ids (\"%eth0\") are not allowed"},
      {"[fe80::1%25eth0]", "host \"[fe80::1%25eth0]\": IPv6 zone ids (\"%eth0\") are not allowed"},
      {"1::2::3", "host \"1::2::3\": not a valid IPv6 address"},
      {"example.com:443", "host \"example.com:443\": not a valid IPv6 address"},
      {"::ffff:127.0.0.01", "host \"::ffff:127.0.0.01\": not a valid IPv6 address"},
      {"::ffff:127.1", "host \"::ffff:127.1\": not a valid IPv6 address"},
      // A fullwidth colon maps to ':', which no name holds.
      {"\xef\xbc\x9a\xef\xbc\x9a"
       "1",
       "host \"\\xef\\xbc\\x9a\\xef\\xbc\\x9a1\": ':' is not "
       "allowed in a host name (letters, digits, '-', '_' and "
       "'.' are)"},
  };
  for (const auto& c : cases) {
    auto got = canonical_host(c.raw);
    ASSERT_FALSE(got.ok()) << "accepted: " << c.raw << " -> " << got.value();
    EXPECT_EQ(got.error().message, c.message);
    EXPECT_EQ(got.error().err, 0);
  }
}

TEST(EgressHost, NameOfExactly253BytesIsAccepted) {
  const std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                           std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(name.size(), 253u);
  auto got = canonical_host(name + ".");
  ASSERT_TRUE(got.ok()) << got.error().what();
  EXPECT_EQ(*got, name);
}

TEST(EgressHost, ControlBytesAreRefusedWhereverTheyAre) {
  for (int c = 0; c < 0x20; ++c) {
    std::string raw = "a" + std::string(1, static_cast<char>(c)) + "b.com";
    EXPECT_FALSE(canonical_host(raw).ok()) << c;
    raw = "bücher" + std::string(1, static_cast<char>(c)) + ".example";
    EXPECT_FALSE(canonical_host(raw).ok()) << c;
  }
}

TEST(EgressHost, IsIpLiteral) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_ip_literal("example.com"));
  EXPECT_FALSE(is_ip_literal("[::1]"));  // canonical forms have no brackets
  EXPECT_FALSE(is_ip_literal("127.1"));
  EXPECT_FALSE(is_ip_literal(""));
}

TEST(EgressHost, PatternsAreCanonicalised) {
  EXPECT_EQ(*canonical_pattern("*.Example.COM."), "*.example.com");
  EXPECT_EQ(*canonical_pattern("*.bücher.example"), "*.xn--bcher-kva.example");
  EXPECT_EQ(*canonical_pattern("GitHub.com"), "github.com");
  EXPECT_EQ(*canonical_pattern("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(*canonical_pattern("[::1]"), "::1");

  const Refusal cases[] = {
      {"*", "host pattern \"*\": allowing every host is not a pattern"},
      {"*.", "host \"\": empty"},
      {"*.*.example.com",
       "host pattern \"*.*.example.com\": '*' is allowed only as a whole "
       "first label (\"*.example.com\")"},
      {"a.*.com",
       "host pattern \"a.*.com\": '*' is allowed only as a whole first label "
       "(\"*.example.com\")"},
      {"*example.com",
       "host pattern \"*example.com\": '*' is allowed only as a whole first "
       "label (\"*.example.com\")"},
      {"*.127.0.0.1", "host pattern \"*.127.0.0.1\": a wildcard cannot apply to an address"},
      {"*.0.1",
       "host \"0.1\": ambiguous numeric address: 2 parts instead of 4 (inet_aton reads "
       "\"127.1\" as 127.0.0.1); write an IPv4 address as four decimal numbers 0-255 "
       "without leading zeros"},
      {"*.a\0b.com"s, "host \"a\\x00b.com\": NUL byte at offset 1"},
  };
  for (const auto& c : cases) {
    auto got = canonical_pattern(c.raw);
    ASSERT_FALSE(got.ok()) << "accepted: " << c.raw << " -> " << got.value();
    EXPECT_EQ(got.error().message, c.message);
  }
}

struct Match {
  std::string_view pattern;
  std::string_view host;
  bool matches;
};

TEST(EgressHost, WildcardMatchesStrictSubdomainsOnly) {
  const Match cases[] = {
      {"example.com", "example.com", true},
      {"example.com", "www.example.com", false},  // exact is exact
      {"example.com", "example.com.evil", false},
      {"*.example.com", "a.example.com", true},
      {"*.example.com", "a.b.example.com", true},
      // sandbox-runtime's convention: the wildcard does not cover the domain
      // itself; list both when both are meant.
      {"*.example.com", "example.com", false},
      {"*.example.com", "badexample.com", false},  // suffix on a label boundary only
      {"*.example.com", "example.com.evil.com", false},
      {"*.example.com", ".example.com", false},  // not canonical; never reaches here
      {"*.com", "example.com", true},
      {"*.0.1", "127.0.0.1", false},  // a wildcard never matches an address
      {"*.1", "::ffff:10.0.0.1", false},
      {"127.0.0.1", "127.0.0.1", true},
      {"::1", "::1", true},
      {"", "", false},
      {"*.", "a.", false},
      {"*", "example.com", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(host_matches(c.pattern, c.host), c.matches) << c.pattern << " vs " << c.host;
  }
}

}  // namespace
}  // namespace cordon::egress
