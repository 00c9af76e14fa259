// Host names as the egress policy sees them: one canonical text per
// destination, so that a rule and a request can be compared as strings.
//
// Pure functions (libidn2 for IDNA, no resolver, no I/O).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace cordon::egress {

// The canonical form of a host name or address literal, or why it is refused.
//
//   - A name: ASCII lowercased, one trailing dot removed, non-ASCII labels
//     converted to A-labels (IDNA2008 with the UTS #46 mapping,
//     non-transitional: "Bücher.example" -> "xn--bcher-kva.example", full-width
//     dots and letters mapped as browsers do). The result may hold only
//     letters, digits, '-', '_' and '.'; labels are 1..63 bytes, the name at
//     most 253, no label starts or ends with '-', and an "xn--" label must be
//     a valid A-label. Underscore is accepted (it occurs in real host names,
//     e.g. "_dmarc", and means nothing special to a resolver or URL parser).
//   - An IPv4 literal: strict dotted decimal, four parts, 0..255, no leading
//     zero ("127.0.0.1"). Every other numeric form that inet_aton and many URL
//     parsers accept ("2130706433", "127.1", "0x7f.1", "0177.0.0.1") is
//     refused: they are classic SSRF bypasses. A name whose last label is
//     numeric ("example.123") is refused for the same reason.
//   - An IPv6 literal, with or without brackets: returned without brackets,
//     compressed and lowercase ("[0:0::1]" -> "::1"). Zone ids are refused.
//
// Refused with a sentence naming the problem: empty, NUL, control bytes,
// spaces, characters outside the alphabet (after conversion), empty labels,
// over-long labels or names, leading/trailing hyphens, invalid IDNA.
// The conversion runs before the checks: a name that maps to an IP literal
// ("１２７.０.０.１") is treated as that literal.
Result<std::string> canonical_host(std::string_view raw);

// The canonical form of a rule pattern: a canonical host, or "*." followed by
// a canonical name (not an IP literal). "*" alone is refused: allowing every
// host is not a pattern.
Result<std::string> canonical_pattern(std::string_view raw);

// Whether a canonical host matches a canonical pattern: exactly, or, for
// "*.suffix", when host is a strict subdomain of suffix. "*.example.com"
// matches "a.example.com" and "a.b.example.com" but NOT "example.com" itself
// (the convention of Anthropic's sandbox-runtime and Claude Code: list both
// when both are meant). A wildcard never matches an IP literal.
bool host_matches(std::string_view pattern, std::string_view host);

// Whether a canonical host is an IPv4 or IPv6 literal.
bool is_ip_literal(std::string_view canonical);

}  // namespace cordon::egress
