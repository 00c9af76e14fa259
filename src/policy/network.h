// The [network] section: host patterns, address ranges, name overrides,
// per-host limits and credential bindings, checked as they are read, and
// turned into the egress proxy's rules (src/egress/decide.h).
//
// Host names are canonicalised by the proxy's own function
// (egress::canonical_host), so that a pattern means exactly what the proxy
// will compare it with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "egress/address.h"
#include "egress/decide.h"
#include "policy/policy.h"

namespace cordon::policy {

// One entry of network.allow / deny / ask: "example.com", "*.example.com",
// "example.com:443", "10.1.2.3:8080", "[::1]:8080" or "::1". The host comes
// back canonical ("*.suffix", or a canonical name or address). "*" alone is
// refused: allowing every host is not a pattern.
struct HostPattern {
  std::string host;
  std::optional<uint16_t> port;
};
Result<HostPattern> parse_host_pattern(std::string_view text);
Status check_host_pattern(std::string_view text);

// "10.0.0.0/8", "fd00::/8", or one address (a /32 or /128).
Result<egress::Cidr> parse_address_range(std::string_view text);
Status check_address_range(std::string_view text);

// "name=address": the proxy resolves `name` (canonical) to `address`.
Result<std::pair<std::string, egress::IpAddress>> parse_resolve_entry(std::string_view text);
Status check_resolve_entry(std::string_view text);

// An HTTP method token as RFC 9110 defines it, upper case ("GET", "POST").
Status check_method(std::string_view method);
// A path prefix: starts with "/", no control bytes, no space.
Status check_path_prefix(std::string_view path);
// A header name token ("Authorization", "X-Api-Key").
Status check_header_name(std::string_view name);
// An environment variable name ([A-Za-z_][A-Za-z0-9_]*).
Status check_variable_name(std::string_view name);

// Limits and credentials across layers (merge.cc calls this): limits from
// every layer apply (they only tighten); a credential from an untrusted
// project is dropped and recorded; of two bindings of one name, the higher
// layer's wins and the other is recorded as not applied.
void merge_network_tables(const std::vector<Policy>& layers, bool trust_project, Policy& out);

// The proxy's rules for the effective policy. Limits narrow the allow and
// ask entries whose host they name (the same pattern after
// canonicalisation); deny entries are never narrowed by them.
egress::Rules egress_rules(const Network& network);
// The name overrides, canonical.
std::vector<std::pair<std::string, egress::IpAddress>> egress_overrides(const Network& network);

}  // namespace cordon::policy
