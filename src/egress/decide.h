// The one decision of the egress proxy, for every entry point (HTTP CONNECT,
// plain HTTP forwarding, SOCKS5): deny list, then allow list, then ask, else
// deny. Pure: the proxy canonicalises the host (host.h), calls decide()
// before resolving, then check_address() on the address it will connect to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/address.h"

namespace cordon::egress {

enum class Verdict { Allow, Deny, Ask };
enum class Entry { HttpConnect, HttpForward, Socks5 };

struct HostRule {
  std::string pattern;                     // canonical host or "*.suffix" (canonical_pattern)
  std::vector<uint16_t> ports;             // empty = any (allow rules: Rules::default_ports)
  std::vector<std::string> methods;        // plain HTTP only; empty = any; compared exactly
  std::vector<std::string> path_prefixes;  // plain HTTP only; empty = any
  std::string origin;                      // "file:line" or "--allow-domain", for messages
};

struct Rules {
  std::vector<HostRule> allow, deny, ask;
  std::vector<Cidr> open_ranges;        // addresses the range check lets through
  std::vector<uint16_t> default_ports;  // when an allow rule has no ports: empty = any
};

struct Request {
  Entry entry = Entry::HttpConnect;
  std::string host;  // canonical
  uint16_t port = 0;
  std::string method;  // plain HTTP only: empty for CONNECT and SOCKS
  std::string path;    // plain HTTP only (origin-form, may carry "?query")
};

struct Decision {
  Verdict verdict = Verdict::Deny;
  // Which rule decided, with its origin ("allow *.github.com (policy.toml:3)"),
  // or "no rule".
  std::string rule;
  std::string reason;  // a sentence for the 403 body and the log
};

// Deny rules first: a deny rule whose host matches denies, limited to its
// ports, methods and paths when it has any. Then allow rules: host, port,
// method and path must all match; a rule whose host matches but whose port,
// method or path does not gives Deny naming that rule. Then ask rules (same
// matching as allow). Else Deny: "no allow rule for HOST". An empty allow
// list allows nothing.
//
// A rule limited to methods or paths cannot be checked inside a CONNECT
// tunnel or a SOCKS connection (the bytes are opaque): for those entries such
// an allow or ask rule does not allow, and such a deny rule denies.
Decision decide(const Rules& rules, const Request& request);

// The range check after resolution: Allow for a public address; for any other
// range Deny with reason "resolves to 169.254.169.254 (link-local)", unless an
// open range contains the address or an allow rule's pattern is that exact IP
// literal (an IPv4-mapped IPv6 address counts as its IPv4 address). Before
// all that, a deny rule whose pattern is that exact address (and that has no
// ports, methods or paths) denies, whatever the range.
Decision check_address(const Rules& rules, const std::string& host, const IpAddress& resolved);

// The path used for path-prefix rules: percent-encoded unreserved characters
// decoded (and other escapes' hex digits uppercased), "." and ".." segments
// resolved, "//" collapsed, the query and fragment dropped. Refused (nullopt,
// with the reason in *why when given): not starting with '/', bytes outside
// the URI path alphabet (controls, space, non-ASCII, '\'), invalid escapes,
// an encoded '/', '\' or NUL (%2F, %5C, %00), double encoding ("%25" followed
// by two hex digits), ".." above the root, and "..;" or ".;" segments (the
// Tomcat path-parameter trick). An empty path is "/".
std::optional<std::string> normalize_path(std::string_view path, std::string* why = nullptr);

// Whether a normalised path is under a prefix: "/api" matches "/api" and
// "/api/x" but not "/apikeys"; "/api/" matches "/api/x" only.
bool path_has_prefix(std::string_view path, std::string_view prefix);

std::string_view verdict_name(Verdict verdict);  // "allow", "deny", "ask"
std::string_view entry_name(Entry entry);        // "CONNECT", "HTTP", "SOCKS5"

}  // namespace cordon::egress
