// One client connection on the HTTP proxy listener: a sequence of requests
// (keep-alive, pipelined or not), each either a CONNECT (answered 200 and
// turned into a relay) or a plain-HTTP request in absolute form (decided,
// forwarded with its body framed exactly, its response framed exactly).
//
// Requests are handled one at a time, in order: a pipelined request waits in
// the input buffer until the previous response has been sent, so responses
// cannot be reordered and a second request is never read as part of the
// first one's body (the parser refuses every framing two implementations
// could read differently, and the body is cut where its framing ends).
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <utility>

#include "egress/engine.h"
#include "egress/host.h"
#include "egress/http.h"
#include "egress/tls.h"

namespace cordon::egress {
namespace {

constexpr std::size_t kReadBytes = std::size_t{64} * 1024;
// After the last response on a connection the proxy closes: it stops
// sending, then reads (and drops) what the client still sends for a while,
// so that closing does not reset the connection before the client has read
// the response (a close with unread input sends RST, and the client's TCP
// may then discard the response).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 1 << 20;

std::string status_text(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 408: return "Request Timeout";
    case 502: return "Bad Gateway";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string one_line(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// A response the proxy writes itself: a refusal (403 with X-Cordon-Denied)
// or an error. The body says what, which rule and why, in plain text.
std::string proxy_response(int status, const std::string& denied_rule, const std::string& body,
                           bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  if (status == 403) out += "X-Cordon-Denied: " + one_line(denied_rule) + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string url_host(const std::string& host, std::uint16_t port, std::uint16_t default_port) {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port) out += ":" + std::to_string(port);
  return out;
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Engine& engine, asio::ip::tcp::socket client)
      : engine_(engine), client_(std::move(client)), timer_(client_.get_executor()) {}

  void start() { next_request(); }

 private:
  using Socket = asio::ip::tcp::socket;

  // --- Reading: readiness, then a non-blocking recv into a stack buffer, so
  // that an idle connection owns no read buffer at all.
  template <typename Then>
  void read_more(Socket& socket, std::string& into, Then then) {
    socket.async_wait(
        asio::socket_base::wait_read, [self = shared_from_this(), &socket, &into,
                                       then = std::move(then)](const asio::error_code& ec) mutable {
          if (self->closed_) return;
          if (ec) return then(ec);
          std::array<char, kReadBytes> buf;  // NOLINT(*-member-init)
          const ssize_t n = ::recv(socket.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return self->read_more(socket, into, std::move(then));
          }
          if (n < 0) return then(asio::error_code(errno, asio::system_category()));
          if (n == 0) return then(asio::error::eof);
          into.append(buf.data(), static_cast<std::size_t>(n));
          then(asio::error_code{});
        });
  }

  // Handlers of an abandoned phase (an exchange cut short, a wait that was
  // replaced) return without acting: the phase changes whenever the
  // session moves on, so a late completion cannot act on the new state.
  template <typename F>
  auto in_phase(F f) {
    return [this, phase = phase_, f = std::move(f)](auto&&... args) mutable {
      if (phase != phase_ || closed_) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  // --- One request after another.
  void next_request() {
    const std::size_t end = find_head_end(in_, scanned_);
    if (end == std::string::npos && in_.size() < kMaxHeadBytes) {
      scanned_ = in_.size();
      // An idle keep-alive connection or a head that trickles in: either
      // way the client has this long to complete it.
      timer_.expires_after(kHandshakeTimeout);
      timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec || self->closed_) return;
        if (self->in_.empty()) return self->close();
        self->reply_and_close(408, "", "cordon: the request head did not arrive in time\n");
      });
      read_more(client_, in_, in_phase([this](const asio::error_code& ec) {
                  if (ec) return close();  // the client is done (or gone)
                  next_request();
                }));
      return;
    }
    timer_.cancel();
    scanned_ = 0;
    std::string error;
    const auto head = std::string_view(in_).substr(0, end == std::string::npos ? in_.size() : end);
    if (parse_request_head(head, &req_, &error) != Parse::Complete) {
      engine_.log("bad request from the sandbox: " + error);
      return reply_and_close(400, "", "cordon: malformed request: " + error + "\n");
    }
    in_.erase(0, req_.head_size);
    if (req_.method == "CONNECT") return handle_connect();
    if (req_.form != TargetForm::Absolute) {
      // Origin form ("GET /x") names no host: it is what a server gets, and
      // a proxy that guessed the destination from Host would be routing on
      // a header. "*" (OPTIONS to the proxy itself) has nothing to answer.
      return reply_and_close(400, "",
                             "cordon: this is a proxy: send requests in absolute form "
                             "(GET http://host/path) or use CONNECT\n");
    }
    handle_forward();
  }

  // --- CONNECT host:port
  void handle_connect() {
    auto host = canonical_host(req_.host);
    const std::string what = "CONNECT " + url_host(host ? host.value() : req_.host, req_.port, 0);
    if (!host) return refuse_invalid_host(what, host.error().what());
    host_ = host.value();
    what_ = what;
    engine_.authorize(Request{Entry::HttpConnect, host_, req_.port, "", ""}, what_,
                      [self = shared_from_this()](std::optional<Refusal> refusal) {
                        if (refusal) return self->refuse(*refusal, true);
                        self->engine_.connect(
                            self->host_, self->req_.port, self->what_,
                            [self](std::optional<Socket> upstream, std::optional<Refusal> failed) {
                              if (self->closed_) return;
                              if (failed) return self->refuse(*failed, true);
                              self->tunnel(std::move(*upstream));
                            });
                      });
  }

  void tunnel(Socket upstream) {
    out_ = "HTTP/1.1 200 Connection established\r\n\r\n";
    auto up = std::make_shared<Socket>(std::move(upstream));
    asio::async_write(client_, asio::buffer(out_),
                      [self = shared_from_this(), up](const asio::error_code& ec, std::size_t) {
                        if (ec || self->closed_) return self->close();
                        RelayOptions options;
                        // Bytes the client sent right behind the CONNECT
                        // (a ClientHello, typically) go first, through the gate.
                        options.a_to_b_prefix = std::move(self->in_);
                        options.gate =
                            tunnel_gate(self->engine_, self->host_, self->req_.port, self->what_);
                        options.gate_limit = kMaxClientHelloBytes;
                        self->closed_ = true;  // the relay owns the client from here
                        relay(std::move(self->client_), std::move(*up), self->engine_.pipes(),
                              std::move(options), [](const RelayResult&) {});
                      });
  }

  // --- GET http://host/path and the rest
  void handle_forward() {
    auto host = canonical_host(req_.host);
    what_ = req_.method + " http://" + url_host(host ? host.value() : req_.host, req_.port, 80) +
            req_.path.substr(0, 256);
    if (!host) return refuse_invalid_host(what_, host.error().what());
    host_ = host.value();
    std::string why;
    auto path = normalize_path(req_.path, &why);
    if (!path) {
      const std::string reason = "the path is refused: " + why;
      engine_.log("deny " + what_ + ": " + reason + " [path check]");
      engine_.record(what_, reason);
      return refuse(Refusal{Refusal::Policy, "path check", reason},
                    req_.framing != BodyFraming::None);
    }
    engine_.authorize(Request{Entry::HttpForward, host_, req_.port, req_.method, *path}, what_,
                      [self = shared_from_this()](std::optional<Refusal> refusal) {
                        if (self->closed_) return;
                        // A refused request with a body is answered and the
                        // connection closed: its body is not read, so what
                        // follows it cannot be told apart from it.
                        if (refusal) {
                          return self->refuse(*refusal, self->req_.framing != BodyFraming::None);
                        }
                        if (auto r = self->bind_credentials()) {
                          return self->refuse(*r, self->req_.framing != BodyFraming::None);
                        }
                        self->obtain_upstream(false);
                      });
  }

  // Credential binding: for a host bound to a credential, the bound header
  // must carry the placeholder (replaced here by the secret); a value
  // without it is a credential the proxy did not inject and is refused.
  std::optional<Refusal> bind_credentials() {
    const auto bound = engine_.credentials_for(host_);
    if (bound.empty()) return std::nullopt;
    for (auto& h : req_.headers) {
      bool named = false;
      bool injected = false;
      for (const Credential* c : bound) {
        if (!iequals(h.name, c->header)) continue;
        named = true;
        for (auto at = h.value.find(c->placeholder); at != std::string::npos;
             at = h.value.find(c->placeholder, at + c->secret.size())) {
          h.value.replace(at, c->placeholder.size(), c->secret);
          injected = true;
        }
      }
      if (named && !injected) {
        const std::string reason = "the request carries a " + h.name +
                                   " header that cordon did not inject; " + host_ +
                                   " is bound to a credential, and only that one may be sent";
        engine_.log("deny " + what_ + ": " + reason + " [credential binding]");
        engine_.record(what_, reason);
        return Refusal{Refusal::Policy, "credential binding " + h.name + " for " + host_, reason};
      }
    }
    return std::nullopt;
  }

  void obtain_upstream(bool retry) {
    const std::string key = url_host(host_, req_.port, 0);
    reused_ = false;
    if (!retry && upstream_ && upstream_key_ == key && upstream_idle_and_open()) {
      reused_ = true;
      return send_request();
    }
    upstream_.reset();
    engine_.connect(host_, req_.port, what_,
                    [self = shared_from_this(), key](std::optional<Socket> upstream,
                                                     std::optional<Refusal> failed) {
                      if (self->closed_) return;
                      if (failed) {
                        return self->refuse(*failed, self->req_.framing != BodyFraming::None);
                      }
                      self->upstream_ = std::move(upstream);
                      self->upstream_key_ = key;
                      self->send_request();
                    });
  }

  // A kept server connection is reused only if the server has neither
  // closed it nor sent anything unasked for since the last response.
  bool upstream_idle_and_open() {
    char c;
    const ssize_t n = ::recv(upstream_->native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // --- The exchange: the request (head and body) goes up while the
  // response comes down; both run at once so that a server answering early
  // (100 Continue, or a refusal before the body) is heard.
  void send_request() {
    ++phase_;
    up_out_ = upstream_request_head(req_);
    up_in_.clear();
    up_scanned_ = 0;
    upload_done_ = false;
    response_done_ = false;
    response_started_ = false;
    close_after_ = !req_.keep_alive;
    body_left_ = req_.framing == BodyFraming::ContentLength ? req_.content_length : 0;
    request_chunks_ = ChunkedTracker{};
    body_done_ = req_.framing == BodyFraming::None;
    take_body();
    upload();
    read_response_head();
  }

  // Moves the body bytes already read from the client to up_out_, and no
  // byte more: what follows the body is the next request.
  void take_body() {
    if (body_done_ || in_.empty()) return;
    if (req_.framing == BodyFraming::ContentLength) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, in_.size()));
      up_out_.append(in_, 0, n);
      in_.erase(0, n);
      body_left_ -= n;
      body_done_ = body_left_ == 0;
      return;
    }
    std::size_t used = 0;
    std::string error;
    const Parse p = request_chunks_.feed(in_, &used, &error);
    up_out_.append(in_, 0, used);
    in_.erase(0, used);
    if (p == Parse::Complete) body_done_ = true;
    if (p == Parse::Invalid) {
      // Nothing after the last well-framed byte goes to the server, and the
      // server connection, holding an unfinished body, is not reused.
      engine_.log("bad request body from the sandbox: " + error);
      body_invalid_ = true;
    }
  }

  void upload() {
    if (body_invalid_) {
      upstream_.reset();
      if (!response_started_) {
        return reply_and_close(400, "", "cordon: malformed chunked body\n");
      }
      return close();
    }
    if (!up_out_.empty()) {
      asio::async_write(*upstream_, asio::buffer(up_out_),
                        [self = shared_from_this(),
                         f = in_phase([this](const asio::error_code& ec) {
                           if (ec) {
                             // The server stopped reading; its response (on
                             // the way, or not) says why. The rest of the
                             // body will not be read: the client connection
                             // closes after the response.
                             upload_done_ = true;
                             close_after_ = true;
                             return finish_exchange();
                           }
                           up_out_.clear();
                           take_body();
                           upload();
                         })](const asio::error_code& ec, std::size_t) mutable { f(ec); });
      return;
    }
    if (body_done_) {
      upload_done_ = true;
      return finish_exchange();
    }
    read_more(client_, in_, in_phase([this](const asio::error_code& ec) {
                if (ec) {
                  // The client went away in the middle of its body: the server must
                  // not take the truncated body as complete.
                  return close();
                }
                take_body();
                upload();
              }));
  }

  void read_response_head() {
    const std::size_t end = find_head_end(up_in_, up_scanned_);
    if (end == std::string::npos && up_in_.size() < kMaxHeadBytes) {
      up_scanned_ = up_in_.size();
      read_more(*upstream_, up_in_, in_phase([this](const asio::error_code& ec) {
        if (!ec) return read_response_head();
        // A reused connection the server closed before answering: the
        // request (which had no body) is sent again on a new connection.
        if (reused_ && up_in_.empty() && req_.framing == BodyFraming::None && !response_started_) {
          return obtain_upstream(true);
        }
        upstream_.reset();
        if (response_started_) return close();
        reply_and_close(502, "", "cordon: the server closed the connection without a response\n");
      }));
      return;
    }
    up_scanned_ = 0;
    std::string error;
    const auto head =
        std::string_view(up_in_).substr(0, end == std::string::npos ? up_in_.size() : end);
    if (parse_response_head(head, req_.method, &resp_, &error) != Parse::Complete ||
        resp_.status == 101) {
      if (resp_.status == 101) error = "a protocol switch the proxy did not ask for";
      engine_.log("bad response for " + what_ + ": " + error);
      upstream_.reset();
      if (response_started_) return close();
      return reply_and_close(502, "",
                             "cordon: malformed response from the server: " + error + "\n");
    }
    up_in_.erase(0, resp_.head_size);
    if (resp_.status < 200) {
      // 1xx: passed on to an HTTP/1.1 client, then the real response follows.
      out_ = req_.version_minor == 1 ? downstream_response_head(resp_, false) : "";
      response_started_ = !out_.empty() || response_started_;
      return write_client(in_phase([this] { read_response_head(); }));
    }
    response_started_ = true;
    // The client connection stays open only if this exchange ends cleanly
    // framed: the request body fully read, the response body framed.
    if (!body_done_ || resp_.framing == BodyFraming::UntilClose) close_after_ = true;
    out_ = downstream_response_head(resp_, close_after_);
    response_left_ = resp_.framing == BodyFraming::ContentLength ? resp_.content_length : 0;
    response_chunks_ = ChunkedTracker{};
    response_body_done_ = resp_.framing == BodyFraming::None;
    take_response_body();
    write_client(in_phase([this] { pump_response(); }));
  }

  // Moves response body bytes from up_in_ to out_, no byte more.
  void take_response_body() {
    if (response_body_done_ || up_in_.empty()) return;
    switch (resp_.framing) {
      case BodyFraming::ContentLength: {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(response_left_, up_in_.size()));
        out_.append(up_in_, 0, n);
        up_in_.erase(0, n);
        response_left_ -= n;
        response_body_done_ = response_left_ == 0;
        return;
      }
      case BodyFraming::Chunked: {
        std::size_t used = 0;
        std::string error;
        const Parse p = response_chunks_.feed(up_in_, &used, &error);
        out_.append(up_in_, 0, used);
        up_in_.erase(0, used);
        if (p == Parse::Complete) response_body_done_ = true;
        if (p == Parse::Invalid) {
          engine_.log("bad response body for " + what_ + ": " + error);
          response_invalid_ = true;
        }
        return;
      }
      case BodyFraming::UntilClose:
        out_ += up_in_;
        up_in_.clear();
        return;
      case BodyFraming::None: return;
    }
  }

  void pump_response() {
    if (response_invalid_) {
      // The client got part of a body it cannot complete: only closing
      // tells it so.
      upstream_.reset();
      return close();
    }
    if (response_body_done_) {
      response_done_ = true;
      return finish_exchange();
    }
    read_more(*upstream_, up_in_, in_phase([this](const asio::error_code& ec) {
      if (ec) {
        upstream_.reset();
        if (resp_.framing == BodyFraming::UntilClose && ec == asio::error::eof) {
          response_done_ = true;
          return finish_exchange();
        }
        return close();  // cut short by the server: the client must see it cut
      }
      take_response_body();
      write_client(in_phase([this] { pump_response(); }));
    }));
  }

  template <typename Then>
  void write_client(Then then) {
    if (out_.empty()) return then();
    asio::async_write(client_, asio::buffer(out_),
                      [self = shared_from_this(), then = std::move(then)](
                          const asio::error_code& ec, std::size_t) mutable {
                        if (self->closed_) return;
                        if (ec) return self->close();
                        self->out_.clear();
                        then();
                      });
  }

  void finish_exchange() {
    if (!response_done_) return;  // the upload finished first: wait for the response
    if (!upload_done_ && !close_after_) return;
    const bool reusable = resp_.keep_alive && resp_.framing != BodyFraming::UntilClose &&
                          upload_done_ && body_done_ && up_in_.empty();
    if (!reusable) upstream_.reset();
    ++phase_;  // the exchange is over; whatever of it is still pending is moot
    if (close_after_) return linger_close();
    next_request();
  }

  // --- Refusals and errors.
  void refuse_invalid_host(const std::string& what, const std::string& why) {
    const std::string reason = "invalid host name: " + why;
    engine_.log("deny " + what + ": " + reason + " [host check]");
    engine_.record(what, reason);
    refuse(Refusal{Refusal::Policy, "host check", reason}, true);
  }

  void refuse(const Refusal& r, bool close) {
    if (closed_) return;
    const std::string target = what_.empty() ? "the request" : what_;
    if (r.kind == Refusal::Policy) {
      return reply(
          403, r.rule,
          "cordon refused " + target + "\nrule: " + r.rule + "\nreason: " + r.reason + "\n", close);
    }
    reply(r.timed_out ? 504 : 502, "", "cordon: " + target + ": " + r.reason + "\n", close);
  }

  void reply_and_close(int status, const std::string& rule, const std::string& body) {
    reply(status, rule, body, true);
  }

  void reply(int status, const std::string& rule, const std::string& body, bool close) {
    if (closed_) return;
    ++phase_;
    timer_.cancel();
    close = close || !req_.keep_alive;
    out_ = proxy_response(status, rule, body, close);
    write_client([this, close] {
      if (close) return linger_close();
      next_request();
    });
  }

  void linger_close() {
    ++phase_;
    asio::error_code ec;
    client_.shutdown(Socket::shutdown_send, ec);
    timer_.expires_after(kLingerTime);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->close();
    });
    drain();
  }

  void drain() {
    in_.clear();
    read_more(client_, in_, in_phase([this](const asio::error_code& ec) {
                drained_ += in_.size();
                if (ec || drained_ > kLingerBytes) return close();
                drain();
              }));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    ++phase_;
    asio::error_code ec;
    timer_.cancel();
    client_.close(ec);
    upstream_.reset();
  }

  Engine& engine_;
  Socket client_;
  asio::steady_timer timer_;
  bool closed_ = false;
  std::uint64_t phase_ = 0;

  std::string in_;  // from the client, not yet handled (the rest of a body, the next request)
  std::size_t scanned_ = 0;
  std::string out_;  // to the client
  RequestHead req_;
  std::string host_;  // canonical
  std::string what_;  // "GET http://host/path" for logs and refusals

  std::optional<Socket> upstream_;
  std::string upstream_key_;  // host:port of upstream_
  bool reused_ = false;
  std::string up_in_;  // from the server
  std::size_t up_scanned_ = 0;
  std::string up_out_;  // to the server

  // The exchange in progress.
  std::uint64_t body_left_ = 0;
  ChunkedTracker request_chunks_;
  bool body_done_ = false, body_invalid_ = false, upload_done_ = false;
  ResponseHead resp_;
  std::uint64_t response_left_ = 0;
  ChunkedTracker response_chunks_;
  bool response_started_ = false, response_body_done_ = false;
  bool response_invalid_ = false, response_done_ = false, close_after_ = false;
  std::size_t drained_ = 0;
};

}  // namespace

void start_http_session(Engine& engine, asio::ip::tcp::socket client) {
  std::make_shared<HttpSession>(engine, std::move(client))->start();
}

}  // namespace cordon::egress
