#include "egress/tls.h"

#include <fmt/format.h>

#include <cstdint>
#include <set>

namespace cordon::egress {
namespace {

constexpr uint8_t kRecordHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kMaxRecord = 16384;  // 2^14, TLSPlaintext.length
constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtEncryptedClientHello = 0xfe0d;
constexpr uint8_t kNameTypeHostName = 0;

// Bounds-checked reads over a message body: every read that would overrun
// the body fails, and the caller turns the failure into Invalid.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u8(uint8_t* v) {
    if (left() < 1) return false;
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool u16(uint16_t* v) {
    if (left() < 2) return false;
    *v = static_cast<uint16_t>(static_cast<uint8_t>(data_[pos_]) << 8 |
                               static_cast<uint8_t>(data_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool bytes(size_t n, std::string_view* v) {
    if (left() < n) return false;
    *v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] size_t left() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Sni result(Sni::Status status, std::string detail = {}) {
  Sni out;
  out.status = status;
  out.detail = std::move(detail);
  return out;
}

// server_name (RFC 6066 section 3): a list of (name_type, name). Only one
// name type (host_name) was ever defined, and a list with anything else or
// with two host names has no single answer: OpenSSL refuses both.
Sni parse_server_name(std::string_view data) {
  Reader r(data);
  uint16_t list_len = 0;
  if (!r.u16(&list_len) || list_len != r.left()) {
    return result(Sni::Invalid, "server_name list length does not match its extension");
  }
  uint8_t name_type = 0;
  uint16_t name_len = 0;
  std::string_view name;
  if (!r.u8(&name_type) || !r.u16(&name_len) || !r.bytes(name_len, &name)) {
    return result(Sni::Invalid, "server_name entry overruns its list");
  }
  if (name_type != kNameTypeHostName) {
    return result(Sni::Invalid,
                  fmt::format("server_name entry of type {}, not host_name", name_type));
  }
  if (name.empty()) return result(Sni::Invalid, "empty server_name host_name");
  if (r.left() != 0) return result(Sni::Invalid, "server_name list holds more than one name");
  Sni out = result(Sni::Found);
  out.host.assign(name);
  return out;
}

Sni parse_body(std::string_view body) {
  Reader r(body);
  uint16_t version = 0;
  std::string_view skip;
  if (!r.u16(&version) || (version >> 8) != 3) {
    return result(Sni::Invalid, "ClientHello without a TLS version");
  }
  if (!r.bytes(32, &skip)) return result(Sni::Invalid, "ClientHello shorter than its random");
  uint8_t session_len = 0;
  if (!r.u8(&session_len) || session_len > 32 || !r.bytes(session_len, &skip)) {
    return result(Sni::Invalid, "ClientHello session id longer than 32 bytes or its message");
  }
  uint16_t suites_len = 0;
  if (!r.u16(&suites_len) || suites_len < 2 || suites_len % 2 != 0 || !r.bytes(suites_len, &skip)) {
    return result(Sni::Invalid, "ClientHello cipher suites empty, odd or overrunning");
  }
  uint8_t compression_len = 0;
  if (!r.u8(&compression_len) || compression_len < 1 || !r.bytes(compression_len, &skip)) {
    return result(Sni::Invalid, "ClientHello compression methods empty or overrunning");
  }
  if (r.left() == 0) return result(Sni::NoSni);  // TLS 1.2 and older may omit extensions

  uint16_t extensions_len = 0;
  if (!r.u16(&extensions_len) || extensions_len != r.left()) {
    return result(Sni::Invalid, "ClientHello extensions length does not match its message");
  }
  std::set<uint16_t> seen;
  Sni found = result(Sni::NoSni);
  bool ech = false;
  while (r.left() > 0) {
    uint16_t type = 0;
    uint16_t len = 0;
    std::string_view data;
    if (!r.u16(&type) || !r.u16(&len) || !r.bytes(len, &data)) {
      return result(Sni::Invalid, "ClientHello extension overruns the extensions");
    }
    // RFC 8446 4.2: no two extensions of one type. Two server_name
    // extensions would let the proxy check one while the server reads the
    // other.
    if (!seen.insert(type).second) {
      return result(Sni::Invalid,
                    fmt::format("ClientHello extension 0x{:04x} appears twice", type));
    }
    if (type == kExtServerName) {
      found = parse_server_name(data);
      if (found.status != Sni::Found) return found;
    } else if (type == kExtEncryptedClientHello) {
      ech = true;
    }
  }
  found.ech = ech;
  return found;
}

// The size of a handshake message, header included, from its first 4 bytes.
size_t message_len(std::string_view message) {
  return 4 + (static_cast<size_t>(static_cast<uint8_t>(message[1])) << 16 |
              static_cast<size_t>(static_cast<uint8_t>(message[2])) << 8 |
              static_cast<uint8_t>(message[3]));
}

}  // namespace

Sni parse_client_hello_sni(std::string_view buf) {
  std::string message;  // the handshake message, reassembled from its records
  size_t pos = 0;
  size_t records = 0;
  for (;;) {
    // Each byte of the record header is checked as soon as it is there, so
    // that plain HTTP inside a CONNECT is NotTls after its first byte.
    if (pos >= buf.size()) return result(Sni::Incomplete);
    auto type = static_cast<uint8_t>(buf[pos]);
    if (type != kRecordHandshake) {
      if (records == 0) {
        return result(Sni::NotTls,
                      fmt::format("first byte 0x{:02x} is not a TLS handshake record", type));
      }
      return result(Sni::Invalid, fmt::format("record of type {} inside the ClientHello", type));
    }
    if (pos + 1 < buf.size() && buf[pos + 1] != 3) {
      if (records == 0) return result(Sni::NotTls, "record version is not 3.x");
      return result(Sni::Invalid, "record version is not 3.x");
    }
    if (pos + 5 > buf.size()) return result(Sni::Incomplete);
    size_t len = static_cast<uint8_t>(buf[pos + 3]) << 8 | static_cast<uint8_t>(buf[pos + 4]);
    // RFC 8446 5.1: handshake records are never empty.
    if (len == 0) return result(Sni::Invalid, "empty handshake record");
    if (len > kMaxRecord) {
      return result(Sni::Invalid, fmt::format("record of {} bytes, more than 2^14", len));
    }
    if (++records > kMaxClientHelloRecords) {
      return result(Sni::Invalid, fmt::format("ClientHello fragmented into more than {} records",
                                              kMaxClientHelloRecords));
    }
    // Bound the wait before the record's body arrives: a record may not run
    // past the end of the ClientHello once its length is known. (Before
    // that, the message holds at most 3 bytes, and 3 + 2^14 is below
    // kMaxClientHello.)
    if (message.size() >= 4 && message.size() + len > message_len(message)) {
      // The first flight is the ClientHello alone.
      return result(Sni::Invalid, "bytes after the ClientHello in its last record");
    }
    if (pos + 5 + len > buf.size()) return result(Sni::Incomplete);
    message.append(buf.substr(pos + 5, len));
    pos += 5 + len;

    if (static_cast<uint8_t>(message[0]) != kHandshakeClientHello) {
      return result(Sni::Invalid, fmt::format("handshake message of type {}, not ClientHello",
                                              static_cast<uint8_t>(message[0])));
    }
    if (message.size() < 4) continue;
    size_t total = message_len(message);
    if (total > kMaxClientHello) {
      return result(Sni::Invalid,
                    fmt::format("ClientHello of {} bytes, more than {}", total, kMaxClientHello));
    }
    if (message.size() > total) {
      return result(Sni::Invalid, "bytes after the ClientHello in its last record");
    }
    if (message.size() == total) {
      Sni out = parse_body(std::string_view(message).substr(4));
      if (out.status == Sni::Found || out.status == Sni::NoSni) out.size = pos;
      return out;
    }
  }
}

}  // namespace cordon::egress
