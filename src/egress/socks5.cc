#include "egress/socks5.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace cordon::egress {
namespace {

uint8_t byte_at(std::string_view buf, size_t i) { return static_cast<uint8_t>(buf[i]); }

// The version byte is checked as soon as it has arrived, so that a SOCKS4
// client or a stray HTTP request is refused at once instead of waiting for
// bytes that will never make sense.
Parse check_version(std::string_view buf, std::string* error) {
  if (buf.empty()) return Parse::Incomplete;
  if (byte_at(buf, 0) != kSocksVersion) {
    if (error != nullptr) {
      *error = fmt::format("SOCKS version {} (byte 0x{:02x}); only SOCKS5 is served",
                           byte_at(buf, 0), byte_at(buf, 0));
    }
    return Parse::Invalid;
  }
  return Parse::Complete;
}

}  // namespace

Parse parse_greeting(std::string_view buf, Greeting* out, std::string* error) {
  if (Parse p = check_version(buf, error); p != Parse::Complete) return p;
  if (buf.size() < 2) return Parse::Incomplete;
  size_t count = byte_at(buf, 1);
  if (count == 0) {
    if (error != nullptr) *error = "SOCKS5 greeting offers no authentication method";
    return Parse::Invalid;
  }
  if (buf.size() < 2 + count) return Parse::Incomplete;
  out->methods.assign(buf.begin() + 2, buf.begin() + 2 + static_cast<ptrdiff_t>(count));
  out->size = 2 + count;
  return Parse::Complete;
}

Parse parse_request(std::string_view buf, SocksRequest* out, std::string* error) {
  out->failure_reply = kSocksGeneralFailure;
  auto invalid = [&](std::string why) {
    if (error != nullptr) *error = std::move(why);
    return Parse::Invalid;
  };
  if (Parse p = check_version(buf, error); p != Parse::Complete) return p;
  if (buf.size() < 3) return Parse::Incomplete;
  if (byte_at(buf, 2) != 0) {
    return invalid(
        fmt::format("SOCKS5 request with reserved byte 0x{:02x} (must be 0)", byte_at(buf, 2)));
  }
  if (buf.size() < 4) return Parse::Incomplete;
  uint8_t type = byte_at(buf, 3);
  size_t address_at = 4;
  size_t address_len = 0;
  switch (type) {
    case kSocksAddrIpv4: address_len = 4; break;
    case kSocksAddrIpv6: address_len = 16; break;
    case kSocksAddrName:
      if (buf.size() < 5) return Parse::Incomplete;
      address_len = byte_at(buf, 4);
      address_at = 5;
      if (address_len == 0) return invalid("SOCKS5 request with an empty host name");
      break;
    default:
      out->failure_reply = kSocksAddressTypeNotSupported;
      return invalid(fmt::format("SOCKS5 request with unknown address type {}", type));
  }
  size_t size = address_at + address_len + 2;
  if (buf.size() < size) return Parse::Incomplete;

  out->command = byte_at(buf, 1);
  out->by_name = type == kSocksAddrName;
  std::string_view address = buf.substr(address_at, address_len);
  if (out->by_name) {
    // As sent, NUL and all: canonical_host refuses what is not a host name,
    // with the reason, in the one place that decides.
    out->host.assign(address);
  } else {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(type == kSocksAddrIpv4 ? AF_INET : AF_INET6, address.data(), text, sizeof(text));
    out->host = text;
  }
  out->port = static_cast<uint16_t>(byte_at(buf, size - 2) << 8 | byte_at(buf, size - 1));
  out->size = size;
  return Parse::Complete;
}

std::string socks_method_reply(uint8_t method) {
  return {static_cast<char>(kSocksVersion), static_cast<char>(method)};
}

std::string socks_reply(uint8_t code) {
  std::string reply(10, '\0');
  reply[0] = static_cast<char>(kSocksVersion);
  reply[1] = static_cast<char>(code);
  reply[3] = static_cast<char>(kSocksAddrIpv4);  // BND.ADDR 0.0.0.0, BND.PORT 0
  return reply;
}

}  // namespace cordon::egress
