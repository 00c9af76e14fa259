// SOCKS5 (RFC 1928) messages, parsed incrementally from what the proxy has
// read so far, and the replies it sends. No authentication: the listener is
// reachable only from inside the sandbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "egress/parse.h"

namespace cordon::egress {

inline constexpr uint8_t kSocksVersion = 5;

// Authentication methods (greeting).
inline constexpr uint8_t kSocksMethodNoAuth = 0x00;
inline constexpr uint8_t kSocksMethodNoAcceptable = 0xff;

// Commands.
inline constexpr uint8_t kSocksConnect = 1;
inline constexpr uint8_t kSocksBind = 2;
inline constexpr uint8_t kSocksUdpAssociate = 3;

// Address types.
inline constexpr uint8_t kSocksAddrIpv4 = 1;
inline constexpr uint8_t kSocksAddrName = 3;
inline constexpr uint8_t kSocksAddrIpv6 = 4;

// Reply codes.
inline constexpr uint8_t kSocksSucceeded = 0;
inline constexpr uint8_t kSocksGeneralFailure = 1;
inline constexpr uint8_t kSocksNotAllowed = 2;  // connection not allowed by ruleset
inline constexpr uint8_t kSocksNetworkUnreachable = 3;
inline constexpr uint8_t kSocksHostUnreachable = 4;
inline constexpr uint8_t kSocksConnectionRefused = 5;
inline constexpr uint8_t kSocksTtlExpired = 6;
inline constexpr uint8_t kSocksCommandNotSupported = 7;
inline constexpr uint8_t kSocksAddressTypeNotSupported = 8;

// VER NMETHODS METHODS...: version 5, at least one method.
struct Greeting {
  std::vector<uint8_t> methods;
  size_t size = 0;  // bytes of buf the greeting used (Complete only)
};
Parse parse_greeting(std::string_view buf, Greeting* out, std::string* error);

// VER CMD RSV ATYP DST.ADDR DST.PORT: version 5, RSV 0, ATYP 1, 3 or 4, a
// name of 1..255 bytes. Any command byte parses (Complete): the proxy answers
// kSocksCommandNotSupported to anything but CONNECT.
struct SocksRequest {
  uint8_t command = 0;  // 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE
  bool by_name = false;
  // By name: the raw bytes, not yet canonical (NUL and all: canonical_host
  // refuses them). By address: "1.2.3.4" or "2001:db8::1" (inet_ntop form).
  std::string host;
  uint16_t port = 0;
  size_t size = 0;  // bytes of buf the request used (Complete only)
  // On Invalid: the reply code to send before closing (kSocksGeneralFailure,
  // or kSocksAddressTypeNotSupported for an unknown ATYP).
  uint8_t failure_reply = kSocksGeneralFailure;
};
Parse parse_request(std::string_view buf, SocksRequest* out, std::string* error);

// VER METHOD
std::string socks_method_reply(uint8_t method);
// VER REP RSV ATYP=1 BND.ADDR=0.0.0.0 BND.PORT=0 (10 bytes)
std::string socks_reply(uint8_t code);

}  // namespace cordon::egress
