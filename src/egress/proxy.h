// The egress proxy: the sandbox's only way out (DESIGN.md, Egress).
//
// One event-loop thread serves every connection (HTTP CONNECT, plain HTTP
// forwarding in absolute form, SOCKS5 CONNECT); name resolution and the
// interactive question of an `ask` rule run on threads of their own so that
// neither stalls the loop. Every connection passes the one decision function
// (decide.h) before anything is resolved, and the address check after
// resolution, on the very address the proxy then connects to.
//
// This header does not include Asio: the rest of cordon compiles without it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "egress/address.h"
#include "egress/decide.h"

namespace cordon::egress {

class Engine;  // engine.h: the event loop and what the sessions share

// A secret that only the proxy holds. The sandbox sees `placeholder` (in its
// environment); for a plain-HTTP request to a host matching one of `hosts`,
// the proxy replaces the placeholder inside the value of `header` with
// `secret`. A request to such a host whose `header` carries a value without
// the placeholder (a credential the proxy did not inject: the attacker's own
// key, say) is refused. Sent anywhere else, the placeholder goes as it is:
// it is worth nothing.
struct Credential {
  std::string placeholder;
  std::string secret;
  std::vector<std::string> hosts;  // host patterns: "api.example.com", "*.example.com"
  std::string header;              // e.g. "Authorization"
};

// One line of the end-of-run summary: what was refused, why, how often.
struct Blocked {
  std::string what;    // "CONNECT evil.example:443", "GET http://a.example/x", "SOCKS5 b:22"
  std::string reason;  // "no allow rule for evil.example"
  unsigned count = 0;
};

struct ProxyConfig {
  Rules rules;
  // Name -> address overrides, checked before DNS (tests; split DNS). The
  // address still goes through the range check.
  std::vector<std::pair<std::string, IpAddress>> resolve;
  std::vector<Credential> credentials;
  // Called for Verdict::Ask, off the event-loop thread, one question at a
  // time; returns Allow or Deny. Empty: an ask is a deny. Proxy::stop()
  // waits for a question in progress to return.
  std::function<Verdict(const Request&, const std::string& reason)> ask;
  // One line per decision (the audit trail), on the loop thread. May be empty.
  std::function<void(const std::string& line)> log;
};

class Proxy {
 public:
  explicit Proxy(ProxyConfig config);
  ~Proxy();  // stops and joins
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Listening sockets, already bound and listening (they come from inside the
  // sandbox's network namespace). Add them before start().
  void add_http_listener(UniqueFd listening);
  void add_socks_listener(UniqueFd listening);

  // Checks the configuration (credential patterns, override names, secrets)
  // and starts the event-loop thread. Fails with a sentence naming the bad
  // entry; nothing is started then.
  Status start();
  // Closes the listeners and every connection, joins the threads. Final: a
  // stopped proxy does not start again.
  void stop();

  // Every refusal so far, grouped by what and why, in first-seen order.
  // Thread-safe.
  [[nodiscard]] std::vector<Blocked> blocked() const;

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace cordon::egress
