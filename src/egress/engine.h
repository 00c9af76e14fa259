// What the proxy's sessions share: the event loop, the configuration, the
// decision with its question, resolution and connection, the pipe pool, and
// the record of refusals. Internal to the proxy (it includes Asio).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "egress/asio.h"
#include "egress/decide.h"
#include "egress/proxy.h"
#include "egress/relay.h"

namespace cordon::egress {

// Limits and timeouts of the proxy's client side (the sandbox) and server side.
inline constexpr auto kHandshakeTimeout = std::chrono::seconds(30);  // a request head, SOCKS
inline constexpr auto kConnectTimeout = std::chrono::seconds(10);    // per address tried

// Why a connection or request was not carried out.
struct Refusal {
  enum Kind {
    Policy,       // a rule, the address check, the tunnel check, a credential: 403, SOCKS 2
    Unresolved,   // the name does not resolve: 502, SOCKS 4
    Unreachable,  // no address accepted the connection: 502 / 504, SOCKS 5 or 4
  } kind = Policy;
  std::string rule;    // X-Cordon-Denied: which rule decided ("no rule" when none)
  std::string reason;  // a sentence for the client, the log and blocked()
  bool timed_out = false;
  bool refused = false;  // Unreachable with ECONNREFUSED
};

struct Dial;  // engine.cc: one connection attempt

class Engine {
 public:
  explicit Engine(ProxyConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Status start();
  void stop();

  asio::io_context& io() { return *io_; }
  PipePool& pipes() { return pipes_; }
  const ProxyConfig& config() const { return config_; }

  // The decision for a request whose host is already canonical: decide(),
  // then the question for an ask (off the loop). Calls done on the loop with
  // nullopt (allowed) or the refusal. Logs the decision; a refusal is also
  // recorded in blocked() under `what`.
  void authorize(const Request& request, std::string what,
                 std::function<void(std::optional<Refusal>)> done);

  // Resolves host (the overrides first, then getaddrinfo off the loop),
  // checks every address with check_address() (one refused address refuses
  // the name: a name that resolves partly to 127.0.0.1 is a rebinding
  // attempt), then connects to the checked addresses in order. Refusals are
  // logged and, when by policy, recorded under `what`.
  void connect(
      const std::string& host, std::uint16_t port, std::string what,
      std::function<void(std::optional<asio::ip::tcp::socket>, std::optional<Refusal>)> done);

  // Which credentials are bound to a canonical host.
  std::vector<const Credential*> credentials_for(std::string_view host) const;

  void record(const std::string& what, const std::string& reason);
  void log(const std::string& line) const;
  std::vector<Blocked> blocked() const;

  std::vector<UniqueFd> http_listeners, socks_listeners;

 private:
  void accept_loop(asio::ip::tcp::acceptor& acceptor, bool socks);
  void connect_next(const std::shared_ptr<Dial>& dial);

  ProxyConfig config_;
  std::vector<std::vector<std::string>> credential_patterns_;  // canonical, per credential
  std::unique_ptr<asio::io_context> io_ = std::make_unique<asio::io_context>(1);
  // 1 MiB pipes: a splice moves up to 1 MiB per call, and the relay then
  // reached its best ratio to direct loopback (bench/RESULTS.md, Egress).
  // Pipes are taken only while bytes are in flight, so an unprivileged
  // supervisor stays inside /proc/sys/fs/pipe-user-pages-soft (64 MiB) up to
  // ~64 tunnels moving data at the same instant; past it the kernel gives
  // smaller pipes, and the relay still works, with more calls per byte.
  PipePool pipes_{16, 1 << 20};
  asio::thread_pool resolvers_{4};
  asio::thread_pool asker_{1};  // one question at a time
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::thread loop_;
  bool started_ = false, stopped_ = false;

  mutable std::mutex blocked_mutex_;
  std::vector<Blocked> blocked_;
};

// The sessions, one per accepted connection (session_http.cc, session_socks.cc).
void start_http_session(Engine& engine, asio::ip::tcp::socket client);
void start_socks_session(Engine& engine, asio::ip::tcp::socket client);

// What the first bytes of a tunnel (CONNECT, SOCKS5) must be (tunnel.cc).
Gate tunnel_gate(Engine& engine, std::string host, std::uint16_t port, const std::string& what);

}  // namespace cordon::egress
