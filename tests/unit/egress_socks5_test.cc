// SOCKS5 messages (RFC 1928) read incrementally: every prefix of a valid
// message is Incomplete, every malformed one Invalid with the reason, and a
// name is handed on raw for canonical_host to judge (THREATS.md: "a plain
// HTTP or SOCKS path skipping the check").
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "egress/host.h"
#include "egress/socks5.h"

namespace cordon::egress {
namespace {

using namespace std::string_literals;

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

TEST(EgressSocks5, Greeting) {
  std::string msg = bytes({5, 2, 0, 2});
  for (size_t n = 0; n < msg.size(); ++n) {
    Greeting g;
    std::string error;
    EXPECT_EQ(parse_greeting(msg.substr(0, n), &g, &error), Parse::Incomplete) << n;
  }
  Greeting g;
  std::string error;
  ASSERT_EQ(parse_greeting(msg + "trailing", &g, &error), Parse::Complete) << error;
  EXPECT_EQ(g.size, 4u);
  EXPECT_EQ(g.methods, (std::vector<uint8_t>{0, 2}));

  std::string all = bytes({5, 255});
  for (int m = 0; m < 255; ++m) all += static_cast<char>(m);
  ASSERT_EQ(parse_greeting(all, &g, &error), Parse::Complete);
  EXPECT_EQ(g.size, 257u);
  EXPECT_EQ(g.methods.size(), 255u);
}

TEST(EgressSocks5, GreetingRefusalsSayWhy) {
  const std::pair<std::string, std::string_view> cases[] = {
      {bytes({4}), "SOCKS version 4 (byte 0x04); only SOCKS5 is served"},
      {bytes({4, 1, 0, 80, 127, 0, 0, 1, 0}), "SOCKS version 4 (byte 0x04); only SOCKS5 is served"},
      {"GET / HTTP/1.1\r\n", "SOCKS version 71 (byte 0x47); only SOCKS5 is served"},
      {"\x16\x03\x01"s, "SOCKS version 22 (byte 0x16); only SOCKS5 is served"},
      {bytes({0}), "SOCKS version 0 (byte 0x00); only SOCKS5 is served"},
      {bytes({5, 0}), "SOCKS5 greeting offers no authentication method"},
  };
  for (const auto& [buf, reason] : cases) {
    Greeting g;
    std::string error;
    EXPECT_EQ(parse_greeting(buf, &g, &error), Parse::Invalid);
    EXPECT_EQ(error, reason);
  }
  Greeting g;
  EXPECT_EQ(parse_greeting(bytes({6}), &g, nullptr), Parse::Invalid);  // error is optional
}

struct Good {
  std::string buf;
  uint8_t command;
  bool by_name;
  std::string host;
  uint16_t port;
};

TEST(EgressSocks5, Requests) {
  const Good cases[] = {
      {bytes({5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90}), kSocksConnect, false, "127.0.0.1", 8080},
      {bytes({5, 1, 0, 1, 169, 254, 169, 254, 0, 80}), kSocksConnect, false, "169.254.169.254", 80},
      {bytes({5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1, 1, 0xbb}),
       kSocksConnect, false, "::ffff:127.0.0.1", 443},
      {bytes({5, 1, 0, 4, 0x26, 0x06, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11, 1, 0xbb}),
       kSocksConnect, false, "2606:4700::1111", 443},
      {bytes({5, 1, 0, 3, 11}) + "example.com" + bytes({1, 0xbb}), kSocksConnect, true,
       "example.com", 443},
      {bytes({5, 1, 0, 3, 1, 'a', 0, 0}), kSocksConnect, true, "a", 0},
      {bytes({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}), kSocksBind, false, "0.0.0.0", 0},
      {bytes({5, 3, 0, 1, 0, 0, 0, 0, 0, 0}), kSocksUdpAssociate, false, "0.0.0.0", 0},
      {bytes({5, 9, 0, 1, 1, 2, 3, 4, 0, 1}), 9, false, "1.2.3.4", 1},  // refused by the engine
  };
  for (const auto& c : cases) {
    for (size_t n = 0; n < c.buf.size(); ++n) {
      SocksRequest r;
      std::string error;
      EXPECT_EQ(parse_request(c.buf.substr(0, n), &r, &error), Parse::Incomplete)
          << c.host << " at " << n << ": " << error;
    }
    SocksRequest r;
    std::string error;
    ASSERT_EQ(parse_request(c.buf + "payload", &r, &error), Parse::Complete) << error;
    EXPECT_EQ(r.command, c.command);
    EXPECT_EQ(r.by_name, c.by_name);
    EXPECT_EQ(r.host, c.host);
    EXPECT_EQ(r.port, c.port);
    EXPECT_EQ(r.size, c.buf.size());
  }
}

TEST(EgressSocks5, NamesArePassedOnRawForCanonicalHostToRefuse) {
  std::string name = "allowed.com\0.evil.com"s;
  std::string buf = bytes({5, 1, 0, 3, static_cast<int>(name.size())}) + name + bytes({0, 80});
  SocksRequest r;
  std::string error;
  ASSERT_EQ(parse_request(buf, &r, &error), Parse::Complete) << error;
  EXPECT_TRUE(r.by_name);
  EXPECT_EQ(r.host, name);  // NUL and all
  auto canonical = canonical_host(r.host);
  ASSERT_FALSE(canonical.ok());
  EXPECT_EQ(canonical.error().message, "host \"allowed.com\\x00.evil.com\": NUL byte at offset 11");

  // A 255-byte name, the most a SOCKS5 request can hold.
  std::string big(255, 'a');
  buf = bytes({5, 1, 0, 3, 255}) + big + bytes({0, 80});
  ASSERT_EQ(parse_request(buf, &r, &error), Parse::Complete);
  EXPECT_EQ(r.host, big);
  EXPECT_EQ(r.size, 262u);
}

TEST(EgressSocks5, RequestRefusalsSayWhy) {
  struct Bad {
    std::string buf;
    std::string_view reason;
    uint8_t reply;
  };
  const Bad cases[] = {
      {bytes({4, 1, 0, 80}), "SOCKS version 4 (byte 0x04); only SOCKS5 is served",
       kSocksGeneralFailure},
      {bytes({5, 1, 1}), "SOCKS5 request with reserved byte 0x01 (must be 0)",
       kSocksGeneralFailure},
      {bytes({5, 1, 0, 3, 0, 0, 80}), "SOCKS5 request with an empty host name",
       kSocksGeneralFailure},
      {bytes({5, 1, 0, 3, 0}), "SOCKS5 request with an empty host name", kSocksGeneralFailure},
      {bytes({5, 1, 0, 2, 1, 2, 3, 4, 0, 80}), "SOCKS5 request with unknown address type 2",
       kSocksAddressTypeNotSupported},
      {bytes({5, 1, 0, 0}), "SOCKS5 request with unknown address type 0",
       kSocksAddressTypeNotSupported},
      {bytes({5, 1, 0, 255}), "SOCKS5 request with unknown address type 255",
       kSocksAddressTypeNotSupported},
  };
  for (const auto& c : cases) {
    SocksRequest r;
    std::string error;
    EXPECT_EQ(parse_request(c.buf, &r, &error), Parse::Invalid);
    EXPECT_EQ(error, c.reason);
    EXPECT_EQ(r.failure_reply, c.reply);
  }
}

TEST(EgressSocks5, Replies) {
  EXPECT_EQ(socks_method_reply(kSocksMethodNoAuth), bytes({5, 0}));
  EXPECT_EQ(socks_method_reply(kSocksMethodNoAcceptable), bytes({5, 0xff}));
  EXPECT_EQ(socks_reply(kSocksSucceeded), bytes({5, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks_reply(kSocksNotAllowed), bytes({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks_reply(kSocksCommandNotSupported), bytes({5, 7, 0, 1, 0, 0, 0, 0, 0, 0}));
  // The codes RFC 1928 section 6 assigns.
  EXPECT_EQ(kSocksSucceeded, 0);
  EXPECT_EQ(kSocksGeneralFailure, 1);
  EXPECT_EQ(kSocksNotAllowed, 2);
  EXPECT_EQ(kSocksNetworkUnreachable, 3);
  EXPECT_EQ(kSocksHostUnreachable, 4);
  EXPECT_EQ(kSocksConnectionRefused, 5);
  EXPECT_EQ(kSocksTtlExpired, 6);
  EXPECT_EQ(kSocksCommandNotSupported, 7);
  EXPECT_EQ(kSocksAddressTypeNotSupported, 8);
}

}  // namespace
}  // namespace cordon::egress
