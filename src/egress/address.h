// IP addresses and the ranges the egress proxy refuses to connect to.
//
// The proxy resolves names itself and checks the address it will connect to
// (no second lookup): an allowed name that resolves to 127.0.0.1 or to the
// cloud metadata address is refused here unless a rule opens that range.
// Pure functions (inet_pton/inet_ntop only).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace cordon::egress {

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6 (AF_UNSPEC from an unknown sockaddr)
  // Network byte order. IPv4 uses bytes[0..3]; the rest stays zero.
  std::array<uint8_t, 16> bytes{};

  // Strict text: IPv4 dotted decimal with four parts and no leading zeros,
  // or IPv6 without brackets or zone id. Anything else is nullopt.
  static std::optional<IpAddress> parse(std::string_view text);
  // AF_INET or AF_INET6; any other family gives family AF_UNSPEC.
  static IpAddress from_sockaddr(const sockaddr* sa);
  // "127.0.0.1", "::ffff:127.0.0.1", "2606:4700::1111" (inet_ntop form).
  [[nodiscard]] std::string str() const;
  void to_sockaddr(uint16_t port, sockaddr_storage* out, socklen_t* len) const;

  // The IPv4 address inside an IPv6 address that carries one (mapped
  // ::ffff:0:0/96, translated ::ffff:0:0:0/96, compatible ::/96, NAT64
  // 64:ff9b::/96, 6to4 2002::/16); nullopt for IPv4 and other IPv6.
  [[nodiscard]] std::optional<IpAddress> embedded_ipv4() const;
  // The IPv4 address of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else
  // the address itself.
  [[nodiscard]] IpAddress unmapped() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class Range {
  Public,
  Loopback,     // 127/8, ::1
  Private,      // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10
  LinkLocal,    // 169.254/16 (cloud metadata 169.254.169.254), fe80::/10
  Cgnat,        // 100.64/10
  Multicast,    // 224/4, ff00::/8
  Unspecified,  // 0/8, ::
  Broadcast,    // 255.255.255.255
  Reserved,     // 192.0.0/24, 198.18/15, 240/4, documentation, Teredo, ...
};

// The range of an address. An IPv6 address carrying an IPv4 address (see
// embedded_ipv4) is classified by the IPv4 address inside, so that
// ::ffff:127.0.0.1, ::127.0.0.1, 64:ff9b::7f00:1 and 2002:7f00:1:: are all
// Loopback.
Range classify(const IpAddress& address);
// "public", "loopback", "private", "link-local", "CGNAT", "multicast",
// "unspecified", "broadcast", "reserved".
std::string_view range_name(Range range);

struct Cidr {
  IpAddress net;
  int prefix = 0;

  // "10.0.0.0/8", "fd00::/8", or a bare address (/32 or /128). Host bits set
  // ("10.0.0.1/8") are refused: such a rule is usually a typo.
  static Result<Cidr> parse(std::string_view text);
  // An IPv4-mapped IPv6 address is contained in the IPv4 CIDR that contains
  // its IPv4 address; the other embedded forms are not (fail closed).
  [[nodiscard]] bool contains(const IpAddress& address) const;
  // "10.0.0.0/8"
  [[nodiscard]] std::string str() const;
};

}  // namespace cordon::egress
