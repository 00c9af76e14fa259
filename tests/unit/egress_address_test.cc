// The address policy after resolution (THREATS.md: DNS rebinding to
// loopback and metadata, IPv6 and IPv4-mapped forms). Pure: nothing is sent
// to any of these addresses.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <string_view>

#include "egress/address.h"

namespace cordon::egress {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

struct Classified {
  std::string_view text;
  Range range;
};

TEST(EgressAddress, RangesOfEveryFamilyAndForm) {
  const Classified cases[] = {
      // Public stays public, in both families and through the embeddings.
      {"8.8.8.8", Range::Public},
      {"1.1.1.1", Range::Public},
      {"93.184.216.34", Range::Public},
      {"2606:4700::1111", Range::Public},
      {"2001:4860:4860::8888", Range::Public},
      {"::ffff:8.8.8.8", Range::Public},
      {"64:ff9b::808:808", Range::Public},
      {"2002:808:808::1", Range::Public},
      // Loopback, and every IPv6 form that carries 127.0.0.1.
      {"127.0.0.1", Range::Loopback},
      {"127.255.255.254", Range::Loopback},
      {"::1", Range::Loopback},
      {"::ffff:127.0.0.1", Range::Loopback},     // mapped
      {"::ffff:7f00:1", Range::Loopback},        // mapped, hex
      {"::127.0.0.1", Range::Loopback},          // compatible
      {"::7f00:1", Range::Loopback},             // compatible, hex
      {"::ffff:0:127.0.0.1", Range::Loopback},   // translated (SIIT)
      {"64:ff9b::127.0.0.1", Range::Loopback},   // NAT64
      {"64:ff9b::7f00:1", Range::Loopback},      // NAT64, hex
      {"2002:7f00:1::", Range::Loopback},        // 6to4
      {"2002:7f00:1:abcd::1", Range::Loopback},  // 6to4 with subnet and host
      // Cloud metadata, and every IPv6 form that carries it.
      {"169.254.169.254", Range::LinkLocal},
      {"169.254.0.1", Range::LinkLocal},
      {"::ffff:169.254.169.254", Range::LinkLocal},
      {"::ffff:a9fe:a9fe", Range::LinkLocal},
      {"::169.254.169.254", Range::LinkLocal},
      {"::ffff:0:a9fe:a9fe", Range::LinkLocal},
      {"64:ff9b::169.254.169.254", Range::LinkLocal},
      {"64:ff9b::a9fe:a9fe", Range::LinkLocal},
      {"2002:a9fe:a9fe::", Range::LinkLocal},
      {"2002:a9fe:a9fe:1::2", Range::LinkLocal},
      {"fd00:ec2::254", Range::Private},  // AWS's IPv6 metadata endpoint (unique local)
      {"fe80::1", Range::LinkLocal},
      {"fe80::a9fe:a9fe", Range::LinkLocal},
      {"febf:ffff::1", Range::LinkLocal},
      // Private.
      {"10.0.0.1", Range::Private},
      {"10.255.255.255", Range::Private},
      {"172.16.0.0", Range::Private},
      {"172.31.255.255", Range::Private},
      {"192.168.1.1", Range::Private},
      {"::ffff:10.1.2.3", Range::Private},
      {"::ffff:192.168.0.1", Range::Private},
      {"64:ff9b::a00:1", Range::Private},
      {"2002:c0a8:101::1", Range::Private},
      {"fc00::1", Range::Private},
      {"fd12:3456::1", Range::Private},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Range::Private},
      {"fec0::1", Range::Private},  // deprecated site-local
      // Around the edges of the private ranges.
      {"9.255.255.255", Range::Public},
      {"11.0.0.0", Range::Public},
      {"172.15.255.255", Range::Public},
      {"172.32.0.0", Range::Public},
      {"192.167.255.255", Range::Public},
      {"192.169.0.0", Range::Public},
      {"169.253.255.255", Range::Public},
      {"169.255.0.0", Range::Public},
      {"126.255.255.255", Range::Public},
      {"128.0.0.0", Range::Public},
      {"fbff:ffff::1", Range::Reserved},  // outside 2000::/3, not fc00::/7 either
      // CGNAT.
      {"100.64.0.0", Range::Cgnat},
      {"100.127.255.255", Range::Cgnat},
      {"::ffff:100.64.0.1", Range::Cgnat},
      {"100.63.255.255", Range::Public},
      {"100.128.0.0", Range::Public},
      // Multicast.
      {"224.0.0.1", Range::Multicast},
      {"239.255.255.250", Range::Multicast},
      {"ff02::1", Range::Multicast},
      {"ff05::1:3", Range::Multicast},
      {"::ffff:224.0.0.251", Range::Multicast},
      {"223.255.255.255", Range::Public},
      // Unspecified: connect() to 0.0.0.0 reaches this host on Linux.
      {"0.0.0.0", Range::Unspecified},
      {"0.1.2.3", Range::Unspecified},
      {"::", Range::Unspecified},
      {"::ffff:0.0.0.0", Range::Unspecified},
      {"::2", Range::Unspecified},  // compatible form of 0.0.0.2
      {"64:ff9b::", Range::Unspecified},
      // Broadcast and reserved.
      {"255.255.255.255", Range::Broadcast},
      {"::ffff:255.255.255.255", Range::Broadcast},
      {"255.255.255.254", Range::Reserved},
      {"240.0.0.1", Range::Reserved},
      {"192.0.0.170", Range::Reserved},
      {"192.0.2.1", Range::Reserved},
      {"198.18.0.1", Range::Reserved},
      {"198.19.255.255", Range::Reserved},
      {"198.20.0.0", Range::Public},
      {"198.51.100.7", Range::Reserved},
      {"203.0.113.9", Range::Reserved},
      {"192.88.99.1", Range::Reserved},
      {"2001:db8::1", Range::Reserved},
      {"3fff::1", Range::Reserved},
      {"2001::1", Range::Reserved},  // Teredo hides an IPv4 address in its last 32 bits
      {"2001:0:4136:e378:8000:63bf:80ff:fffe", Range::Reserved},
      {"2001:10::1", Range::Reserved},
      {"2001:20::1", Range::Reserved},
      {"64:ff9b:1::7f00:1", Range::Reserved},  // local-use NAT64: the embedding varies
      {"100::1", Range::Reserved},             // discard
      {"::1:0:0:1", Range::Reserved},
      {"4000::1", Range::Reserved},
      {"e000::1", Range::Reserved},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(range_name(classify(*a)), range_name(c.range)) << c.text;
  }
}

TEST(EgressAddress, UnknownFamilyIsReserved) {
  IpAddress none;
  EXPECT_EQ(classify(none), Range::Reserved);
  sockaddr sa{};
  sa.sa_family = AF_UNIX;
  EXPECT_EQ(IpAddress::from_sockaddr(&sa).family, AF_UNSPEC);
  EXPECT_EQ(IpAddress::from_sockaddr(nullptr).family, AF_UNSPEC);
}

TEST(EgressAddress, RangeNames) {
  EXPECT_EQ(range_name(Range::Public), "public");
  EXPECT_EQ(range_name(Range::Loopback), "loopback");
  EXPECT_EQ(range_name(Range::Private), "private");
  EXPECT_EQ(range_name(Range::LinkLocal), "link-local");
  EXPECT_EQ(range_name(Range::Cgnat), "CGNAT");
  EXPECT_EQ(range_name(Range::Multicast), "multicast");
  EXPECT_EQ(range_name(Range::Unspecified), "unspecified");
  EXPECT_EQ(range_name(Range::Broadcast), "broadcast");
  EXPECT_EQ(range_name(Range::Reserved), "reserved");
}

TEST(EgressAddress, ParseIsStrict) {
  const std::string_view refused[] = {
      "",
      "127.1",
      "127.0.1",
      "2130706433",
      "0x7f.0.0.1",
      "0177.0.0.1",
      "127.0.0.01",
      "256.0.0.1",
      "1.2.3.4.",
      ".1.2.3.4",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.4\n",
      "1..2.3",
      "1.2.3.-4",
      "+1.2.3.4",
      "1.2.3.4/32",
      "[::1]",
      "fe80::1%eth0",
      "::1 ",
      "1::2::3",
      ":::",
      "::ffff:127.1",
      "::ffff:127.0.0.01",
      "12345::1",
      "g::1",
      "example.com",
      "1.2.3.4:80",
      "::ffff:1.2.3.4.5",
  };
  for (auto text : refused) EXPECT_FALSE(IpAddress::parse(text).has_value()) << text;
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string_view("::1\0", 4)).has_value());
}

TEST(EgressAddress, TextRoundTrips) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"127.0.0.1", "127.0.0.1"},         {"0.0.0.0", "0.0.0.0"},
      {"0:0:0:0:0:0:0:1", "::1"},         {"2606:4700:0:0:0:0:0:1111", "2606:4700::1111"},
      {"FD00:EC2::254", "fd00:ec2::254"}, {"::ffff:7f00:1", "::ffff:127.0.0.1"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(ip(in).str(), out);
    EXPECT_EQ(ip(out).str(), out);
  }
  EXPECT_EQ(ip("10.1.2.3").family, AF_INET);
  EXPECT_EQ(ip("::1").family, AF_INET6);
}

TEST(EgressAddress, SockaddrRoundTrips) {
  for (std::string_view text : {"169.254.169.254", "2606:4700::1111", "::ffff:127.0.0.1"}) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    IpAddress a = ip(text);
    a.to_sockaddr(8443, &ss, &len);
    EXPECT_EQ(len, a.family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    EXPECT_EQ(ss.ss_family, a.family);
    IpAddress back = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss));
    EXPECT_EQ(back, a) << text;
    uint16_t port = a.family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                        : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port;
    EXPECT_EQ(ntohs(port), 8443);
  }
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "10.9.8.7", &in.sin_addr);
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&in)).str(), "10.9.8.7");
}

TEST(EgressAddress, EmbeddedAndUnmapped) {
  EXPECT_EQ(ip("::ffff:1.2.3.4").embedded_ipv4()->str(), "1.2.3.4");
  EXPECT_EQ(ip("::1.2.3.4").embedded_ipv4()->str(), "1.2.3.4");
  EXPECT_EQ(ip("::ffff:0:1.2.3.4").embedded_ipv4()->str(), "1.2.3.4");
  EXPECT_EQ(ip("64:ff9b::1.2.3.4").embedded_ipv4()->str(), "1.2.3.4");
  EXPECT_EQ(ip("2002:102:304::").embedded_ipv4()->str(), "1.2.3.4");
  EXPECT_FALSE(ip("::").embedded_ipv4().has_value());
  EXPECT_FALSE(ip("::1").embedded_ipv4().has_value());
  EXPECT_FALSE(ip("1.2.3.4").embedded_ipv4().has_value());
  EXPECT_FALSE(ip("2606:4700::1111").embedded_ipv4().has_value());
  EXPECT_EQ(ip("::ffff:1.2.3.4").unmapped(), ip("1.2.3.4"));
  EXPECT_EQ(ip("::1.2.3.4").unmapped(), ip("::1.2.3.4"));  // only the mapped form
  EXPECT_EQ(ip("1.2.3.4").unmapped(), ip("1.2.3.4"));
}

TEST(EgressAddress, CidrParseAndContains) {
  auto net = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(net.ok()) << net.error().what();
  EXPECT_EQ(net->str(), "10.0.0.0/8");
  EXPECT_TRUE(net->contains(ip("10.0.0.1")));
  EXPECT_TRUE(net->contains(ip("10.255.255.255")));
  EXPECT_FALSE(net->contains(ip("11.0.0.0")));
  EXPECT_TRUE(net->contains(ip("::ffff:10.1.2.3")));  // mapped counts as its IPv4
  EXPECT_FALSE(net->contains(ip("::10.1.2.3")));      // other embeddings do not
  EXPECT_FALSE(net->contains(ip("64:ff9b::a01:203")));
  EXPECT_FALSE(net->contains(ip("a00::1")));

  auto one = Cidr::parse("169.254.169.254");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->str(), "169.254.169.254/32");
  EXPECT_TRUE(one->contains(ip("169.254.169.254")));
  EXPECT_FALSE(one->contains(ip("169.254.169.253")));

  auto odd = Cidr::parse("172.16.0.0/12");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->contains(ip("172.31.255.255")));
  EXPECT_FALSE(odd->contains(ip("172.32.0.0")));

  auto v6 = Cidr::parse("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->contains(ip("fd00:ec2::254")));
  EXPECT_FALSE(v6->contains(ip("fc00::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));

  auto mapped = Cidr::parse("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(mapped->contains(ip("10.2.3.4")));  // an IPv4 address compared as mapped

  auto all4 = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all4.ok());
  EXPECT_TRUE(all4->contains(ip("127.0.0.1")));
  EXPECT_FALSE(all4->contains(ip("::1")));
  auto all6 = Cidr::parse("::/0");
  ASSERT_TRUE(all6.ok());
  EXPECT_TRUE(all6->contains(ip("::1")));

  auto host6 = Cidr::parse("::1");
  ASSERT_TRUE(host6.ok());
  EXPECT_EQ(host6->str(), "::1/128");
}

TEST(EgressAddress, CidrRefusalsSayWhy) {
  const std::string syntax =
      "expected an IPv4 address (four decimal numbers 0-255, no leading zeros) or an IPv6 "
      "address, optionally followed by /prefix";
  const std::pair<std::string_view, std::string> cases[] = {
      {"", "address range \"\": " + syntax},
      {"10/8", "address range \"10/8\": " + syntax},
      {"010.0.0.0/8", "address range \"010.0.0.0/8\": " + syntax},
      {"example.com/24", "address range \"example.com/24\": " + syntax},
      {"[::1]/128", "address range \"[::1]/128\": " + syntax},
      {"10.0.0.0/", "address range \"10.0.0.0/\": expected a prefix length 0-32 after '/'"},
      {"10.0.0.0/08", "address range \"10.0.0.0/08\": expected a prefix length 0-32 after '/'"},
      {"10.0.0.0/1234",
       "address range \"10.0.0.0/1234\": expected a prefix length 0-32 after "
       "'/'"},
      {"10.0.0.0/+8", "address range \"10.0.0.0/+8\": expected a prefix length 0-32 after '/'"},
      {"10.0.0.0/8/8",
       "address range \"10.0.0.0/8/8\": expected a prefix length 0-32 after "
       "'/'"},
      {"10.0.0.0/33", "address range \"10.0.0.0/33\": prefix length 33 is more than 32"},
      {"::/129", "address range \"::/129\": prefix length 129 is more than 128"},
      {"10.0.0.1/8",
       "address range \"10.0.0.1/8\": has bits set after the prefix; write "
       "10.0.0.0/8 for the range or 10.0.0.1 for the one address"},
      {"fd00::1/8",
       "address range \"fd00::1/8\": has bits set after the prefix; write fd00::/8 "
       "for the range or fd00::1 for the one address"},
  };
  for (const auto& [text, message] : cases) {
    auto got = Cidr::parse(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.error().message, message);
  }
}

}  // namespace
}  // namespace cordon::egress
