// The SNI of a TLS ClientHello, read without terminating TLS (THREATS.md:
// domain fronting, CONNECT allowed.com then SNI evil.com). Real ClientHellos
// come from OpenSSL writing into a memory BIO (nothing is sent anywhere);
// malformed ones are built by hand.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "egress/tls.h"

namespace cordon::egress {
namespace {

using namespace std::string_literals;

// ---- real ClientHellos ----------------------------------------------------------

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// The first flight of an OpenSSL client: SSL_connect once into a memory BIO.
std::string openssl_client_hello(const char* sni, int max_version = 0) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl.get(), sni);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);  // ssl owns both now
  int rc = SSL_connect(ssl.get());
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(SSL_get_error(ssl.get(), rc), SSL_ERROR_WANT_READ);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  return {data, static_cast<size_t>(len)};
}

TEST(EgressTls, RealClientHelloFromOpenSsl) {
  for (int version : {0, TLS1_2_VERSION, TLS1_3_VERSION}) {
    std::string hello = openssl_client_hello("api.example.com", version);
    ASSERT_GT(hello.size(), 50u);
    Sni sni = parse_client_hello_sni(hello);
    EXPECT_EQ(sni.status, Sni::Found) << sni.detail;
    EXPECT_EQ(sni.host, "api.example.com");
    EXPECT_EQ(sni.size, hello.size());
    EXPECT_FALSE(sni.ech);
  }
}

TEST(EgressTls, RealClientHelloWithoutSni) {
  Sni sni = parse_client_hello_sni(openssl_client_hello(nullptr));
  EXPECT_EQ(sni.status, Sni::NoSni) << sni.detail;
  EXPECT_EQ(sni.host, "");
}

TEST(EgressTls, EveryPrefixIsIncomplete) {
  std::string hello = openssl_client_hello("example.com");
  for (size_t n = 0; n < hello.size(); ++n) {
    Sni sni = parse_client_hello_sni(std::string_view(hello).substr(0, n));
    ASSERT_EQ(sni.status, Sni::Incomplete) << n << ": " << sni.detail;
  }
}

TEST(EgressTls, BytesAfterTheClientHelloAreNotItsConcern) {
  std::string hello = openssl_client_hello("example.com");
  // Early data or anything else the client sends next.
  Sni sni = parse_client_hello_sni(hello + "\x17\x03\x03\x00\x05hello"s);
  EXPECT_EQ(sni.status, Sni::Found);
  EXPECT_EQ(sni.host, "example.com");
  EXPECT_EQ(sni.size, hello.size());
}

// Splits the handshake message of a one-record ClientHello into records of
// at most `chunk` bytes.
std::string refragment(std::string_view one_record, size_t chunk) {
  std::string_view message = one_record.substr(5);
  std::string out;
  for (size_t at = 0; at < message.size(); at += chunk) {
    size_t n = std::min(chunk, message.size() - at);
    out += "\x16\x03\x01"s;
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
    out += message.substr(at, n);
  }
  return out;
}

TEST(EgressTls, ClientHelloFragmentedOverRecords) {
  std::string hello = openssl_client_hello("fragmented.example.com");
  size_t message = hello.size() - 5;
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{64}, size_t{100},
                       message / 2, message - 1}) {
    std::string records = refragment(hello, chunk);
    size_t count = (message + chunk - 1) / chunk;
    Sni sni = parse_client_hello_sni(records);
    if (count <= kMaxClientHelloRecords) {
      EXPECT_EQ(sni.status, Sni::Found) << chunk << ": " << sni.detail;
      EXPECT_EQ(sni.host, "fragmented.example.com");
      for (size_t n = 0; n < records.size(); ++n) {
        ASSERT_EQ(parse_client_hello_sni(std::string_view(records).substr(0, n)).status,
                  Sni::Incomplete)
            << chunk << " at " << n;
      }
    } else {
      EXPECT_EQ(sni.status, Sni::Invalid) << chunk;
      EXPECT_EQ(sni.detail, "ClientHello fragmented into more than 32 records");
    }
  }
}

// ---- hand-made ClientHellos ------------------------------------------------------

std::string u16(size_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
std::string u24(size_t v) {
  return {static_cast<char>(v >> 16), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

std::string extension(uint16_t type, std::string_view data) {
  return u16(type) + u16(data.size()) + std::string(data);
}
std::string server_name_data(std::string_view host, uint8_t type = 0) {
  std::string entry =
      std::string(1, static_cast<char>(type)) + u16(host.size()) + std::string(host);
  return u16(entry.size()) + entry;
}
std::string sni_extension(std::string_view host) { return extension(0, server_name_data(host)); }

struct Hello {
  std::string version = "\x03\x03";
  std::string random = std::string(32, 'r');
  std::string session_id = std::string(32, 's');
  std::string suites = "\x13\x01\x13\x02"s;
  std::string compression = "\x00"s;
  std::vector<std::string> extensions;
  bool no_extensions = false;
  std::string trailing;  // after the extensions, inside the body
};

std::string body(const Hello& h) {
  std::string b = h.version + h.random;
  b += static_cast<char>(h.session_id.size());
  b += h.session_id;
  b += u16(h.suites.size()) + h.suites;
  b += static_cast<char>(h.compression.size());
  b += h.compression;
  if (!h.no_extensions) {
    std::string all;
    for (const auto& e : h.extensions) all += e;
    b += u16(all.size()) + all;
  }
  return b + h.trailing;
}

std::string message(std::string_view b, uint8_t type = 1) {
  return std::string(1, static_cast<char>(type)) + u24(b.size()) + std::string(b);
}

std::string record(std::string_view m, uint8_t type = 22) {
  return std::string(1, static_cast<char>(type)) + "\x03\x01"s + u16(m.size()) + std::string(m);
}

std::string hello_with(std::vector<std::string> extensions) {
  Hello h;
  h.extensions = std::move(extensions);
  return record(message(body(h)));
}

TEST(EgressTls, HandMadeWellFormed) {
  Sni sni = parse_client_hello_sni(
      hello_with({extension(10, u16(2) + u16(29)), sni_extension("hand.example.com"),
                  extension(43, "\x02\x03\x04"s)}));
  EXPECT_EQ(sni.status, Sni::Found) << sni.detail;
  EXPECT_EQ(sni.host, "hand.example.com");

  sni = parse_client_hello_sni(hello_with({}));
  EXPECT_EQ(sni.status, Sni::NoSni) << sni.detail;

  Hello old;  // TLS 1.0-style: no extensions block at all
  old.no_extensions = true;
  old.session_id.clear();
  sni = parse_client_hello_sni(record(message(body(old))));
  EXPECT_EQ(sni.status, Sni::NoSni) << sni.detail;

  // The host comes back as sent; canonical_host judges it.
  sni = parse_client_hello_sni(hello_with({sni_extension("allowed.com\0.evil.com"s)}));
  EXPECT_EQ(sni.status, Sni::Found);
  EXPECT_EQ(sni.host, "allowed.com\0.evil.com"s);
  sni = parse_client_hello_sni(hello_with({sni_extension("EVIL.com.")}));
  EXPECT_EQ(sni.host, "EVIL.com.");
}

TEST(EgressTls, EncryptedClientHelloGivesTheOuterName) {
  Sni sni = parse_client_hello_sni(
      hello_with({sni_extension("public.example.net"), extension(0xfe0d, std::string(40, 'e'))}));
  EXPECT_EQ(sni.status, Sni::Found) << sni.detail;
  EXPECT_EQ(sni.host, "public.example.net");
  EXPECT_TRUE(sni.ech);
}

struct Bad {
  std::string name;
  std::string buf;
  Sni::Status status;
  std::string detail;
};

TEST(EgressTls, MalformedClientHellosSayWhy) {
  const std::string good_body = body(Hello{.extensions = {sni_extension("a.example")}});
  Hello h;
  std::vector<Bad> cases;
  cases.push_back({"plain HTTP", "GET / HTTP/1.1\r\n", Sni::NotTls,
                   "first byte 0x47 is not a TLS handshake record"});
  cases.push_back({"SSLv2 hello", "\x80\x2e\x01\x03\x01"s, Sni::NotTls,
                   "first byte 0x80 is not a TLS handshake record"});
  cases.push_back({"application data first", record("x", 23), Sni::NotTls,
                   "first byte 0x17 is not a TLS handshake record"});
  cases.push_back({"record version 2", "\x16\x02"s, Sni::NotTls, "record version is not 3.x"});
  cases.push_back(
      {"empty record", "\x16\x03\x01\x00\x00"s, Sni::Invalid, "empty handshake record"});
  cases.push_back({"record over 2^14", "\x16\x03\x01\x40\x01"s, Sni::Invalid,
                   "record of 16385 bytes, more than 2^14"});
  cases.push_back({"ServerHello", record(message(good_body, 2)), Sni::Invalid,
                   "handshake message of type 2, not ClientHello"});
  cases.push_back({"too large", record("\x01\x00\x48\x00"s), Sni::Invalid,
                   "ClientHello of 18436 bytes, more than 18432"});
  {
    std::string m = message(good_body);
    cases.push_back({"alert between fragments", record(m.substr(0, 10)) + record("\x02\x28"s, 21),
                     Sni::Invalid, "record of type 21 inside the ClientHello"});
    cases.push_back({"bad version in second record",
                     record(m.substr(0, 10)) + "\x16\x04\x01\x00\x01x"s, Sni::Invalid,
                     "record version is not 3.x"});
    cases.push_back({"bytes after the ClientHello in its record", record(m + "\x01"s), Sni::Invalid,
                     "bytes after the ClientHello in its last record"});
    // Known before the record's body arrives: the proxy does not wait for
    // 16 KiB that cannot belong to the ClientHello.
    cases.push_back({"record longer than the rest of the ClientHello",
                     record(m.substr(0, 10)) + "\x16\x03\x01\x40\x00"s, Sni::Invalid,
                     "bytes after the ClientHello in its last record"});
  }
  auto bad_body = [&](std::string name, std::string b, std::string detail) {
    cases.push_back({std::move(name), record(message(b)), Sni::Invalid, std::move(detail)});
  };
  bad_body("empty body", "", "ClientHello without a TLS version");
  bad_body("version 2.0", "\x02\x00"s + std::string(32, 'r'), "ClientHello without a TLS version");
  bad_body("short random", "\x03\x03"s + std::string(31, 'r'),
           "ClientHello shorter than its random");
  {
    Hello x = h;
    x.session_id = std::string(33, 's');
    bad_body("session id 33", body(x),
             "ClientHello session id longer than 32 bytes or its message");
  }
  bad_body("session id overruns", "\x03\x03"s + std::string(32, 'r') + "\x20"s + "abc",
           "ClientHello session id longer than 32 bytes or its message");
  {
    Hello x = h;
    x.suites = "\x13\x01\x13"s;
    bad_body("odd suites", body(x), "ClientHello cipher suites empty, odd or overrunning");
    x.suites = "";
    bad_body("no suites", body(x), "ClientHello cipher suites empty, odd or overrunning");
  }
  bad_body("suites overrun", "\x03\x03"s + std::string(32, 'r') + "\x00"s + "\x00\x10\x13\x01"s,
           "ClientHello cipher suites empty, odd or overrunning");
  {
    Hello x = h;
    x.compression = "";
    bad_body("no compression", body(x), "ClientHello compression methods empty or overrunning");
  }
  {
    Hello x = h;
    x.extensions = {sni_extension("a.example")};
    x.trailing = "zz";
    bad_body("trailing after extensions", body(x),
             "ClientHello extensions length does not match its message");
    std::string b = body(x);
    bad_body("extensions length longer than the body", b.substr(0, b.size() - 3),
             "ClientHello extensions length does not match its message");
  }
  {
    // An extension whose length runs past the extensions block.
    std::string ext = u16(0) + u16(50) + "short";
    Hello x = h;
    x.extensions = {ext};
    bad_body("extension overruns", body(x), "ClientHello extension overruns the extensions");
    x.extensions = {"\x00"s};
    bad_body("half an extension header", body(x), "ClientHello extension overruns the extensions");
  }
  {
    Hello x = h;
    x.extensions = {sni_extension("allowed.com"), sni_extension("evil.com")};
    bad_body("two server_name extensions", body(x), "ClientHello extension 0x0000 appears twice");
    x.extensions = {extension(43, "\x02\x03\x04"s), sni_extension("a.com"),
                    extension(43, "\x02\x03\x03"s)};
    bad_body("duplicate other extension", body(x), "ClientHello extension 0x002b appears twice");
  }
  auto bad_sni = [&](std::string name, std::string data, std::string detail) {
    Hello x = h;
    x.extensions = {extension(0, data)};
    bad_body(std::move(name), body(x), std::move(detail));
  };
  bad_sni("empty server_name extension", "",
          "server_name list length does not match its extension");
  bad_sni("list length too long", u16(20) + "\x00"s + u16(3) + "a.b",
          "server_name list length does not match its extension");
  bad_sni("list length too short", u16(2) + "\x00"s + u16(3) + "a.b",
          "server_name list length does not match its extension");
  bad_sni("empty list", u16(0), "server_name entry overruns its list");
  bad_sni("name overruns its list", u16(6) + "\x00"s + u16(10) + "a.b",
          "server_name entry overruns its list");
  bad_sni("two host names", u16(16) + "\x00"s + u16(5) + "a.com" + "\x00"s + u16(5) + "b.com",
          "server_name list holds more than one name");
  bad_sni("trailing byte in the list", u16(7) + "\x00"s + u16(3) + "a.b" + "x",
          "server_name list holds more than one name");
  bad_sni("name type 1", server_name_data("a.com", 1),
          "server_name entry of type 1, not host_name");
  bad_sni("empty host name", server_name_data(""), "empty server_name host_name");

  for (const auto& c : cases) {
    Sni sni = parse_client_hello_sni(c.buf);
    EXPECT_EQ(sni.status, c.status) << c.name << ": " << sni.detail;
    EXPECT_EQ(sni.detail, c.detail) << c.name;
    EXPECT_EQ(sni.host, "") << c.name;
  }
}

TEST(EgressTls, LargestAcceptedClientHello) {
  // Padding up to the limit exactly, split into records of 2^14.
  Hello h;
  h.extensions = {sni_extension("big.example.com")};
  size_t without = message(body(h)).size();
  h.extensions.push_back(extension(21, std::string(kMaxClientHello - without - 4, '\0')));
  std::string m = message(body(h));
  ASSERT_EQ(m.size(), kMaxClientHello);
  std::string records = record(m.substr(0, 16384)) + record(m.substr(16384));
  Sni sni = parse_client_hello_sni(records);
  EXPECT_EQ(sni.status, Sni::Found) << sni.detail;
  EXPECT_EQ(sni.host, "big.example.com");
}

}  // namespace
}  // namespace cordon::egress
