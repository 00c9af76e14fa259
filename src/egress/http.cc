#include "egress/http.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace cordon::egress {
namespace {

// Chunk sizes and Content-Length above this are refused: no real body is an
// exabyte long, and staying far from 2^64 keeps every sum below overflow.
constexpr std::uint64_t kMaxBodyLength = std::uint64_t{1} << 60;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// tchar (RFC 9110 5.6.2): the alphabet of methods, header names and codings.
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(c); });
}

// field-vchar, SP, HTAB and obs-text: what a field value may hold. NUL, the
// other controls, DEL, bare CR and LF may not (some servers end a line at a
// bare CR or a NUL, and then two parsers disagree).
bool is_value_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Splits a comma-separated list into trimmed elements; empty elements (which
// RFC 9110 5.6.1 tells recipients to ignore) are kept so that callers can
// refuse them where an empty element would be a trick.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = s.find(',');
    out.push_back(trim_ows(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool list_contains(std::string_view list, std::string_view token) {
  const auto items = split_list(list);
  return std::any_of(items.begin(), items.end(),
                     [&](std::string_view item) { return iequals(item, token); });
}

// 1*DIGIT, nothing else: no sign, no spaces, no hex, no list. "+5", "5 ",
// "0x5", "5,5" are all refused (parsers that accept them frame differently).
bool parse_decimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxBodyLength) return false;
  *out = v;
  return true;
}

// The next line of a head: must end in CRLF. A bare CR or LF anywhere in the
// head is refused (a server that takes LF alone as a line end would see
// different headers than the proxy checked).
enum class Line { Ok, Missing, Bad };
Line next_line(std::string_view buf, std::size_t* pos, std::string_view* line, std::string* error) {
  const auto lf = buf.find('\n', *pos);
  if (lf == std::string_view::npos) return Line::Missing;
  if (lf == *pos || buf[lf - 1] != '\r') {
    *error = "line ends in LF without CR";
    return Line::Bad;
  }
  *line = buf.substr(*pos, lf - 1 - *pos);
  if (line->find('\r') != std::string_view::npos) {
    *error = "bare CR inside a line";
    return Line::Bad;
  }
  *pos = lf + 1;
  return Line::Ok;
}

// Header lines up to and including the empty line. Shared by requests and
// responses; the framing rules that differ are applied by the callers.
Parse parse_fields(std::string_view buf, std::size_t* pos, std::vector<HttpHeader>* headers,
                   std::string* error) {
  while (true) {
    std::string_view line;
    switch (next_line(buf, pos, &line, error)) {
      case Line::Missing: return Parse::Incomplete;
      case Line::Bad: return Parse::Invalid;
      case Line::Ok: break;
    }
    if (line.empty()) return Parse::Complete;
    if (is_ows(line.front())) {
      // obs-fold: a continuation line. RFC 9112 5.2 lets a proxy refuse it;
      // servers that unfold it see a header the proxy did not.
      *error = "obsolete line folding (a header line starting with whitespace)";
      return Parse::Invalid;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      *error = "header line without a colon";
      return Parse::Invalid;
    }
    const auto name = line.substr(0, colon);
    if (!name.empty() && is_ows(name.back())) {
      // "Transfer-Encoding : chunked" (RFC 9112 5.1: MUST be rejected).
      *error = "whitespace between a header name and its colon";
      return Parse::Invalid;
    }
    if (!is_token(name)) {
      *error = "invalid byte in a header name";
      return Parse::Invalid;
    }
    const auto value = line.substr(colon + 1);
    if (!std::all_of(value.begin(), value.end(),
                     [](char c) { return is_value_byte(static_cast<unsigned char>(c)); })) {
      *error = "control byte in the value of header " + std::string(name);
      return Parse::Invalid;
    }
    headers->push_back({std::string(name), std::string(trim_ows(value))});
  }
}

std::size_t count_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [&](const HttpHeader& h) { return iequals(h.name, name); }));
}

// Body framing from Content-Length and Transfer-Encoding, the same way for
// requests and responses (RFC 9112 6.1-6.3), refusing every ambiguity:
//   - both headers present (the CL.TE / TE.CL smuggling pair);
//   - Transfer-Encoding more than once, in an HTTP/1.0 message, with an empty
//     element, or whose last coding is not exactly "chunked" (" chunked",
//     "xchunked", "chunked, identity"), or with chunked applied twice;
//   - Content-Length more than once (even with equal values), as a list, or
//     not plain digits ("+5", "0x5", "5 5").
// Sets *chunked / *length; returns false with *error on a refusal.
bool body_framing(const std::vector<HttpHeader>& headers, int version_minor, bool* chunked,
                  std::optional<std::uint64_t>* length, std::string* error) {
  // "Connection: Content-Length" would make the proxy drop the very header
  // that frames the body (hop-by-hop), and the server would read the body
  // as the next request.
  for (const auto& h : headers) {
    if (iequals(h.name, "Connection") &&
        (list_contains(h.value, "Content-Length") || list_contains(h.value, "Transfer-Encoding") ||
         list_contains(h.value, "Host"))) {
      *error = "Connection header lists a header that frames or routes the message";
      return false;
    }
  }
  const auto te_count = count_header(headers, "Transfer-Encoding");
  const auto cl_count = count_header(headers, "Content-Length");
  *chunked = false;
  length->reset();
  if (te_count > 0 && cl_count > 0) {
    *error = "both Content-Length and Transfer-Encoding";
    return false;
  }
  if (te_count > 1) {
    *error = "more than one Transfer-Encoding header";
    return false;
  }
  if (cl_count > 1) {
    *error = "more than one Content-Length header";
    return false;
  }
  if (te_count == 1) {
    if (version_minor == 0) {
      *error = "Transfer-Encoding in an HTTP/1.0 message";
      return false;
    }
    const auto codings = split_list(*find_header(headers, "Transfer-Encoding"));
    for (std::size_t i = 0; i < codings.size(); ++i) {
      if (!is_token(codings[i])) {
        *error = "malformed Transfer-Encoding";
        return false;
      }
      if (iequals(codings[i], "chunked") && i + 1 != codings.size()) {
        *error = "Transfer-Encoding with chunked not last";
        return false;
      }
    }
    if (!iequals(codings.back(), "chunked")) {
      *error = "Transfer-Encoding whose final coding is not chunked";
      return false;
    }
    *chunked = true;
    return true;
  }
  if (cl_count == 1) {
    std::uint64_t v = 0;
    if (!parse_decimal(*find_header(headers, "Content-Length"), &v)) {
      *error = "Content-Length is not a plain decimal number";
      return false;
    }
    *length = v;
  }
  return true;
}

bool parse_version(std::string_view s, int* minor) {
  if (s == "HTTP/1.1") {
    *minor = 1;
  } else if (s == "HTTP/1.0") {
    *minor = 0;
  } else {
    return false;
  }
  return true;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// host [":" port] of an authority, with no userinfo and nothing after. The
// host is a name (letters, digits, '-', '.', '_'), an IPv4 literal, or an
// IPv6 literal in brackets (returned without them). Percent-escapes and
// userinfo ("allowed.com@evil.com") are refused: URL parsers disagree on
// them, and the proxy must connect to the very host it checked.
bool parse_authority(std::string_view authority, bool port_required, std::uint16_t default_port,
                     std::string* host, std::uint16_t* port, std::string* error) {
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 literal in the target";
      return false;
    }
    const auto inside = authority.substr(1, close - 1);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
        })) {
      *error = "invalid IPv6 literal in the target";
      return false;
    }
    *host = std::string(inside);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        *error = "junk after the IPv6 literal in the target";
        return false;
      }
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    const auto name = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '-' || c == '.' || c == '_';
        })) {
      *error = "invalid host in the target (only letters, digits, '-', '.', '_')";
      return false;
    }
    *host = std::string(name);
  }
  if (!has_port) {
    if (port_required) {
      *error = "CONNECT target without a port";
      return false;
    }
    *port = default_port;
    return true;
  }
  std::uint64_t p = 0;
  if (!is_digits(port_text) || port_text.size() > 5 || !parse_decimal(port_text, &p) || p == 0 ||
      p > 65535) {
    *error = "invalid port in the target";
    return false;
  }
  *port = static_cast<std::uint16_t>(p);
  return true;
}

// The request-target: authority-form for CONNECT (and only for it),
// absolute-form "http://authority[/path][?query]", origin-form "/..." and
// "*". Any byte outside visible ASCII was refused with the request line;
// here a fragment ('#') is refused too (it is never sent on the wire).
bool parse_target(RequestHead* req, std::string* error) {
  const std::string_view target = req->target;
  if (target.find('#') != std::string_view::npos) {
    *error = "fragment in the request target";
    return false;
  }
  if (req->method == "CONNECT") {
    req->form = TargetForm::Authority;
    return parse_authority(target, true, 0, &req->host, &req->port, error);
  }
  if (target == "*") {
    req->form = TargetForm::Asterisk;
    return true;
  }
  if (target.front() == '/') {
    req->form = TargetForm::Origin;
    req->path = std::string(target);
    return true;
  }
  constexpr std::string_view kScheme = "http://";
  if (target.size() < kScheme.size() || !iequals(target.substr(0, kScheme.size()), kScheme)) {
    // https:// in absolute form would ask the proxy to speak TLS to the
    // server for a plain-text client: clients use CONNECT for that.
    *error = "request target is neither http://host/path, /path nor CONNECT host:port";
    return false;
  }
  req->form = TargetForm::Absolute;
  auto rest = target.substr(kScheme.size());
  const auto path_start = rest.find_first_of("/?");
  const auto authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) {
    *error = "userinfo in the request target";
    return false;
  }
  if (!parse_authority(authority, false, 80, &req->host, &req->port, error)) return false;
  if (path_start == std::string_view::npos) {
    req->path = "/";
  } else if (rest[path_start] == '?') {
    req->path = "/" + std::string(rest.substr(path_start));
  } else {
    req->path = std::string(rest.substr(path_start));
  }
  return true;
}

// Host must be present exactly once in HTTP/1.1 (RFC 9112 3.2), and with an
// absolute-form target it must name the same authority: a proxy that
// checked one and an origin that routes on the other is a bypass.
bool check_host_header(const RequestHead& req, std::string* error) {
  const auto count = count_header(req.headers, "Host");
  if (count > 1) {
    *error = "more than one Host header";
    return false;
  }
  if (count == 0) {
    if (req.version_minor == 1) {
      *error = "HTTP/1.1 request without a Host header";
      return false;
    }
    return true;
  }
  if (req.form != TargetForm::Absolute && req.form != TargetForm::Authority) return true;
  const auto value = *find_header(req.headers, "Host");
  std::string host;
  std::uint16_t port = 0;
  std::string ignored;
  const std::uint16_t default_port = req.form == TargetForm::Absolute ? 80 : req.port;
  if (!parse_authority(value, false, default_port, &host, &port, &ignored) ||
      !iequals(host, req.host) || port != req.port) {
    *error = "Host header '" + std::string(value) + "' does not match the request target";
    return false;
  }
  return true;
}

Parse too_large(std::string_view buf, std::string* error) {
  if (buf.size() >= kMaxHeadBytes) {
    *error = "message head larger than 64 KiB";
    return Parse::Invalid;
  }
  return Parse::Incomplete;
}

}  // namespace

bool is_header_name(std::string_view s) { return is_token(s); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                            std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::size_t find_head_end(std::string_view buf, std::size_t from) {
  // Empty lines before the request line are skipped, as the parser does.
  std::size_t skip = 0;
  while (buf.size() - skip >= 2 && buf[skip] == '\r' && buf[skip + 1] == '\n') skip += 2;
  // An empty line is an LF followed by CRLF or by LF. Back up over what
  // could be the start of one split across two reads.
  std::size_t i = std::max(skip, from >= 2 ? from - 2 : 0);
  while (true) {
    i = buf.find('\n', i);
    if (i == std::string_view::npos || i + 1 >= buf.size()) return std::string_view::npos;
    if (buf[i + 1] == '\n') return i + 2;
    if (buf[i + 1] == '\r') {
      if (i + 2 >= buf.size()) return std::string_view::npos;
      if (buf[i + 2] == '\n') return i + 3;
    }
    ++i;
  }
}

Parse parse_request_head(std::string_view buf, RequestHead* out, std::string* error) {
  *out = RequestHead{};
  std::size_t pos = 0;
  // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the
  // request line (some clients send CRLF after a POST body). A few are
  // skipped; many are an attack on the head-size limit, which counts them.
  while (buf.size() - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n') pos += 2;
  std::string_view line;
  switch (next_line(buf, &pos, &line, error)) {
    case Line::Missing: return too_large(buf, error);
    case Line::Bad: return Parse::Invalid;
    case Line::Ok: break;
  }
  // method SP request-target SP HTTP-version: single spaces, no other
  // whitespace (a tab or a double space is where parsers start to differ).
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    *error = "malformed request line";
    return Parse::Invalid;
  }
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!is_token(method)) {
    *error = "invalid method";
    return Parse::Invalid;
  }
  if (target.empty() ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    *error = "invalid byte in the request target";
    return Parse::Invalid;
  }
  if (!parse_version(line.substr(sp2 + 1), &out->version_minor)) {
    *error = "unsupported HTTP version (HTTP/1.0 and HTTP/1.1 only)";
    return Parse::Invalid;
  }
  out->method = std::string(method);
  out->target = std::string(target);
  switch (parse_fields(buf, &pos, &out->headers, error)) {
    case Parse::Incomplete: return too_large(buf, error);
    case Parse::Invalid: return Parse::Invalid;
    case Parse::Complete: break;
  }
  if (pos > kMaxHeadBytes) {
    *error = "message head larger than 64 KiB";
    return Parse::Invalid;
  }
  out->head_size = pos;
  if (!parse_target(out, error) || !check_host_header(*out, error)) return Parse::Invalid;

  bool chunked = false;
  std::optional<std::uint64_t> length;
  if (!body_framing(out->headers, out->version_minor, &chunked, &length, error)) {
    return Parse::Invalid;
  }
  if (chunked) {
    out->framing = BodyFraming::Chunked;
  } else if (length && *length > 0) {
    out->framing = BodyFraming::ContentLength;
    out->content_length = *length;
  }
  // A request without either header has no body (RFC 9112 6.3, item 6).
  if (out->method == "CONNECT" && out->framing != BodyFraming::None) {
    // After a CONNECT every byte is tunnel data; a "body" would be read as
    // the first bytes of the tunnel by one side and not by the other.
    *error = "CONNECT request with a body";
    return Parse::Invalid;
  }
  const auto connection = find_header(out->headers, "Connection");
  out->keep_alive = out->version_minor == 1 && !(connection && list_contains(*connection, "close"));
  return Parse::Complete;
}

Parse parse_response_head(std::string_view buf, std::string_view request_method, ResponseHead* out,
                          std::string* error) {
  *out = ResponseHead{};
  std::size_t pos = 0;
  std::string_view line;
  switch (next_line(buf, &pos, &line, error)) {
    case Line::Missing: return too_large(buf, error);
    case Line::Bad: return Parse::Invalid;
    case Line::Ok: break;
  }
  // HTTP-version SP 3DIGIT SP reason-phrase (the reason may be empty, and
  // some servers omit the space before an empty one).
  if (line.size() < 12 || !parse_version(line.substr(0, 8), &out->version_minor) ||
      line[8] != ' ' || !is_digits(line.substr(9, 3)) || (line.size() > 12 && line[12] != ' ')) {
    *error = "malformed status line";
    return Parse::Invalid;
  }
  std::from_chars(line.data() + 9, line.data() + 12, out->status);
  if (out->status < 100) {
    *error = "status code below 100";
    return Parse::Invalid;
  }
  const auto reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  if (!std::all_of(reason.begin(), reason.end(),
                   [](char c) { return is_value_byte(static_cast<unsigned char>(c)); })) {
    *error = "control byte in the reason phrase";
    return Parse::Invalid;
  }
  out->reason = std::string(reason);
  switch (parse_fields(buf, &pos, &out->headers, error)) {
    case Parse::Incomplete: return too_large(buf, error);
    case Parse::Invalid: return Parse::Invalid;
    case Parse::Complete: break;
  }
  if (pos > kMaxHeadBytes) {
    *error = "message head larger than 64 KiB";
    return Parse::Invalid;
  }
  out->head_size = pos;

  bool chunked = false;
  std::optional<std::uint64_t> length;
  if (!body_framing(out->headers, out->version_minor, &chunked, &length, error)) {
    return Parse::Invalid;
  }
  const auto connection = find_header(out->headers, "Connection");
  out->keep_alive = out->version_minor == 1 && !(connection && list_contains(*connection, "close"));
  // RFC 9112 6.3: these have no body whatever their headers say.
  if (request_method == "HEAD" || out->status < 200 || out->status == 204 || out->status == 304) {
    out->framing = BodyFraming::None;
  } else if (chunked) {
    out->framing = BodyFraming::Chunked;
  } else if (length) {
    out->framing = *length > 0 ? BodyFraming::ContentLength : BodyFraming::None;
    out->content_length = *length;
  } else {
    out->framing = BodyFraming::UntilClose;
    out->keep_alive = false;
  }
  return Parse::Complete;
}

Parse ChunkedTracker::feed(std::string_view data, std::size_t* used, std::string* error) {
  std::size_t i = 0;
  auto fail = [&](const char* why) {
    *used = i;
    *error = why;
    return Parse::Invalid;
  };
  while (i < data.size()) {
    const auto c = static_cast<unsigned char>(data[i]);
    const bool in_trailers = state_ == State::TrailerStart || state_ == State::TrailerName ||
                             state_ == State::TrailerValue || state_ == State::TrailerLf ||
                             state_ == State::FinalLf;
    if (in_trailers && ++trailer_bytes_ > kMaxTrailerBytes) {
      return fail("trailer section too large");
    }
    switch (state_) {
      case State::Size: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          // The size is capped well below 2^64 so that it cannot wrap to a
          // small number (the "chunk size overflow" smuggling case).
          if (++digits_ > 16 || remaining_ > (kMaxBodyLength >> 4)) {
            return fail("chunk size too large");
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
          ++line_bytes_;
          ++i;
          break;
        }
        if (digits_ == 0) return fail("chunk size line without hex digits");
        if (c == '\r') {
          state_ = State::SizeLf;
          ++i;
          break;
        }
        if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::Extension;
          break;  // the extension state takes this byte
        }
        return fail("invalid byte after the chunk size");
      }
      case State::Extension:
        if (c == '\r') {
          state_ = State::SizeLf;
        } else if (!is_value_byte(c)) {
          return fail("control byte in a chunk extension");
        } else if (++line_bytes_ > kMaxLineBytes) {
          return fail("chunk size line too long");
        }
        ++i;
        break;
      case State::SizeLf:
        if (c != '\n') return fail("chunk size line not ended by CRLF");
        ++i;
        line_bytes_ = 0;
        digits_ = 0;
        state_ = remaining_ == 0 ? State::TrailerStart : State::Data;
        break;
      case State::Data: {
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(data.size() - i)));
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = State::DataCr;
        break;
      }
      case State::DataCr:
        if (c != '\r') return fail("chunk data not followed by CRLF");
        state_ = State::DataLf;
        ++i;
        break;
      case State::DataLf:
        if (c != '\n') return fail("chunk data not followed by CRLF");
        state_ = State::Size;
        ++i;
        break;
      case State::TrailerStart:
        if (c == '\r') {
          state_ = State::FinalLf;
        } else if (is_tchar(c)) {
          state_ = State::TrailerName;
        } else {
          // Includes SP/HTAB: obs-fold in the trailer section.
          return fail("invalid trailer line");
        }
        ++i;
        break;
      case State::TrailerName:
        if (c == ':') {
          state_ = State::TrailerValue;
        } else if (!is_tchar(c)) {
          return fail("invalid byte in a trailer field name");
        }
        ++i;
        break;
      case State::TrailerValue:
        if (c == '\r') {
          state_ = State::TrailerLf;
        } else if (!is_value_byte(c)) {
          return fail("control byte in a trailer field value");
        }
        ++i;
        break;
      case State::TrailerLf:
        if (c != '\n') return fail("trailer line not ended by CRLF");
        state_ = State::TrailerStart;
        ++i;
        break;
      case State::FinalLf:
        if (c != '\n') return fail("chunked body not ended by CRLF");
        state_ = State::Done;
        *used = i + 1;
        return Parse::Complete;
      case State::Done: *used = 0; return Parse::Complete;
    }
  }
  *used = data.size();
  return state_ == State::Done ? Parse::Complete : Parse::Incomplete;
}

bool is_hop_by_hop(std::string_view name, const std::vector<HttpHeader>& headers) {
  static constexpr std::string_view kFixed[] = {
      "Connection",          "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
      "Proxy-Authorization", "TE",         "Upgrade",
  };
  for (auto fixed : kFixed) {
    if (iequals(name, fixed)) return true;
  }
  for (const auto& h : headers) {
    if (iequals(h.name, "Connection") && list_contains(h.value, name)) return true;
  }
  return false;
}

std::string upstream_request_head(const RequestHead& request) {
  std::string out;
  out.reserve(request.head_size + 64);
  out += request.method;
  out += ' ';
  out += request.path;
  out += request.version_minor == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n";
  out += "Host: ";
  const bool ipv6 = request.host.find(':') != std::string::npos;
  if (ipv6) out += '[';
  out += request.host;
  if (ipv6) out += ']';
  if (request.port != 80) {
    out += ':';
    out += std::to_string(request.port);
  }
  out += "\r\n";
  for (const auto& h : request.headers) {
    if (iequals(h.name, "Host") || is_hop_by_hop(h.name, request.headers)) continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  // HTTP/1.0 closes by default, which is what the proxy wants for it;
  // HTTP/1.1 keeps the server connection for the next request to the same
  // host and port.
  out += "\r\n";
  return out;
}

std::string downstream_response_head(const ResponseHead& response, bool close) {
  std::string out;
  out.reserve(response.head_size + 32);
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += response.reason;
  out += "\r\n";
  for (const auto& h : response.headers) {
    if (is_hop_by_hop(h.name, response.headers)) continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace cordon::egress
