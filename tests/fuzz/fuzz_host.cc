// canonical_host on arbitrary bytes: never crashes, and what it accepts is
// in the host alphabet and canonicalises to itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "egress/address.h"
#include "egress/host.h"

using namespace cordon::egress;
using cordon::fuzz::check;

namespace {

bool in_alphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto canonical = canonical_host(raw);
  if (canonical.ok()) {
    const std::string& host = *canonical;
    check(!host.empty() && host.size() <= 253);
    bool literal = is_ip_literal(host);
    for (char c : host) check(in_alphabet(c) || (literal && c == ':'));
    check(host.front() != '.' && host.back() != '.');
    auto again = canonical_host(host);
    check(again.ok() && *again == host);
    if (literal) check(IpAddress::parse(host)->str() == host);
    check(host_matches(host, host));
    check(!host_matches("*." + host, host));
    auto pattern = canonical_pattern(host);
    check(pattern.ok() && *pattern == host);
  } else {
    // The reason quotes the input escaped: no raw control byte reaches a log.
    check(!canonical.error().message.empty());
    for (char c : canonical.error().message) check(static_cast<unsigned char>(c) >= 0x20);
  }
  auto pattern = canonical_pattern(raw);
  if (pattern.ok() && pattern->starts_with("*.")) {
    auto suffix = canonical_host(pattern->substr(2));
    check(suffix.ok() && *suffix == pattern->substr(2));
    check(host_matches(*pattern, "a." + pattern->substr(2)));
    check(!host_matches(*pattern, pattern->substr(2)));
  }
  return 0;
}
