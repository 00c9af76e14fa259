#include "egress/engine.h"

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "egress/host.h"
#include "egress/http.h"

namespace cordon::egress {
namespace {

asio::ip::tcp::endpoint to_endpoint(const IpAddress& address, std::uint16_t port) {
  if (address.family == AF_INET) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(address.bytes.begin(), b.size(), b.begin());
    return {asio::ip::address_v4(b), port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(address.bytes.begin(), b.size(), b.begin());
  return {asio::ip::address_v6(b), port};
}

// getaddrinfo, on a resolver thread. Addresses in the order the resolver
// gives them, without repeats.
Result<std::vector<IpAddress>> resolve_name(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return plain_error("cannot resolve " + host + ": " +
                       (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc)));
  }
  std::vector<IpAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const IpAddress address = IpAddress::from_sockaddr(ai->ai_addr);
    if (address.family == AF_UNSPEC) continue;
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return plain_error("cannot resolve " + host + ": no address");
  return out;
}

// Header values and log lines never carry a line break from a rule's text.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

// One connection attempt: the checked addresses, tried in order.
struct Dial {
  std::string host;
  std::uint16_t port = 0;
  std::string what;
  std::vector<IpAddress> addresses;
  std::size_t next = 0;
  std::optional<asio::ip::tcp::socket> socket;
  std::optional<asio::steady_timer> timer;
  asio::error_code last_error;
  bool timed_out = false;
  std::function<void(std::optional<asio::ip::tcp::socket>, std::optional<Refusal>)> done;
};

Engine::Engine(ProxyConfig config) : config_(std::move(config)) {}

Engine::~Engine() { stop(); }

Status Engine::start() {
  if (started_ || stopped_) return plain_error("the egress proxy was already started");
  for (const auto& c : config_.credentials) {
    if (c.placeholder.empty()) return plain_error("a credential has an empty placeholder");
    if (!is_header_name(c.header)) {
      return plain_error("credential header '" + one_line(c.header) + "' is not a header name");
    }
    // The secret goes into a header line: a line break in it would let it
    // write headers of its own.
    if (c.secret.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return plain_error("the secret for credential header " + c.header +
                         " contains a line break or NUL");
    }
    std::vector<std::string> patterns;
    for (const auto& h : c.hosts) {
      auto p = canonical_pattern(h);
      if (!p) return plain_error("credential host '" + one_line(h) + "': " + p.error().what());
      patterns.push_back(std::move(p.value()));
    }
    credential_patterns_.push_back(std::move(patterns));
  }
  for (auto& [name, address] : config_.resolve) {
    auto c = canonical_host(name);
    if (!c) return plain_error("resolve override '" + one_line(name) + "': " + c.error().what());
    name = std::move(c.value());
  }
  // Thousands of connections need thousands of descriptors (two per relayed
  // connection, plus pipes while bytes are in flight): the supervisor lifts
  // its soft limit to the hard one, which any process may do.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  auto add = [this](std::vector<UniqueFd>& fds, bool socks) -> Status {
    for (auto& fd : fds) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return sys_error("egress listener: getsockname");
      }
      const auto protocol = ss.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
      auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(*io_);
      asio::error_code ec;
      acceptor->assign(protocol, fd.get(), ec);
      if (ec) return Error{ec.value(), "egress listener: cannot use the listening socket"};
      fd.release();
      accept_loop(*acceptor, socks);
      acceptors_.push_back(std::move(acceptor));
    }
    fds.clear();
    return ok_status();
  };
  CORDON_TRY(add(http_listeners, false));
  CORDON_TRY(add(socks_listeners, true));
  started_ = true;
  loop_ = std::thread([this] {
    auto work = asio::make_work_guard(*io_);
    io_->run();
  });
  return ok_status();
}

void Engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    io_->stop();
    loop_.join();
  }
  // Threads that post back to the loop finish before the loop goes away. A
  // question in progress is waited for (the caller's ask returns).
  resolvers_.join();
  asker_.join();
  acceptors_.clear();
  // Destroying the loop destroys every pending handler, and with them the
  // sessions and relays they own: every socket closes here.
  io_.reset();
}

void Engine::accept_loop(asio::ip::tcp::acceptor& acceptor, bool socks) {
  acceptor.async_accept(
      [this, &acceptor, socks](const asio::error_code& ec, asio::ip::tcp::socket client) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of descriptors (EMFILE) or a connection that died in the
          // queue: try again shortly instead of spinning.
          auto timer = std::make_shared<asio::steady_timer>(*io_, std::chrono::milliseconds(50));
          timer->async_wait([this, &acceptor, socks, timer](const asio::error_code& error) {
            if (!error) accept_loop(acceptor, socks);
          });
          return;
        }
        asio::error_code ignored;
        client.set_option(asio::ip::tcp::no_delay(true), ignored);
        if (socks) {
          start_socks_session(*this, std::move(client));
        } else {
          start_http_session(*this, std::move(client));
        }
        accept_loop(acceptor, socks);
      });
}

void Engine::authorize(const Request& request, std::string what,
                       std::function<void(std::optional<Refusal>)> done) {
  const Decision d = decide(config_.rules, request);
  if (d.verdict == Verdict::Allow) {
    log("allow " + what + " [" + d.rule + "]");
    done(std::nullopt);
    return;
  }
  if (d.verdict == Verdict::Deny || !config_.ask) {
    const std::string reason =
        d.verdict == Verdict::Deny ? d.reason : d.reason + " (asked, with no one to answer: deny)";
    log("deny " + what + ": " + reason + " [" + d.rule + "]");
    record(what, reason);
    done(Refusal{Refusal::Policy, d.rule, reason});
    return;
  }
  // The question may take as long as the person takes: off the loop, one at
  // a time, and the answer comes back to the loop.
  asio::post(asker_, [this, request, what = std::move(what), d, done = std::move(done)]() mutable {
    const Verdict answer = config_.ask(request, d.reason);
    asio::post(*io_, [this, answer, what = std::move(what), d, done = std::move(done)] {
      if (answer == Verdict::Allow) {
        log("allow " + what + " (asked) [" + d.rule + "]");
        done(std::nullopt);
        return;
      }
      const std::string reason = d.reason + " (asked: denied)";
      log("deny " + what + ": " + reason + " [" + d.rule + "]");
      record(what, reason);
      done(Refusal{Refusal::Policy, d.rule, reason});
    });
  });
}

void Engine::connect(
    const std::string& host, std::uint16_t port, std::string what,
    std::function<void(std::optional<asio::ip::tcp::socket>, std::optional<Refusal>)> done) {
  auto dial = std::make_shared<Dial>();
  dial->host = host;
  dial->port = port;
  dial->what = std::move(what);
  dial->done = std::move(done);

  // Checks every address, then connects; runs on the loop.
  auto check = [this](const std::shared_ptr<Dial>& d) {
    for (const auto& address : d->addresses) {
      const Decision c = check_address(config_.rules, d->host, address);
      if (c.verdict != Verdict::Allow) {
        log("deny " + d->what + ": " + c.reason + " [" + c.rule + "]");
        record(d->what, c.reason);
        d->done(std::nullopt, Refusal{Refusal::Policy, c.rule, c.reason});
        return;
      }
    }
    connect_next(d);
  };

  for (const auto& [name, address] : config_.resolve) {
    if (name == host) dial->addresses.push_back(address);
  }
  if (dial->addresses.empty() && is_ip_literal(host)) {
    if (auto literal = IpAddress::parse(host)) dial->addresses.push_back(*literal);
  }
  if (!dial->addresses.empty()) {
    check(dial);
    return;
  }
  // Resolved once, here; the proxy connects to what it checked and never
  // asks the resolver again for this connection.
  asio::post(resolvers_, [this, dial, check] {
    auto addresses = resolve_name(dial->host);
    asio::post(*io_, [this, dial, check, addresses = std::move(addresses)]() mutable {
      if (!addresses) {
        log("fail " + dial->what + ": " + addresses.error().what());
        dial->done(std::nullopt, Refusal{Refusal::Unresolved, "", addresses.error().what()});
        return;
      }
      dial->addresses = std::move(addresses.value());
      check(dial);
    });
  });
}

void Engine::connect_next(const std::shared_ptr<Dial>& dial) {
  if (dial->next >= dial->addresses.size()) {
    Refusal r{Refusal::Unreachable, "",
              "cannot connect to " + dial->host + " port " + std::to_string(dial->port) + ": " +
                  dial->last_error.message()};
    r.timed_out = dial->last_error == asio::error::timed_out;
    r.refused = dial->last_error == asio::error::connection_refused;
    log("fail " + dial->what + ": " + r.reason);
    dial->done(std::nullopt, std::move(r));
    return;
  }
  const auto endpoint = to_endpoint(dial->addresses[dial->next++], dial->port);
  dial->socket.emplace(*io_);
  dial->timer.emplace(*io_, kConnectTimeout);
  dial->timed_out = false;
  dial->timer->async_wait([dial](const asio::error_code& ec) {
    if (ec) return;
    dial->timed_out = true;
    asio::error_code ignored;
    dial->socket->close(ignored);
  });
  dial->socket->async_connect(endpoint, [this, dial](const asio::error_code& ec) {
    dial->timer->cancel();
    if (ec || dial->timed_out) {
      dial->last_error = dial->timed_out ? asio::error::timed_out : ec;
      connect_next(dial);
      return;
    }
    asio::error_code ignored;
    dial->socket->set_option(asio::ip::tcp::no_delay(true), ignored);
    auto socket = std::move(*dial->socket);
    dial->socket.reset();
    dial->done(std::move(socket), std::nullopt);
  });
}

std::vector<const Credential*> Engine::credentials_for(std::string_view host) const {
  std::vector<const Credential*> out;
  for (std::size_t i = 0; i < config_.credentials.size(); ++i) {
    for (const auto& pattern : credential_patterns_[i]) {
      if (host_matches(pattern, host)) {
        out.push_back(&config_.credentials[i]);
        break;
      }
    }
  }
  return out;
}

void Engine::record(const std::string& what, const std::string& reason) {
  const std::lock_guard lock(blocked_mutex_);
  for (auto& b : blocked_) {
    if (b.what == what && b.reason == reason) {
      ++b.count;
      return;
    }
  }
  blocked_.push_back({what, reason, 1});
}

void Engine::log(const std::string& line) const {
  if (config_.log) config_.log("egress: " + one_line(line));
}

std::vector<Blocked> Engine::blocked() const {
  const std::lock_guard lock(blocked_mutex_);
  return blocked_;
}

// --- Proxy: the public face of the engine.

Proxy::Proxy(ProxyConfig config) : engine_(std::make_unique<Engine>(std::move(config))) {}
Proxy::~Proxy() { stop(); }
void Proxy::add_http_listener(UniqueFd listening) {
  engine_->http_listeners.push_back(std::move(listening));
}
void Proxy::add_socks_listener(UniqueFd listening) {
  engine_->socks_listeners.push_back(std::move(listening));
}
Status Proxy::start() { return engine_->start(); }
void Proxy::stop() { engine_->stop(); }
std::vector<Blocked> Proxy::blocked() const { return engine_->blocked(); }

}  // namespace cordon::egress
