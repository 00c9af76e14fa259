#include "egress/host.h"

#include <fmt/format.h>
#include <idn2.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "egress/address.h"

namespace cordon::egress {
namespace {

constexpr size_t kMaxName = 253;
constexpr size_t kMaxLabel = 63;
// Checked before any conversion, so that IDNA never works on megabytes. A
// name of 253 ASCII bytes can be written with at most 4 UTF-8 bytes per
// character, plus the separators.
constexpr size_t kMaxRaw = 1024;

// The host as it may be quoted in an error message: printable ASCII as is,
// every other byte as \xNN (a NUL must not cut the log line short, nor an
// escape sequence reach a terminal).
std::string quoted(std::string_view raw) {
  std::string out = "\"";
  for (size_t i = 0; i < raw.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (raw.size() > 80) out += "...";
  return out + "\"";
}

Error refuse(std::string_view raw, std::string_view why) {
  return plain_error(fmt::format("host {}: {}", quoted(raw), why));
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::vector<std::string_view> split_dots(std::string_view name) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      labels.push_back(name.substr(start));
      return labels;
    }
    labels.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
}

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using IdnString = std::unique_ptr<char, FreeDeleter>;

// One label with non-ASCII characters to its A-label form: IDNA2008 with the
// UTS #46 mapping, non-transitional (as browsers: "ß" stays "ß"). Without
// IDN2_USE_STD3_ASCII_RULES on purpose: with it libidn2 silently drops '_',
// '/' and ' ' ("a/b" would become "ab"); without it they pass through and the
// alphabet check below refuses them.
Result<std::string> to_ascii_label(std::string_view raw, std::string_view label) {
  std::string input(label);
  char* out = nullptr;
  int rc = idn2_to_ascii_8z(input.c_str(), &out, IDN2_NONTRANSITIONAL);
  IdnString owned(out);
  if (rc == IDN2_ENCODING_ERROR) return refuse(raw, "not valid UTF-8");
  if (rc != IDN2_OK) {
    return refuse(raw, fmt::format("not a valid internationalised name ({})", idn2_strerror(rc)));
  }
  return std::string(owned.get());
}

// An "xn--" label must be the A-label of a valid U-label: decoding and
// encoding again gives the same label. Otherwise two spellings could name
// one host ("xn--BCHER-kva" and "xn--bcher-kva" after lowercasing are the
// same; "xn--ls8h" decodes to an emoji IDNA2008 disallows).
Status check_a_label(std::string_view raw, std::string_view label) {
  std::string input(label);
  char* unicode = nullptr;
  int rc = idn2_to_unicode_8z8z(input.c_str(), &unicode, 0);
  IdnString owned_unicode(unicode);
  if (rc != IDN2_OK) {
    return refuse(
        raw, fmt::format("label \"{}\" is not a valid A-label ({})", label, idn2_strerror(rc)));
  }
  char* again = nullptr;
  rc = idn2_to_ascii_8z(owned_unicode.get(), &again, IDN2_NONTRANSITIONAL);
  IdnString owned_again(again);
  if (rc != IDN2_OK || input != owned_again.get()) {
    return refuse(raw, fmt::format("label \"{}\" is not a valid A-label ({})", label,
                                   rc != IDN2_OK ? idn2_strerror(rc) : "not in canonical form"));
  }
  return ok_status();
}

// WHATWG URL's "ends in a number": the last label is all digits, or "0x"
// followed by hex digits. Such a host is an IPv4 address to a URL parser and
// to inet_aton, in whatever base and number of parts was written.
bool ends_in_number(std::string_view name) {
  std::string_view last = name.substr(name.rfind('.') + 1);  // npos + 1 == 0
  if (last.empty()) return false;
  bool digits = true;
  for (char c : last) digits = digits && is_ascii_digit(c);
  if (digits) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (char c : last.substr(2)) {
      if (!is_hex_digit(c)) return false;
    }
    return true;
  }
  return false;
}

// Why a name ending in a number is not a strict dotted-decimal address.
std::string numeric_problem(std::string_view name) {
  auto parts = split_dots(name);
  for (auto part : parts) {
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
      return fmt::format("\"{}\" is hexadecimal", part);
    }
  }
  for (auto part : parts) {
    bool digits = !part.empty();
    for (char c : part) digits = digits && is_ascii_digit(c);
    if (!digits) return "the last label is a number, which makes it an address to URL parsers";
  }
  if (parts.size() != 4) {
    return fmt::format("{} part{} instead of 4 (inet_aton reads \"127.1\" as 127.0.0.1)",
                       parts.size(), parts.size() == 1 ? "" : "s");
  }
  for (auto part : parts) {
    if (part.size() > 1 && part[0] == '0') {
      return fmt::format("\"{}\" has a leading zero (read as octal by inet_aton)", part);
    }
  }
  return "a part is larger than 255";
}

Status check_labels(std::string_view raw, std::string_view name) {
  if (name.size() > kMaxName) {
    return refuse(raw, fmt::format("name is {} bytes long, more than {}", name.size(), kMaxName));
  }
  for (auto label : split_dots(name)) {
    if (label.empty()) return refuse(raw, "empty label (\"..\", or a leading dot)");
    if (label.size() > kMaxLabel) {
      return refuse(raw, fmt::format("label of {} bytes, more than {}", label.size(), kMaxLabel));
    }
    if (label.front() == '-' || label.back() == '-') {
      return refuse(raw, fmt::format("label \"{}\" starts or ends with '-'", label));
    }
    if (label.starts_with("xn--")) CORDON_TRY(check_a_label(raw, label));
  }
  return ok_status();
}

}  // namespace

Result<std::string> canonical_host(std::string_view raw) {
  if (raw.empty()) return refuse(raw, "empty");
  if (raw.size() > kMaxRaw) {
    return refuse(raw, fmt::format("{} bytes long, more than {}", raw.size(), kMaxRaw));
  }
  bool ascii = true;
  for (size_t i = 0; i < raw.size(); ++i) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (c == 0) return refuse(raw, fmt::format("NUL byte at offset {}", i));
    if (c < 0x20 || c == 0x7f) {
      return refuse(raw, fmt::format("control byte 0x{:02x} at offset {}", c, i));
    }
    if (c == ' ') return refuse(raw, fmt::format("space at offset {}", i));
    if (c >= 0x80) ascii = false;
  }

  // IPv6: only ASCII, with or without brackets. No other host has a ':'.
  if (ascii && (raw.front() == '[' || raw.find(':') != std::string_view::npos)) {
    std::string_view inner = raw;
    if (raw.front() == '[') {
      if (raw.size() < 2 || raw.back() != ']') return refuse(raw, "'[' without a closing ']'");
      inner = raw.substr(1, raw.size() - 2);
    }
    if (inner.find('%') != std::string_view::npos) {
      return refuse(raw, "IPv6 zone ids (\"%eth0\") are not allowed");
    }
    auto address = IpAddress::parse(inner);
    if (!address || address->family != AF_INET6) return refuse(raw, "not a valid IPv6 address");
    return address->str();
  }

  // Names: split on the four characters UTS #46 reads as a label separator
  // (U+002E, U+3002, U+FF0E, U+FF61), so that an ASCII label is never given
  // to libidn2: it refuses "--" in positions 3-4, which real names have
  // ("r3---sn-abc.googlevideo.com"). A non-ASCII label may map to several
  // ("a⒈com" -> "a1.com"): the joined result is split again for the checks.
  std::string name;
  name.reserve(raw.size());
  if (ascii) {
    for (char c : raw) name += ascii_lower(c);
  } else {
    static constexpr std::string_view kSeparators[] = {"\xe3\x80\x82", "\xef\xbc\x8e",
                                                       "\xef\xbd\xa1"};
    std::string dotted;
    for (size_t i = 0; i < raw.size();) {
      size_t matched = 0;
      for (auto sep : kSeparators) {
        if (raw.substr(i).starts_with(sep)) matched = sep.size();
      }
      dotted += matched != 0 ? '.' : raw[i];
      i += matched != 0 ? matched : 1;
    }
    auto labels = split_dots(dotted);
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) name += '.';
      bool label_ascii = true;
      for (char c : labels[i]) label_ascii = label_ascii && static_cast<unsigned char>(c) < 0x80;
      if (label_ascii) {
        for (char c : labels[i]) name += ascii_lower(c);
      } else {
        auto converted = to_ascii_label(raw, labels[i]);
        if (!converted) return converted.error();
        name += *converted;
      }
    }
  }

  if (name.ends_with('.')) name.pop_back();
  if (name.empty()) return refuse(raw, "empty name");

  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '-' || c == '_' || c == '.';
    if (!ok) {
      auto u = static_cast<unsigned char>(c);
      return refuse(raw, u < 0x20 || u >= 0x7f
                             ? fmt::format("byte 0x{:02x} is not allowed in a host name", u)
                             : fmt::format("'{}' is not allowed in a host name (letters, "
                                           "digits, '-', '_' and '.' are)",
                                           c));
    }
  }

  if (ends_in_number(name)) {
    auto address = IpAddress::parse(name);
    if (address && address->family == AF_INET) return address->str();
    return refuse(raw, fmt::format("ambiguous numeric address: {}; write an IPv4 address as four "
                                   "decimal numbers 0-255 without leading zeros",
                                   numeric_problem(name)));
  }
  CORDON_TRY(check_labels(raw, name));
  return name;
}

Result<std::string> canonical_pattern(std::string_view raw) {
  if (raw == "*") {
    return plain_error("host pattern \"*\": allowing every host is not a pattern");
  }
  bool wildcard = raw.starts_with("*.");
  if (raw.find('*', wildcard ? 1 : 0) != std::string_view::npos) {
    return plain_error(fmt::format(
        "host pattern {}: '*' is allowed only as a whole first label (\"*.example.com\")",
        quoted(raw)));
  }
  if (wildcard) {
    std::string_view suffix = raw.substr(2);
    auto canonical = canonical_host(suffix);
    if (!canonical) return canonical.error();
    if (is_ip_literal(*canonical)) {
      return plain_error(
          fmt::format("host pattern {}: a wildcard cannot apply to an address", quoted(raw)));
    }
    return "*." + *canonical;
  }
  return canonical_host(raw);
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return suffix.size() > 1 && host.size() > suffix.size() && host.ends_with(suffix) &&
           !is_ip_literal(host);
  }
  return !pattern.empty() && pattern == host;
}

bool is_ip_literal(std::string_view canonical) { return IpAddress::parse(canonical).has_value(); }

}  // namespace cordon::egress
