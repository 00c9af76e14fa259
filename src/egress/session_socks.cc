// One client connection on the SOCKS5 listener (RFC 1928): greeting (no
// authentication: the listener is reachable only from inside the sandbox),
// one request, then a relay. CONNECT only; BIND and UDP ASSOCIATE would open
// ways in and out that bypass the per-connection decision, and are refused
// with reply 7. A request by address is decided with the IP literal as the
// host, so only a rule naming that address (or an open range) lets it out.
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "egress/engine.h"
#include "egress/host.h"
#include "egress/socks5.h"
#include "egress/tls.h"

namespace cordon::egress {
namespace {

std::string command_name(std::uint8_t command) {
  switch (command) {
    case kSocksConnect: return "CONNECT";
    case kSocksBind: return "BIND";
    case kSocksUdpAssociate: return "UDP ASSOCIATE";
    default: return "command " + std::to_string(command);
  }
}

class SocksSession : public std::enable_shared_from_this<SocksSession> {
 public:
  SocksSession(Engine& engine, asio::ip::tcp::socket client)
      : engine_(engine), client_(std::move(client)), timer_(client_.get_executor()) {}

  void start() {
    // The whole handshake (greeting and request) has this long.
    timer_.expires_after(kHandshakeTimeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    read_greeting();
  }

 private:
  using Socket = asio::ip::tcp::socket;

  template <typename Then>
  void read_more(Then then) {
    client_.async_wait(
        asio::socket_base::wait_read,
        [self = shared_from_this(), then = std::move(then)](const asio::error_code& ec) mutable {
          if (self->closed_) return;
          if (ec) return self->close();
          std::array<char, 1024> buf;  // NOLINT(*-member-init)
          const ssize_t n =
              ::recv(self->client_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return self->read_more(std::move(then));
          }
          if (n <= 0) return self->close();
          // A SOCKS handshake is a few hundred bytes at most; a client that
          // sends kilobytes before its request is answered is not speaking it.
          if (self->in_.size() + static_cast<std::size_t>(n) > 4096) return self->close();
          self->in_.append(buf.data(), static_cast<std::size_t>(n));
          then();
        });
  }

  template <typename Then>
  void write(std::string bytes, Then then) {
    out_ = std::move(bytes);
    asio::async_write(client_, asio::buffer(out_),
                      [self = shared_from_this(), then = std::move(then)](
                          const asio::error_code& ec, std::size_t) mutable {
                        if (self->closed_) return;
                        if (ec) return self->close();
                        then();
                      });
  }

  void read_greeting() {
    Greeting greeting;
    std::string error;
    switch (parse_greeting(in_, &greeting, &error)) {
      case Parse::Incomplete: return read_more([this] { read_greeting(); });
      case Parse::Invalid:
        engine_.log("bad SOCKS5 greeting from the sandbox: " + error);
        return close();
      case Parse::Complete: break;
    }
    in_.erase(0, greeting.size);
    const bool no_auth = std::find(greeting.methods.begin(), greeting.methods.end(),
                                   kSocksMethodNoAuth) != greeting.methods.end();
    if (!no_auth) {
      engine_.log("SOCKS5 client offers no method without authentication");
      return write(socks_method_reply(kSocksMethodNoAcceptable), [this] { close(); });
    }
    write(socks_method_reply(kSocksMethodNoAuth), [this] { read_request(); });
  }

  void read_request() {
    std::string error;
    switch (parse_request(in_, &request_, &error)) {
      case Parse::Incomplete: return read_more([this] { read_request(); });
      case Parse::Invalid:
        engine_.log("bad SOCKS5 request from the sandbox: " + error);
        return reply_and_close(request_.failure_reply);
      case Parse::Complete: break;
    }
    in_.erase(0, request_.size);
    auto host = canonical_host(request_.host);
    what_ = "SOCKS5 " + command_name(request_.command) + " " +
            (host ? host.value() : std::string("(invalid name)")) + ":" +
            std::to_string(request_.port);
    if (request_.command != kSocksConnect) {
      const std::string reason = command_name(request_.command) + " is not supported";
      engine_.log("deny " + what_ + ": " + reason);
      engine_.record(what_, reason);
      return reply_and_close(kSocksCommandNotSupported);
    }
    if (!host) {
      const std::string reason = "invalid host name: " + host.error().what();
      engine_.log("deny " + what_ + ": " + reason + " [host check]");
      engine_.record(what_, reason);
      return reply_and_close(kSocksNotAllowed);
    }
    host_ = host.value();
    engine_.authorize(Request{Entry::Socks5, host_, request_.port, "", ""}, what_,
                      [self = shared_from_this()](std::optional<Refusal> refusal) {
                        if (self->closed_) return;
                        if (refusal) return self->refuse(*refusal);
                        self->engine_.connect(
                            self->host_, self->request_.port, self->what_,
                            [self](std::optional<Socket> upstream, std::optional<Refusal> failed) {
                              if (self->closed_) return;
                              if (failed) return self->refuse(*failed);
                              self->tunnel(std::move(*upstream));
                            });
                      });
  }

  void refuse(const Refusal& r) {
    switch (r.kind) {
      case Refusal::Policy: return reply_and_close(kSocksNotAllowed);
      case Refusal::Unresolved: return reply_and_close(kSocksHostUnreachable);
      case Refusal::Unreachable:
        return reply_and_close(r.refused ? kSocksConnectionRefused : kSocksHostUnreachable);
    }
  }

  void tunnel(Socket upstream) {
    timer_.cancel();
    auto up = std::make_shared<Socket>(std::move(upstream));
    write(socks_reply(kSocksSucceeded), [this, up] {
      RelayOptions options;
      options.a_to_b_prefix = std::move(in_);
      options.gate = tunnel_gate(engine_, host_, request_.port, what_);
      options.gate_limit = kMaxClientHelloBytes;
      closed_ = true;  // the relay owns the client from here
      relay(std::move(client_), std::move(*up), engine_.pipes(), std::move(options),
            [](const RelayResult&) {});
    });
  }

  void reply_and_close(std::uint8_t code) {
    write(socks_reply(code), [this] {
      asio::error_code ec;
      client_.shutdown(Socket::shutdown_send, ec);
      close();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    timer_.cancel();
    client_.close(ec);
  }

  Engine& engine_;
  Socket client_;
  asio::steady_timer timer_;
  bool closed_ = false;
  std::string in_, out_;
  SocksRequest request_;
  std::string host_;
  std::string what_;
};

}  // namespace

void start_socks_session(Engine& engine, asio::ip::tcp::socket client) {
  std::make_shared<SocksSession>(engine, std::move(client))->start();
}

}  // namespace cordon::egress
