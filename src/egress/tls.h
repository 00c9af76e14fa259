// The server name a TLS client asks for, read from its ClientHello without
// terminating TLS: for CONNECT host:443, the SNI must match the CONNECT host
// (domain fronting: CONNECT allowed.com, then SNI evil.com).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cordon::egress {

// The largest ClientHello handshake message accepted (body plus 4-byte
// header), across however many records it is fragmented into. Real ones are
// below 2 KiB; post-quantum key shares push some to ~1.8 KiB more.
inline constexpr size_t kMaxClientHello = 16 * 1024 + 2048;
// The most records a ClientHello may be fragmented into (clients use one,
// two for the largest post-quantum hellos; more is an attempt to evade
// inspection). With it, the proxy never needs to buffer more than
// kMaxClientHelloBytes before the answer is something other than
// Incomplete: the message, its record headers, and the start of one more.
inline constexpr size_t kMaxClientHelloRecords = 32;
inline constexpr size_t kMaxClientHelloBytes = kMaxClientHello + 5 * (kMaxClientHelloRecords + 1);

struct Sni {
  enum Status {
    Found,       // host holds the server_name host_name, as sent (not canonical)
    NoSni,       // a complete, well-formed ClientHello without server_name
    Incomplete,  // valid so far: read more
    NotTls,      // the first bytes are not a TLS handshake record
    Invalid,     // a TLS handshake record that is malformed (detail says how)
  } status = Incomplete;
  std::string host;
  std::string detail;  // why NotTls or Invalid, for the log
  size_t size = 0;     // Found, NoSni: bytes of buf the ClientHello's records used
  // The ClientHello carries encrypted_client_hello (0xfe0d): host is the
  // outer (public) name. The inner name is encrypted to the server; the
  // proxy can only check the outer one, which is where the client connects.
  bool ech = false;
};

// Reads handshake records (content type 22) from the start of buf and
// reassembles the ClientHello (handshake type 1), which may span several
// records. Checks every length field (records, handshake, session id, cipher
// suites, compression, extensions, server_name list): nothing may overrun its
// container or leave trailing bytes inside it. Exactly one host_name entry
// in exactly one server_name extension; a duplicate of any extension type is
// Invalid. Records other than handshake before the ClientHello are NotTls.
Sni parse_client_hello_sni(std::string_view buf);

}  // namespace cordon::egress
