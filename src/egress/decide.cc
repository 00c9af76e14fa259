#include "egress/decide.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "egress/host.h"

namespace cordon::egress {
namespace {

std::string rule_name(std::string_view kind, const HostRule& rule) {
  if (rule.origin.empty()) return fmt::format("{} {}", kind, rule.pattern);
  return fmt::format("{} {} ({})", kind, rule.pattern, rule.origin);
}

std::string join_ports(const std::vector<uint16_t>& ports) {
  return fmt::format("{}", fmt::join(ports, ", "));
}

bool has_port(const std::vector<uint16_t>& ports, uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

bool has_method(const std::vector<std::string>& methods, std::string_view method) {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string_view opaque_what(Entry entry) {
  return entry == Entry::Socks5 ? "a SOCKS5 connection" : "a CONNECT tunnel";
}

// The request's path, normalised once per decision and only when a rule
// has path prefixes.
class PathCache {
 public:
  explicit PathCache(const std::string& raw) : raw_(raw) {}
  const std::optional<std::string>& get() {
    if (!done_) {
      normalised_ = normalize_path(raw_, &why_);
      done_ = true;
    }
    return normalised_;
  }
  [[nodiscard]] const std::string& why() const { return why_; }

 private:
  const std::string& raw_;
  bool done_ = false;
  std::optional<std::string> normalised_;
  std::string why_;
};

bool under_any_prefix(std::string_view path, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    // A prefix is compared in the same normal form as the path; one that
    // has none ("/a/%2F") can never match.
    auto normal = normalize_path(prefix);
    if (normal && path_has_prefix(path, *normal)) return true;
  }
  return false;
}

// Why an allow or ask rule whose host matches does not let this request
// through, or nullopt when it does. `ports` is the rule's ports, or the
// default ports for an allow rule without any.
std::optional<std::string> mismatch(const HostRule& rule, std::string_view kind,
                                    const std::vector<uint16_t>& ports, const Request& request,
                                    PathCache& path) {
  std::string name = rule_name(kind, rule);
  if (!ports.empty() && !has_port(ports, request.port)) {
    return fmt::format("port {} is not allowed for {} by {}, which allows {} {}", request.port,
                       request.host, name, ports.size() == 1 ? "port" : "ports", join_ports(ports));
  }
  bool limited = !rule.methods.empty() || !rule.path_prefixes.empty();
  if (limited && request.entry != Entry::HttpForward) {
    return fmt::format(
        "{} limits {} to some methods or paths, which cannot be checked inside {}; use plain "
        "HTTP through the proxy, or a rule without methods and paths",
        name, request.host, opaque_what(request.entry));
  }
  if (!rule.methods.empty() && !has_method(rule.methods, request.method)) {
    return fmt::format("method {} is not allowed for {} by {}, which allows {}", request.method,
                       request.host, name, fmt::join(rule.methods, ", "));
  }
  if (!rule.path_prefixes.empty()) {
    const auto& normal = path.get();
    if (!normal) {
      return fmt::format("path of the request to {} is refused by {}: {}", request.host, name,
                         path.why());
    }
    if (!under_any_prefix(*normal, rule.path_prefixes)) {
      return fmt::format("path {} is not allowed for {} by {}, which allows paths under {}",
                         *normal, request.host, name, fmt::join(rule.path_prefixes, ", "));
    }
  }
  return std::nullopt;
}

// Whether a deny rule whose host matches applies to this request, with the
// reason when it does.
std::optional<std::string> deny_applies(const HostRule& rule, const Request& request,
                                        PathCache& path) {
  std::string name = rule_name("deny", rule);
  if (!rule.ports.empty() && !has_port(rule.ports, request.port)) return std::nullopt;
  bool limited = !rule.methods.empty() || !rule.path_prefixes.empty();
  if (limited && request.entry != Entry::HttpForward) {
    // The methods and paths inside a tunnel are not visible: fail closed.
    return fmt::format(
        "{}:{} is denied by {} for some methods or paths, which cannot be told "
        "apart inside {}",
        request.host, request.port, name, opaque_what(request.entry));
  }
  if (!rule.methods.empty() && !has_method(rule.methods, request.method)) return std::nullopt;
  if (!rule.path_prefixes.empty()) {
    const auto& normal = path.get();
    if (!normal) {
      // A path that has no normal form could be a way around the deny rule.
      return fmt::format("path of the request to {} is refused by {}: {}", request.host, name,
                         path.why());
    }
    if (!under_any_prefix(*normal, rule.path_prefixes)) return std::nullopt;
  }
  return fmt::format("{}:{} is denied by {}", request.host, request.port, name);
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}
// RFC 3986 pchar minus unreserved and '%': sub-delims, ':' and '@'; plus '/'.
bool is_path_delim(unsigned char c) {
  return std::string_view("!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> normalize_path(std::string_view path, std::string* why) {
  auto refuse = [&](std::string reason) -> std::optional<std::string> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  size_t end = path.find_first_of("?#");
  if (end != std::string_view::npos) path = path.substr(0, end);
  if (path.empty()) return "/";
  if (path[0] != '/') return refuse("the path does not start with '/'");

  // Pass 1: one canonical spelling per byte. Unreserved characters are
  // decoded (so "%2e%2e" is seen as ".."), every other escape keeps its
  // meaning with upper-case hex, and the characters a path may not hold
  // raw are escaped, so that "/a{b" and "/a%7Bb" compare equal.
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<unsigned char>(path[i]);
    if (c == '%') {
      if (i + 2 >= path.size()) return refuse("the path ends in an incomplete escape");
      if (!is_hex(path[i + 1]) || !is_hex(path[i + 2])) {
        return refuse(fmt::format("invalid escape at offset {} of the path", i));
      }
      auto v = static_cast<unsigned char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
      i += 2;
      if (v == '/') return refuse("the path holds an encoded '/' (%2F)");
      if (v == '\\') return refuse("the path holds an encoded '\\' (%5C)");
      if (v == 0) return refuse("the path holds an encoded NUL (%00)");
      if (v == 0xc0 || v == 0xc1) {
        return refuse("the path holds an overlong UTF-8 lead byte (%C0 or %C1)");
      }
      if (is_unreserved(v)) {
        decoded += static_cast<char>(v);
      } else {
        decoded += fmt::format("%{:02X}", v);
      }
      continue;
    }
    if (c == 0) return refuse("the path holds a NUL byte");
    if (c < 0x20 || c == 0x7f)
      return refuse(fmt::format("the path holds control byte 0x{:02x}", c));
    if (c == ' ') return refuse("the path holds a space");
    if (c >= 0x80) return refuse("the path holds a non-ASCII byte (not percent-encoded)");
    if (c == '\\') return refuse("the path holds a '\\' (some servers read it as '/')");
    if (is_unreserved(c) || is_path_delim(c)) {
      decoded += static_cast<char>(c);
    } else {
      decoded += fmt::format("%{:02X}", c);
    }
  }

  // Double encoding, checked on the decoded text: "%25" followed by two hex
  // digits is "%XX" to a server that decodes twice, and the digits may
  // themselves have been escaped ("%252%46" is "%252F" after pass 1, so "/"
  // after two decodings).
  for (size_t at = decoded.find("%25"); at != std::string::npos; at = decoded.find("%25", at + 1)) {
    if (at + 4 < decoded.size() && is_hex(decoded[at + 3]) && is_hex(decoded[at + 4])) {
      return refuse("the path is encoded twice (\"%25\" followed by hex digits)");
    }
  }

  // Pass 2: segments. Empty ones ("//") collapse, "." goes, ".." removes
  // the segment before it; a trailing "/", "." or ".." leaves a trailing
  // '/'. ".." above the root is refused rather than clamped: a client has no
  // honest reason to send it.
  std::vector<std::string_view> segments;
  std::string_view rest = std::string_view(decoded).substr(1);
  bool trailing = false;
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    std::string_view before_params = segment.substr(0, segment.find(';'));
    if (segment.size() != before_params.size() && (before_params == "." || before_params == "..")) {
      // Tomcat and others drop ";params" before resolving dot segments:
      // "/allowed/..;/secret" is "/secret" to them.
      return refuse(
          fmt::format("the path holds a \"{}\" segment (a dot segment with parameters)", segment));
    }
    if (segment == "..") {
      if (segments.empty()) return refuse("the path goes above the root with \"..\"");
      segments.pop_back();
      trailing = last;
    } else if (segment == "." || segment.empty()) {
      trailing = last && !segments.empty();
    } else {
      segments.push_back(segment);
      trailing = false;
    }
    if (last) break;
    rest = rest.substr(slash + 1);
  }
  std::string out;
  for (auto segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing) out += '/';
  return out;
}

bool path_has_prefix(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  if (prefix.back() == '/') return true;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

Decision decide(const Rules& rules, const Request& request) {
  PathCache path(request.path);

  for (const auto& rule : rules.deny) {
    if (!host_matches(rule.pattern, request.host)) continue;
    if (auto reason = deny_applies(rule, request, path)) {
      return {Verdict::Deny, rule_name("deny", rule), std::move(*reason)};
    }
  }

  std::optional<Decision> refused;
  for (const auto& rule : rules.allow) {
    if (!host_matches(rule.pattern, request.host)) continue;
    const auto& ports = rule.ports.empty() ? rules.default_ports : rule.ports;
    auto why = mismatch(rule, "allow", ports, request, path);
    if (!why) {
      return {Verdict::Allow, rule_name("allow", rule),
              fmt::format("{}:{} is allowed by {}", request.host, request.port,
                          rule_name("allow", rule))};
    }
    if (!refused) refused = Decision{Verdict::Deny, rule_name("allow", rule), std::move(*why)};
  }
  // A host the allow list names, but not with this port, method or path:
  // the allow rule is the more specific statement, so ask is not consulted.
  if (refused) return *refused;

  for (const auto& rule : rules.ask) {
    if (!host_matches(rule.pattern, request.host)) continue;
    if (!mismatch(rule, "ask", rule.ports, request, path)) {
      return {Verdict::Ask, rule_name("ask", rule),
              fmt::format("{}:{} needs approval by {}", request.host, request.port,
                          rule_name("ask", rule))};
    }
  }
  return {Verdict::Deny, "no rule", fmt::format("no allow rule for {}", request.host)};
}

// The host is in the signature for the caller's log line; every reason here
// speaks of the address only ("resolves to 127.0.0.1 (loopback)").
Decision check_address(const Rules& rules, const std::string& /*host*/, const IpAddress& resolved) {
  Range range = classify(resolved);
  IpAddress plain = resolved.unmapped();
  // A deny rule naming this very address (with no port, method or path
  // limits, which are not known here) denies every name that resolves to
  // it, public or not: "deny 203.0.113.7" means the address.
  for (const auto& rule : rules.deny) {
    if (!rule.ports.empty() || !rule.methods.empty() || !rule.path_prefixes.empty()) continue;
    auto literal = IpAddress::parse(rule.pattern);
    if (literal && literal->unmapped() == plain) {
      return {Verdict::Deny, rule_name("deny", rule),
              fmt::format("resolves to {} ({}), which is denied by {}", resolved.str(),
                          range_name(range), rule_name("deny", rule))};
    }
  }
  if (range == Range::Public) {
    return {Verdict::Allow, "no rule", fmt::format("resolves to {} (public)", resolved.str())};
  }
  for (const auto& cidr : rules.open_ranges) {
    if (cidr.contains(resolved)) {
      return {Verdict::Allow, fmt::format("open range {}", cidr.str()),
              fmt::format("resolves to {} ({}), opened by the range {}", resolved.str(),
                          range_name(range), cidr.str())};
    }
  }
  for (const auto& rule : rules.allow) {
    auto literal = IpAddress::parse(rule.pattern);
    if (literal && literal->unmapped() == plain) {
      return {Verdict::Allow, rule_name("allow", rule),
              fmt::format("resolves to {} ({}), opened by {}", resolved.str(), range_name(range),
                          rule_name("allow", rule))};
    }
  }
  return {Verdict::Deny, "no rule",
          fmt::format("resolves to {} ({})", resolved.str(), range_name(range))};
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::Allow: return "allow";
    case Verdict::Deny: return "deny";
    case Verdict::Ask: return "ask";
  }
  return "deny";
}

std::string_view entry_name(Entry entry) {
  switch (entry) {
    case Entry::HttpConnect: return "CONNECT";
    case Entry::HttpForward: return "HTTP";
    case Entry::Socks5: return "SOCKS5";
  }
  return "?";
}

}  // namespace cordon::egress
