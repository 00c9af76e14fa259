#include "egress/address.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <cstring>

namespace cordon::egress {
namespace {

using Bytes = std::array<uint8_t, 16>;

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress out;
  out.family = AF_INET;
  out.bytes[0] = a;
  out.bytes[1] = b;
  out.bytes[2] = c;
  out.bytes[3] = d;
  return out;
}

// Strict dotted decimal: four parts, each 0..255 in decimal without a
// leading zero. inet_aton's other forms are what SSRF filters get wrong.
std::optional<IpAddress> parse_v4(std::string_view text) {
  IpAddress out;
  out.family = AF_INET;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
    size_t start = i;
    unsigned value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && text[start] == '0')) return std::nullopt;
    out.bytes[part] = static_cast<uint8_t>(value);
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

// Whether the first `bits` bits of a and b are equal.
bool prefix_equal(const Bytes& a, const Bytes& b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// An IPv6 prefix written as its leading bytes.
struct Prefix6 {
  std::array<uint8_t, 16> bytes;
  int bits;
};
bool in6(const IpAddress& a, const Prefix6& p) { return prefix_equal(a.bytes, p.bytes, p.bits); }

constexpr Prefix6 kMapped{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96};      // ::ffff:0:0/96
constexpr Prefix6 kTranslated{{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96};  // ::ffff:0:0:0/96
constexpr Prefix6 kCompatible{{}, 96};                                          // ::/96
constexpr Prefix6 kNat64{{0, 0x64, 0xff, 0x9b}, 96};                            // 64:ff9b::/96
constexpr Prefix6 kSixToFour{{0x20, 0x02}, 16};                                 // 2002::/16

Range classify_v4(const IpAddress& a) {
  const auto& b = a.bytes;
  if (b[0] == 0) return Range::Unspecified;  // 0/8: connect() to 0.x reaches this host
  if (b[0] == 10) return Range::Private;
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return Range::Cgnat;  // 100.64/10
  if (b[0] == 127) return Range::Loopback;
  if (b[0] == 169 && b[1] == 254) return Range::LinkLocal;  // cloud metadata lives here
  if (b[0] == 172 && (b[1] & 0xf0) == 16) return Range::Private;
  if (b[0] == 192 && b[1] == 0 && b[2] == 0) return Range::Reserved;    // IETF protocol
  if (b[0] == 192 && b[1] == 0 && b[2] == 2) return Range::Reserved;    // TEST-NET-1
  if (b[0] == 192 && b[1] == 88 && b[2] == 99) return Range::Reserved;  // 6to4 relay
  if (b[0] == 192 && b[1] == 168) return Range::Private;
  if (b[0] == 198 && (b[1] & 0xfe) == 18) return Range::Reserved;        // benchmarking
  if (b[0] == 198 && b[1] == 51 && b[2] == 100) return Range::Reserved;  // TEST-NET-2
  if (b[0] == 203 && b[1] == 0 && b[2] == 113) return Range::Reserved;   // TEST-NET-3
  if ((b[0] & 0xf0) == 224) return Range::Multicast;
  if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return Range::Broadcast;
  if ((b[0] & 0xf0) == 240) return Range::Reserved;
  return Range::Public;
}

Range classify_v6(const IpAddress& a) {
  static constexpr Bytes kZero{};
  static constexpr Bytes kOne{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (a.bytes == kZero) return Range::Unspecified;
  if (a.bytes == kOne) return Range::Loopback;
  // Any IPv6 address that carries an IPv4 address reaches that address
  // (mapped: this host's IPv4 stack; NAT64 and 6to4: a translator or relay),
  // so it is what the IPv4 address is.
  if (auto inner = a.embedded_ipv4()) return classify_v4(*inner);
  const auto& b = a.bytes;
  if ((b[0] & 0xfe) == 0xfc) return Range::Private;                       // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return Range::LinkLocal;     // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return Range::Private;       // fec0::/10 site-local
  if (b[0] == 0xff) return Range::Multicast;                              // ff00::/8
  if (in6(a, {{0x20, 0x01, 0x0d, 0xb8}, 32})) return Range::Reserved;     // documentation
  if (in6(a, {{0x3f, 0xff}, 20})) return Range::Reserved;                 // documentation
  if (in6(a, {{0x20, 0x01, 0, 0}, 32})) return Range::Reserved;           // Teredo: hides an IPv4
  if (in6(a, {{0x20, 0x01, 0, 0x10}, 28})) return Range::Reserved;        // ORCHID
  if (in6(a, {{0x20, 0x01, 0, 0x20}, 28})) return Range::Reserved;        // ORCHIDv2
  if (in6(a, {{0, 0x64, 0xff, 0x9b, 0, 1}, 48})) return Range::Reserved;  // local NAT64
  // Only 2000::/3 is allocated for global unicast; the rest (100::/64
  // discard, ::/8 leftovers, ...) is not somewhere the sandbox should go.
  if ((b[0] & 0xe0) != 0x20) return Range::Reserved;
  return Range::Public;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) return parse_v4(text);
  // inet_pton refuses brackets, zone ids and every lenient form; it needs a
  // NUL-terminated copy, and the longest valid text is 45 bytes.
  if (text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string copy(text);
  IpAddress out;
  out.family = AF_INET6;
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) != 1) return std::nullopt;
  // inet_pton accepts "::ffff:01.2.3.4"? glibc does not; parse the embedded
  // dotted part again with our own rules to be independent of the libc.
  size_t colon = text.rfind(':');
  std::string_view tail = text.substr(colon + 1);
  if (tail.find('.') != std::string_view::npos && !parse_v4(tail)) return std::nullopt;
  return out;
}

IpAddress IpAddress::from_sockaddr(const sockaddr* sa) {
  IpAddress out;
  out.family = AF_UNSPEC;
  if (sa == nullptr) return out;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof(in));
    out.family = AF_INET;
    std::memcpy(out.bytes.data(), &in.sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof(in6));
    out.family = AF_INET6;
    std::memcpy(out.bytes.data(), &in6.sin6_addr, 16);
  }
  return out;
}

std::string IpAddress::str() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return "(no address)";
  inet_ntop(family, bytes.data(), text, sizeof(text));
  return text;
}

void IpAddress::to_sockaddr(uint16_t port, sockaddr_storage* out, socklen_t* len) const {
  std::memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, bytes.data(), 4);
    std::memcpy(out, &in, sizeof(in));
    *len = sizeof(in);
  } else if (family == AF_INET6) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, bytes.data(), 16);
    std::memcpy(out, &in6, sizeof(in6));
    *len = sizeof(in6);
  } else {
    out->ss_family = AF_UNSPEC;
    *len = 0;
  }
}

std::optional<IpAddress> IpAddress::embedded_ipv4() const {
  if (family != AF_INET6) return std::nullopt;
  const auto& b = bytes;
  if (in6(*this, kMapped) || in6(*this, kTranslated) || in6(*this, kNat64)) {
    return v4(b[12], b[13], b[14], b[15]);
  }
  if (in6(*this, kCompatible)) {
    // :: and ::1 are the IPv6 unspecified and loopback addresses, not
    // compatible forms of 0.0.0.0 and 0.0.0.1.
    if (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1) return std::nullopt;
    return v4(b[12], b[13], b[14], b[15]);
  }
  if (in6(*this, kSixToFour)) return v4(b[2], b[3], b[4], b[5]);
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  if (family == AF_INET6 && in6(*this, kMapped)) {
    return v4(bytes[12], bytes[13], bytes[14], bytes[15]);
  }
  return *this;
}

Range classify(const IpAddress& address) {
  if (address.family == AF_INET) return classify_v4(address);
  if (address.family == AF_INET6) return classify_v6(address);
  return Range::Reserved;
}

std::string_view range_name(Range range) {
  switch (range) {
    case Range::Public: return "public";
    case Range::Loopback: return "loopback";
    case Range::Private: return "private";
    case Range::LinkLocal: return "link-local";
    case Range::Cgnat: return "CGNAT";
    case Range::Multicast: return "multicast";
    case Range::Unspecified: return "unspecified";
    case Range::Broadcast: return "broadcast";
    case Range::Reserved: return "reserved";
  }
  return "reserved";
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return plain_error(fmt::format("address range \"{}\": {}", text, why));
  };
  size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return fail(
        "expected an IPv4 address (four decimal numbers 0-255, no leading zeros) or an IPv6 "
        "address, optionally followed by /prefix");
  }
  int max = address->family == AF_INET ? 32 : 128;
  Cidr out{*address, max};
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) {
      return fail(fmt::format("expected a prefix length 0-{} after '/'", max));
    }
    int prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return fail(fmt::format("expected a prefix length 0-{} after '/'", max));
      }
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return fail(fmt::format("prefix length {} is more than {}", prefix, max));
    out.prefix = prefix;
  }
  // Host bits set: "10.0.0.1/8" is more often a typo for 10.0.0.1/32 or
  // 10.0.0.0/8 than a deliberate /8; say which was meant.
  IpAddress net = out.net;
  for (int bit = out.prefix; bit < max; ++bit) {
    net.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (!(net == out.net)) {
    return fail(
        fmt::format("has bits set after the prefix; write {}/{} for the range or {} for "
                    "the one address",
                    net.str(), out.prefix, out.net.str()));
  }
  return out;
}

bool Cidr::contains(const IpAddress& address) const {
  if (net.family == AF_INET) {
    IpAddress a = address.unmapped();
    return a.family == AF_INET && prefix_equal(a.bytes, net.bytes, prefix);
  }
  if (net.family == AF_INET6) {
    IpAddress a = address;
    if (a.family == AF_INET) {  // compare as ::ffff:a.b.c.d
      IpAddress mapped;
      mapped.family = AF_INET6;
      mapped.bytes[10] = mapped.bytes[11] = 0xff;
      std::memcpy(&mapped.bytes[12], a.bytes.data(), 4);
      a = mapped;
    }
    return a.family == AF_INET6 && prefix_equal(a.bytes, net.bytes, prefix);
  }
  return false;
}

std::string Cidr::str() const { return fmt::format("{}/{}", net.str(), prefix); }

}  // namespace cordon::egress
