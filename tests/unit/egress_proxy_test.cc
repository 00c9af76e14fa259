// The egress proxy in-process, against origin servers the test starts on
// 127.0.0.1. Test host names are mapped to loopback addresses with the
// `resolve` overrides, so nothing is ever looked up in DNS or sent to a
// non-loopback address: where a name maps to a metadata or private address,
// the test asserts that the refusal came from the address check, which runs
// before any connection is attempted.
#include "egress/proxy.h"

#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "egress/engine.h"
#include "egress/http.h"
#include "egress/socks5.h"
#include "egress_loopback.h"

namespace cordon::egress {
namespace {

using namespace cordon::egress::testing;

// A real TLS ClientHello (OpenSSL's), naming `sni` (or nothing).
std::string client_hello(const char* sni) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl, sni);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // writes the ClientHello, then wants the server's answer
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

// Accepts connections on 127.0.0.1 and hands each to `serve` on its own
// thread (a test server: a few connections at a time).
class Server {
 public:
  explicit Server(std::function<void(int)> serve) : serve_(std::move(serve)) {
    listener_ = listen_loopback(&port_);
    thread_ = std::thread([this] {
      while (true) {
        UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!fd || stopping_) break;
        set_timeouts(fd.get());
        ++connections_;
        const std::lock_guard lock(mutex_);
        const int raw = fd.get();
        fds_.push_back(std::move(fd));
        workers_.emplace_back([this, raw] { serve_(raw); });
      }
    });
  }
  ~Server() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
    const std::lock_guard lock(mutex_);
    for (auto& fd : fds_) ::shutdown(fd.get(), SHUT_RDWR);  // wakes the workers
    for (auto& w : workers_) w.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int connections() const { return connections_; }

 private:
  std::function<void(int)> serve_;
  UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<UniqueFd> fds_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
};

// An HTTP origin: answers every request with 200 and a body saying what it
// saw (method, target, Authorization, body), keeping the connection alive.
class Origin {
 public:
  Origin() : server_([this](int fd) { serve(fd); }) {}
  [[nodiscard]] std::uint16_t port() const { return server_.port(); }
  [[nodiscard]] int connections() const { return server_.connections(); }
  std::vector<std::string> seen() {
    const std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve(int fd) {
    std::string in;
    char buf[16384];
    while (true) {
      RequestHead head;
      std::string error;
      Parse p;
      while ((p = parse_request_head(in, &head, &error)) == Parse::Incomplete) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      if (p == Parse::Invalid) return;
      in.erase(0, head.head_size);
      std::string body;
      if (head.framing == BodyFraming::ContentLength) {
        while (in.size() < head.content_length) {
          const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) return;
          in.append(buf, static_cast<std::size_t>(n));
        }
        body = in.substr(0, head.content_length);
        in.erase(0, head.content_length);
      } else if (head.framing == BodyFraming::Chunked) {
        ChunkedTracker t;
        while (true) {
          std::size_t used = 0;
          const Parse c = t.feed(in, &used, &error);
          body += in.substr(0, used);
          in.erase(0, used);
          if (c == Parse::Complete) break;
          if (c == Parse::Invalid) return;
          const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) return;
          in.append(buf, static_cast<std::size_t>(n));
        }
      }
      const auto auth = find_header(head.headers, "Authorization");
      const std::string saw = head.method + " " + head.target +
                              " host=" + std::string(*find_header(head.headers, "Host")) +
                              " auth=" + std::string(auth ? *auth : "-") + " body=" + body;
      {
        const std::lock_guard lock(mutex_);
        seen_.push_back(saw);
      }
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(saw.size()) + "\r\n\r\n" + saw;
      if (!send_all(fd, response)) return;
    }
  }

  std::mutex mutex_;
  std::vector<std::string> seen_;
  Server server_;  // last: its threads use the members above
};

// Echoes every byte back; counts what it received.
class Echo {
 public:
  Echo()
      : server_([this](int fd) {
          char buf[65536];
          ssize_t n;
          while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
            received_ += n;
            send_all(fd, std::string_view(buf, static_cast<std::size_t>(n)));
          }
        }) {}
  [[nodiscard]] std::uint16_t port() const { return server_.port(); }
  [[nodiscard]] int connections() const { return server_.connections(); }
  [[nodiscard]] long received() const { return received_; }

 private:
  std::atomic<long> received_{0};
  Server server_;
};

struct Response {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
  [[nodiscard]] std::string header(std::string_view name) const {
    auto v = find_header(headers, name);
    return v ? std::string(*v) : std::string();
  }
};

// Reads one response (Content-Length framed, as every response here is).
Response read_response(int fd, std::string_view method = "GET") {
  std::string in;
  ResponseHead head;
  std::string error;
  char c;
  while (parse_response_head(in, method, &head, &error) == Parse::Incomplete) {
    if (::recv(fd, &c, 1, 0) != 1) return {};
    in.push_back(c);
  }
  Response r;
  r.status = head.status;
  r.headers = head.headers;
  if (head.framing == BodyFraming::ContentLength) r.body = recv_exact(fd, head.content_length);
  return r;
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

HostRule rule(std::string pattern, std::vector<std::string> methods = {},
              std::vector<std::string> paths = {}) {
  HostRule r;
  r.pattern = std::move(pattern);
  r.methods = std::move(methods);
  r.path_prefixes = std::move(paths);
  r.origin = "test";
  return r;
}

class Proxy : public ::testing::Test {
 protected:
  // open_loopback: the allowed-case tests open 127.0.0.0/8, as a user would
  // to reach a local service; the rebinding tests do not.
  // (An allow rule naming an IP literal opens that address too, so the
  // rebinding tests do without the rule for 127.0.0.1.)
  void start_proxy(bool open_loopback = true) {
    ProxyConfig config;
    config.rules.allow = {
        rule("allowed.test"), rule("other.test"),    rule("api.test", {"GET"}, {"/ok"}),
        rule("rebind.test"),  rule("metadata.test"), rule("mapped.test"),
        rule("private.test")};
    if (open_loopback) config.rules.allow.push_back(rule("127.0.0.1"));
    config.rules.deny = {rule("evil.test")};
    config.rules.ask = {rule("ask.test")};
    if (open_loopback) config.rules.open_ranges = {*Cidr::parse("127.0.0.0/8")};
    config.resolve = {{"allowed.test", ip("127.0.0.1")},
                      {"other.test", ip("127.0.0.1")},
                      {"api.test", ip("127.0.0.1")},
                      {"ask.test", ip("127.0.0.1")},
                      {"evil.test", ip("127.0.0.1")},
                      {"rebind.test", ip("127.0.0.1")},
                      {"metadata.test", ip("169.254.169.254")},
                      {"mapped.test", ip("::ffff:127.0.0.1")},
                      {"private.test", ip("10.0.0.1")}};
    config.credentials = {{"CORDON_PLACEHOLDER_1", "s3cret", {"allowed.test"}, "Authorization"}};
    config.ask = [this](const Request& request, const std::string&) {
      asked_ = request.host;
      return answer_.load();
    };
    config.log = [this](const std::string& line) {
      const std::lock_guard lock(log_mutex_);
      log_.push_back(line);
    };
    proxy_ = std::make_unique<egress::Proxy>(std::move(config));
    proxy_->add_http_listener(listen_loopback(&http_port_));
    proxy_->add_socks_listener(listen_loopback(&socks_port_));
    ASSERT_TRUE(proxy_->start().ok());
  }
  void SetUp() override { start_proxy(); }

  UniqueFd http_client() { return connect_loopback(http_port_); }

  // CONNECT through the HTTP listener; returns the client socket after the
  // response head, and the response.
  UniqueFd connect_via_http(const std::string& authority, Response* response) {
    UniqueFd fd = http_client();
    send_all(fd.get(), "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
    *response = read_response(fd.get(), "CONNECT");
    return fd;
  }

  // The SOCKS5 greeting and a request; returns the reply code (or -1).
  UniqueFd socks(std::uint8_t command, std::uint8_t atyp, const std::string& address,
                 std::uint16_t port, int* reply) {
    UniqueFd fd = connect_loopback(socks_port_);
    send_all(fd.get(), std::string("\x05\x01\x00", 3));
    if (recv_exact(fd.get(), 2) != std::string("\x05\x00", 2)) {
      *reply = -1;
      return fd;
    }
    std::string req = {5, static_cast<char>(command), 0, static_cast<char>(atyp)};
    if (atyp == kSocksAddrName) req += static_cast<char>(address.size());
    req += address;
    req += static_cast<char>(port >> 8);
    req += static_cast<char>(port & 0xff);
    send_all(fd.get(), req);
    const std::string r = recv_exact(fd.get(), 10);
    *reply = r.size() == 10 ? static_cast<unsigned char>(r[1]) : -1;
    return fd;
  }

  bool blocked_has(std::string_view what, std::string_view reason_part) {
    for (const auto& b : proxy_->blocked()) {
      if (b.what == what && b.reason.find(reason_part) != std::string::npos) return true;
    }
    return false;
  }

  std::unique_ptr<egress::Proxy> proxy_;
  std::uint16_t http_port_ = 0, socks_port_ = 0;
  std::atomic<Verdict> answer_{Verdict::Deny};
  std::string asked_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

std::string get(const std::string& host, std::uint16_t port, const std::string& path,
                const std::string& extra = "") {
  const std::string authority = host + ":" + std::to_string(port);
  return "GET http://" + authority + path + " HTTP/1.1\r\nHost: " + authority + "\r\n" + extra +
         "\r\n";
}

// --- CONNECT

TEST_F(Proxy, AllowedConnectRelaysBytes) {
  Echo echo;
  Response r;
  // other.test: allowed, and not bound to a credential (plain text to a
  // bound host is refused, see EgressTunnelGate).
  auto fd = connect_via_http("other.test:" + std::to_string(echo.port()), &r);
  ASSERT_EQ(r.status, 200);
  // Not TLS, to a port other than 80 and 443: relayed as it is.
  ASSERT_TRUE(send_all(fd.get(), "ping over the tunnel"));
  EXPECT_EQ(recv_exact(fd.get(), 20), "ping over the tunnel");
}

TEST_F(Proxy, AllowedConnectWithMatchingSniPassesTheClientHello) {
  Echo echo;
  Response r;
  auto fd = connect_via_http("allowed.test:" + std::to_string(echo.port()), &r);
  ASSERT_EQ(r.status, 200);
  const std::string hello = client_hello("Allowed.Test");  // canonicalised compare
  ASSERT_TRUE(send_all(fd.get(), hello));
  EXPECT_EQ(recv_exact(fd.get(), hello.size()), hello);
}

TEST_F(Proxy, DeniedConnectGets403WithTheRule) {
  Echo echo;
  Response r;
  auto fd = connect_via_http("evil.test:" + std::to_string(echo.port()), &r);
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.header("X-Cordon-Denied").empty());
  EXPECT_NE(r.body.find("evil.test"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("rule"), std::string::npos) << r.body;
  EXPECT_TRUE(closed_within(fd.get(), 5000));
  EXPECT_EQ(echo.connections(), 0);
  EXPECT_TRUE(blocked_has("CONNECT evil.test:" + std::to_string(echo.port()), ""));
}

TEST_F(Proxy, UnlistedHostIsRefused) {
  Response r;
  auto fd = connect_via_http("unlisted.test:443", &r);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("unlisted.test"), std::string::npos);
}

TEST_F(Proxy, SniOtherThanTheConnectHostIsCutOff) {
  Echo echo;
  Response r;
  auto fd = connect_via_http("allowed.test:" + std::to_string(echo.port()), &r);
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(send_all(fd.get(), client_hello("evil.test")));
  int err = 0;
  recv_until_eof(fd.get(), &err);
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_EQ(echo.received(), 0) << "the fronted ClientHello reached the server";
  EXPECT_TRUE(blocked_has("CONNECT allowed.test:" + std::to_string(echo.port()), "evil.test"));
}

// The tunnel check on its own (the proxy cannot listen on 80 or 443 here).
TEST(EgressTunnelGate, FirstBytesOfATunnel) {
  ProxyConfig config;
  config.credentials = {{"P", "S", {"bound.test"}, "Authorization"}};
  Engine engine(std::move(config));
  ASSERT_TRUE(engine.start().ok());
  const std::string plain = "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
  auto verdict = [&](const char* host, std::uint16_t port, std::string_view first) {
    return tunnel_gate(engine, host, port, "test")(first, false).kind;
  };
  EXPECT_EQ(verdict("a.test", 443, client_hello("a.test")), GateVerdict::Pass);
  EXPECT_EQ(verdict("a.test", 443, client_hello("b.test")), GateVerdict::Refuse);
  EXPECT_EQ(verdict("a.test", 443, client_hello(nullptr)), GateVerdict::Refuse);
  EXPECT_EQ(verdict("192.0.2.1", 443, client_hello(nullptr)), GateVerdict::Pass);
  EXPECT_EQ(verdict("192.0.2.1", 443, client_hello("a.test")), GateVerdict::Refuse);
  const std::string hello = client_hello("a.test");
  EXPECT_EQ(verdict("a.test", 443, std::string_view(hello).substr(0, 20)), GateVerdict::NeedMore);
  EXPECT_EQ(verdict("a.test", 443, plain), GateVerdict::Refuse);
  EXPECT_EQ(verdict("a.test", 80, plain), GateVerdict::Refuse);
  EXPECT_EQ(verdict("bound.test", 8080, plain), GateVerdict::Refuse);
  EXPECT_EQ(verdict("a.test", 22, "SSH-2.0-OpenSSH_9.2\r\n"), GateVerdict::Pass);
  EXPECT_EQ(verdict("a.test", 8080, plain), GateVerdict::Pass);
  engine.stop();
}

// --- Plain HTTP forwarding

TEST_F(Proxy, PlainHttpAllowedByMethodAndPath) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("api.test", origin.port(), "/ok/x"));
  const Response r = read_response(fd.get());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("GET /ok/x "), std::string::npos) << r.body;  // origin form upstream
}

TEST_F(Proxy, PlainHttpDeniedByMethod) {
  Origin origin;
  auto fd = http_client();
  const std::string authority = "api.test:" + std::to_string(origin.port());
  send_all(fd.get(),
           "DELETE http://" + authority + "/ok/x HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
  const Response r = read_response(fd.get());
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.header("X-Cordon-Denied").empty());
  EXPECT_TRUE(origin.seen().empty());
}

TEST_F(Proxy, PlainHttpDeniedByPathEvenThroughDotSegments) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("api.test", origin.port(), "/secret"));
  EXPECT_EQ(read_response(fd.get()).status, 403);
  send_all(fd.get(), get("api.test", origin.port(), "/ok/../secret"));
  EXPECT_EQ(read_response(fd.get()).status, 403);
  send_all(fd.get(), get("api.test", origin.port(), "/ok/%2e%2e/secret"));
  EXPECT_EQ(read_response(fd.get()).status, 403);
  EXPECT_TRUE(origin.seen().empty());
}

TEST_F(Proxy, KeepAliveServesTwoRequestsOnOneConnection) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("allowed.test", origin.port(), "/one"));
  const Response a = read_response(fd.get());
  send_all(fd.get(), get("allowed.test", origin.port(), "/two"));
  const Response b = read_response(fd.get());
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(b.status, 200);
  EXPECT_NE(a.body.find("/one"), std::string::npos);
  EXPECT_NE(b.body.find("/two"), std::string::npos);
  EXPECT_EQ(origin.connections(), 1);  // the server connection was reused
}

TEST_F(Proxy, PipelinedRequestsAreAnsweredInOrderAndTheDeniedOneRefused) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("allowed.test", origin.port(), "/first") +
                         get("evil.test", origin.port(), "/second") +
                         get("allowed.test", origin.port(), "/third"));
  const Response a = read_response(fd.get());
  const Response b = read_response(fd.get());
  const Response c = read_response(fd.get());
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("/first"), std::string::npos);
  EXPECT_EQ(b.status, 403);
  EXPECT_NE(b.body.find("evil.test"), std::string::npos);
  EXPECT_EQ(c.status, 200);
  EXPECT_NE(c.body.find("/third"), std::string::npos);
  const auto seen = origin.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].find("GET /first "), 0u);
  EXPECT_EQ(seen[1].find("GET /third "), 0u);
}

TEST_F(Proxy, AmbiguousFramingIsRefusedAndNothingReachesTheServer) {
  Origin origin;
  auto fd = http_client();
  const std::string authority = "allowed.test:" + std::to_string(origin.port());
  // CL.TE: a proxy reading Content-Length and a server reading chunked
  // would disagree on where the smuggled request starts.
  send_all(fd.get(), "POST http://" + authority + "/ HTTP/1.1\r\nHost: " + authority +
                         "\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "0\r\n\r\nGET http://evil.test/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read_response(fd.get()).status, 400);
  EXPECT_TRUE(closed_within(fd.get(), 5000));
  EXPECT_TRUE(origin.seen().empty());
}

TEST_F(Proxy, ARequestHiddenAfterAChunkedBodyIsDecidedOnItsOwn) {
  Origin origin;
  auto fd = http_client();
  const std::string authority = "allowed.test:" + std::to_string(origin.port());
  send_all(fd.get(), "POST http://" + authority + "/up HTTP/1.1\r\nHost: " + authority +
                         "\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n0\r\n\r\n" +
                         get("evil.test", origin.port(), "/smuggled"));
  const Response a = read_response(fd.get(), "POST");
  const Response b = read_response(fd.get());
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("body=5\r\nhello\r\n0\r\n\r\n"), std::string::npos) << a.body;
  EXPECT_EQ(b.status, 403);  // the request behind the body was seen, and refused
  ASSERT_EQ(origin.seen().size(), 1u);
}

TEST_F(Proxy, ARequestInsideAContentLengthBodyStaysBody) {
  Origin origin;
  auto fd = http_client();
  const std::string authority = "allowed.test:" + std::to_string(origin.port());
  const std::string hidden = get("evil.test", origin.port(), "/hidden");
  send_all(fd.get(), "POST http://" + authority + "/up HTTP/1.1\r\nHost: " + authority +
                         "\r\nContent-Length: " + std::to_string(hidden.size()) + "\r\n\r\n" +
                         hidden);
  const Response a = read_response(fd.get(), "POST");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("body=" + hidden), std::string::npos);
  EXPECT_TRUE(proxy_->blocked().empty());  // never decided as a request
}

TEST_F(Proxy, OriginFormAndMismatchedHostAreRefused) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), "GET /x HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
  EXPECT_EQ(read_response(fd.get()).status, 400);
  auto fd2 = http_client();
  send_all(fd2.get(), "GET http://allowed.test:" + std::to_string(origin.port()) +
                          "/ HTTP/1.1\r\nHost: evil.test\r\n\r\n");
  EXPECT_EQ(read_response(fd2.get()).status, 400);
  EXPECT_TRUE(origin.seen().empty());
}

TEST_F(Proxy, OversizeHeadIsRefused) {
  auto fd = http_client();
  std::string big = "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n";
  while (big.size() < kMaxHeadBytes + 100) big += "X-Filler: " + std::string(1000, 'x') + "\r\n";
  send_all(fd.get(), big);
  EXPECT_EQ(read_response(fd.get()).status, 400);
}

TEST_F(Proxy, LargeBodiesGoThroughBothWays) {
  Origin origin;
  auto fd = http_client();
  const std::string authority = "allowed.test:" + std::to_string(origin.port());
  const std::string body = pattern_bytes(3 << 20, 9);
  std::thread writer([&] {
    send_all(fd.get(), "POST http://" + authority + "/big HTTP/1.1\r\nHost: " + authority +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                           body);
  });
  const Response r = read_response(fd.get(), "POST");
  writer.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(body), std::string::npos);  // the origin echoes what it saw
}

// --- Credentials

TEST_F(Proxy, CredentialIsInjectedOnlyForItsHost) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("allowed.test", origin.port(), "/a",
                         "Authorization: Bearer CORDON_PLACEHOLDER_1\r\n"));
  EXPECT_NE(read_response(fd.get()).body.find("auth=Bearer s3cret "), std::string::npos);
  // Another host gets the placeholder as it is: it is worth nothing there.
  send_all(fd.get(), get("other.test", origin.port(), "/b",
                         "Authorization: Bearer CORDON_PLACEHOLDER_1\r\n"));
  const Response other = read_response(fd.get());
  EXPECT_NE(other.body.find("auth=Bearer CORDON_PLACEHOLDER_1 "), std::string::npos);
  EXPECT_EQ(other.body.find("s3cret"), std::string::npos);
}

TEST_F(Proxy, ForeignCredentialToABoundHostIsRefused) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(),
           get("allowed.test", origin.port(), "/a", "Authorization: Bearer attackers-key\r\n"));
  const Response r = read_response(fd.get());
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.header("X-Cordon-Denied").find("credential"), std::string::npos);
  EXPECT_TRUE(origin.seen().empty());
  // Without the header the request is fine (the binding does not force one).
  send_all(fd.get(), get("allowed.test", origin.port(), "/b"));
  EXPECT_EQ(read_response(fd.get()).status, 200);
}

// --- Ask

TEST_F(Proxy, AskRuleFollowsTheAnswer) {
  Origin origin;
  auto fd = http_client();
  send_all(fd.get(), get("ask.test", origin.port(), "/a"));
  EXPECT_EQ(read_response(fd.get()).status, 403);
  EXPECT_EQ(asked_, "ask.test");
  answer_ = Verdict::Allow;
  send_all(fd.get(), get("ask.test", origin.port(), "/b"));
  EXPECT_EQ(read_response(fd.get()).status, 200);
}

// --- SOCKS5

TEST_F(Proxy, SocksConnectByName) {
  Echo echo;
  int reply = -1;
  auto fd = socks(kSocksConnect, kSocksAddrName, "other.test", echo.port(), &reply);
  ASSERT_EQ(reply, kSocksSucceeded);
  send_all(fd.get(), "socks bytes");
  EXPECT_EQ(recv_exact(fd.get(), 11), "socks bytes");
}

TEST_F(Proxy, SocksConnectByAddressNeedsARuleForTheAddress) {
  Echo echo;
  int reply = -1;
  auto fd =
      socks(kSocksConnect, kSocksAddrIpv4, std::string("\x7f\x00\x00\x01", 4), echo.port(), &reply);
  ASSERT_EQ(reply, kSocksSucceeded);
  send_all(fd.get(), "by address");
  EXPECT_EQ(recv_exact(fd.get(), 10), "by address");
  // 127.0.0.2 is in the open range, but no rule names it.
  auto fd2 =
      socks(kSocksConnect, kSocksAddrIpv4, std::string("\x7f\x00\x00\x02", 4), echo.port(), &reply);
  EXPECT_EQ(reply, kSocksNotAllowed);
  EXPECT_EQ(echo.connections(), 1);
}

TEST_F(Proxy, SocksDeniedNameGetsReply2) {
  Echo echo;
  int reply = -1;
  auto fd = socks(kSocksConnect, kSocksAddrName, "evil.test", echo.port(), &reply);
  EXPECT_EQ(reply, kSocksNotAllowed);
  auto fd2 = socks(kSocksConnect, kSocksAddrName, std::string("allowed.test\0.evil", 18),
                   echo.port(), &reply);
  EXPECT_EQ(reply, kSocksNotAllowed);
  EXPECT_EQ(echo.connections(), 0);
}

TEST_F(Proxy, SocksBindAndUdpAssociateAreRefused) {
  Echo echo;
  int reply = -1;
  auto fd = socks(kSocksBind, kSocksAddrName, "allowed.test", echo.port(), &reply);
  EXPECT_EQ(reply, kSocksCommandNotSupported);
  auto fd2 = socks(kSocksUdpAssociate, kSocksAddrName, "allowed.test", echo.port(), &reply);
  EXPECT_EQ(reply, kSocksCommandNotSupported);
  EXPECT_EQ(echo.connections(), 0);
}

TEST_F(Proxy, SocksTunnelChecksTheSniToo) {
  Echo echo;
  int reply = -1;
  auto fd = socks(kSocksConnect, kSocksAddrName, "allowed.test", echo.port(), &reply);
  ASSERT_EQ(reply, kSocksSucceeded);
  send_all(fd.get(), client_hello("evil.test"));
  EXPECT_TRUE(closed_within(fd.get(), 5000));
  EXPECT_EQ(echo.received(), 0);
}

// --- Addresses after resolution (no open range here)

class ProxyRebinding : public Proxy {
 protected:
  void SetUp() override { start_proxy(false); }
};

TEST_F(ProxyRebinding, AllowedNamesResolvingToInternalAddressesAreRefusedBeforeConnecting) {
  Echo echo;  // listening on 127.0.0.1: a connection to it would count
  const std::string port = std::to_string(echo.port());
  const struct {
    const char* host;
    const char* reason;
  } cases[] = {{"rebind.test", "127.0.0.1 (loopback)"},
               {"metadata.test", "169.254.169.254 (link-local)"},
               {"mapped.test", "::ffff:127.0.0.1"},
               {"private.test", "10.0.0.1 (private)"}};
  for (const auto& c : cases) {
    Response r;
    auto fd = connect_via_http(std::string(c.host) + ":" + port, &r);
    EXPECT_EQ(r.status, 403) << c.host;
    // This sentence comes from the address check, which runs before any
    // connection attempt: the metadata and private addresses were never
    // contacted.
    EXPECT_NE(r.body.find(c.reason), std::string::npos) << c.host << ": " << r.body;
    auto http = http_client();
    send_all(http.get(), get(c.host, echo.port(), "/"));
    EXPECT_EQ(read_response(http.get()).status, 403) << c.host;
    int reply = -1;
    auto s = socks(kSocksConnect, kSocksAddrName, c.host, echo.port(), &reply);
    EXPECT_EQ(reply, kSocksNotAllowed) << c.host;
  }
  EXPECT_EQ(echo.connections(), 0);
}

TEST_F(ProxyRebinding, TheSameNameIsAllowedWhenARangeIsOpened) {
  // The control: with 127.0.0.0/8 opened, rebind.test connects.
  proxy_.reset();
  start_proxy(true);
  Echo echo;
  Response r;
  auto fd = connect_via_http("rebind.test:" + std::to_string(echo.port()), &r);
  EXPECT_EQ(r.status, 200);
}

TEST_F(Proxy, EveryDecisionIsLogged) {
  Response r;
  auto fd = connect_via_http("evil.test:443", &r);
  const std::lock_guard lock(log_mutex_);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("deny CONNECT evil.test:443"), std::string::npos) << log_.back();
}

}  // namespace
}  // namespace cordon::egress
