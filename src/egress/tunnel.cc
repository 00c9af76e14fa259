// What the first bytes of a tunnel (HTTP CONNECT or SOCKS5 CONNECT) must be.
//
// The decision was made on the host the client named; inside the tunnel the
// bytes are opaque, except for the first ones. A TLS client names its server
// in the ClientHello (SNI), in clear: "CONNECT allowed.com:443" followed by a
// ClientHello for evil.com is domain fronting (a CDN serving both routes on
// the SNI), so the SNI must be the CONNECT host.
//
// The rules, and why:
//   - TLS with an SNI: the canonical SNI must equal the canonical host. On a
//     tunnel to an IP literal any SNI is a name the policy never checked:
//     refused.
//   - TLS without an SNI: allowed to an IP literal (nothing to compare);
//     refused to a name (a CDN answers it with a default site the policy
//     did not name).
//   - not TLS, to port 443: refused (whatever it is, it is not what 443 is
//     allowed for, and it could be a fronting attempt in another protocol).
//   - not TLS, to port 80: refused. Plain HTTP goes through the proxy as
//     requests (absolute form), where each one is decided on method and
//     path, its Host is checked and credentials are bound; inside a tunnel
//     none of that would apply. (ws:// through a proxy uses such a tunnel and
//     is therefore not supported; wss:// is.)
//   - not TLS, to a host bound to a credential: refused, for the same reason
//     (the binding could not be enforced).
//   - not TLS, any other port the policy allowed (22 for git over SSH, a
//     database, ...): allowed. A server that speaks first (SSH, SMTP) is
//     answered at the client's pace: the gate waits for the client's bytes.
#include <utility>

#include "egress/engine.h"
#include "egress/host.h"
#include "egress/tls.h"

namespace cordon::egress {

Gate tunnel_gate(Engine& engine, std::string host, std::uint16_t port, const std::string& what) {
  const bool to_ip = is_ip_literal(host);
  const bool bound = !engine.credentials_for(host).empty();
  auto refuse = [&engine, what](std::string reason) {
    engine.log("deny " + what + ": " + reason + " [tunnel check]");
    engine.record(what, reason);
    return GateVerdict{GateVerdict::Refuse, std::move(reason)};
  };
  return [host = std::move(host), port, to_ip, bound, refuse](std::string_view first,
                                                              bool eof) -> GateVerdict {
    if (first.empty() && eof) return {GateVerdict::Pass, ""};  // closed without a word
    const Sni sni = parse_client_hello_sni(first);
    switch (sni.status) {
      case Sni::Incomplete:
        if (eof) return refuse("the client closed in the middle of its TLS ClientHello");
        return {GateVerdict::NeedMore, ""};
      case Sni::Invalid: return refuse("malformed TLS ClientHello: " + sni.detail);
      case Sni::NoSni:
        if (to_ip) return {GateVerdict::Pass, ""};
        return refuse("TLS ClientHello without a server name (SNI) on a tunnel to " + host);
      case Sni::Found: {
        auto name = canonical_host(sni.host);
        if (!name) return refuse("TLS server name is not a valid host: " + name.error().what());
        if (to_ip) {
          return refuse("TLS server name " + name.value() + " on a tunnel to the address " + host);
        }
        if (name.value() != host) {
          return refuse("TLS server name " + name.value() + " differs from the tunnel's host " +
                        host + " (domain fronting)");
        }
        return {GateVerdict::Pass, ""};
      }
      case Sni::NotTls:
        if (port == 443) return refuse("not TLS on a tunnel to port 443");
        if (port == 80) {
          return refuse(
              "plain text in a tunnel to port 80: send http:// requests to the proxy as requests, "
              "where each is checked");
        }
        if (bound) return refuse("plain text in a tunnel to " + host + ", bound to a credential");
        return {GateVerdict::Pass, ""};
    }
    return refuse("unreachable");
  };
}

}  // namespace cordon::egress
