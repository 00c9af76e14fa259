// Strict, incremental HTTP/1.1 message-head parsing for the egress proxy (no I/O).
//
// The proxy sits between a sandboxed client and origin servers it does not
// control. Every place where two HTTP implementations could disagree about
// where a message ends is a request-smuggling hole (one request hidden inside
// another's body, answered as if it were allowed), so the parser refuses
// everything RFC 9112 lets a recipient refuse instead of guessing: both
// Content-Length and Transfer-Encoding, duplicate or non-numeric lengths,
// codings other than a final `chunked`, obs-fold, whitespace before a colon,
// bare CR or LF, control bytes. What it accepts, it frames exactly, and the
// proxy forwards exactly the bytes it framed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/parse.h"

namespace cordon::egress {

// A head larger than this is refused (431/400 to the client, 502 from a server).
inline constexpr std::size_t kMaxHeadBytes = std::size_t{64} * 1024;

struct HttpHeader {
  std::string name;   // as received (case preserved); compare with iequals
  std::string value;  // leading and trailing whitespace removed
};

enum class TargetForm {
  Origin,     // "/path?query": what a server gets; a proxy cannot tell where to send it
  Absolute,   // "http://host[:port]/path": what a client sends its proxy
  Authority,  // "host:port": CONNECT only
  Asterisk,   // "*": OPTIONS to the server itself
};

enum class BodyFraming {
  None,           // no body bytes follow the head
  ContentLength,  // exactly content_length bytes follow
  Chunked,        // chunked coding; ChunkedTracker finds the end
  UntilClose,     // responses only: the body ends when the server closes
};

struct RequestHead {
  std::string method;  // case-sensitive token ("GET"; "get" is a different method)
  std::string target;  // the request-target as received
  TargetForm form = TargetForm::Origin;
  // From the target (absolute or authority form): the host as written,
  // without the brackets of an IPv6 literal, and the port (80 by default for
  // http://). Not canonicalised: the proxy does that before deciding.
  std::string host;
  std::uint16_t port = 0;
  std::string path;       // origin-form of the target: "/p?q" ("/" when the absolute form had none)
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  std::vector<HttpHeader> headers;
  BodyFraming framing = BodyFraming::None;  // None, ContentLength or Chunked
  std::uint64_t content_length = 0;
  // The client wants the connection kept after this exchange: HTTP/1.1
  // without `Connection: close`. Always false for HTTP/1.0, whose keep-alive
  // extension the proxy does not speak (it closes after the response).
  bool keep_alive = true;
  std::size_t head_size = 0;  // bytes of the buffer taken by the head (request line to CRLFCRLF)
};

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string reason;
  std::vector<HttpHeader> headers;
  BodyFraming framing = BodyFraming::UntilClose;
  std::uint64_t content_length = 0;
  bool keep_alive = true;  // the server lets the connection be reused after this response
  std::size_t head_size = 0;
};

// Whether s is a valid header field name (a token, RFC 9110 5.1).
bool is_header_name(std::string_view s);

// ASCII case-insensitive comparison (header names, methods of the policy, hosts).
bool iequals(std::string_view a, std::string_view b);

// The value of the only header called `name`, nullopt when absent.
// (Headers that may repeat are refused by the parser where that matters.)
std::optional<std::string_view> find_header(const std::vector<HttpHeader>& headers,
                                            std::string_view name);

// Offset just past the first empty line (the end of a head) in buf, searching
// from `from` (an offset already searched, so that a head arriving byte by
// byte is scanned once, not once per byte); std::string_view::npos when there
// is none yet. An LF-only empty line counts, so that the parser can refuse it
// rather than wait for a CRLFCRLF that never comes.
std::size_t find_head_end(std::string_view buf, std::size_t from = 0);

// Parses a request head at the start of buf. Complete: *out is filled and
// out->head_size bytes were used. Incomplete: no empty line yet and buf is
// under kMaxHeadBytes. Invalid: *error says why (for the 400 body and the log).
// Leading CRLFs (which RFC 9112 asks a server to skip) count in head_size.
Parse parse_request_head(std::string_view buf, RequestHead* out, std::string* error);

// Parses a response head to a request made with request_method and chooses its
// body framing: none for HEAD, 1xx, 204 and 304; chunked; Content-Length;
// otherwise until the server closes.
Parse parse_response_head(std::string_view buf, std::string_view request_method, ResponseHead* out,
                          std::string* error);

// Follows a chunked body as it streams past, without keeping it: chunk-size
// lines (hex, optional extensions), data, CRLF after each chunk, the last
// chunk, trailer fields and the final CRLF. The proxy forwards exactly the
// bytes the tracker says belong to the body, so a second request pipelined
// behind a chunked body is seen as a request and decided on its own.
class ChunkedTracker {
 public:
  // Size lines and trailer lines longer than this are refused (a size line is
  // a few hex digits; extensions are rarely used and never needed here).
  static constexpr std::size_t kMaxLineBytes = 4096;
  static constexpr std::size_t kMaxTrailerBytes = std::size_t{16} * 1024;

  // Consumes the longest prefix of data that belongs to the body. Complete:
  // the body ended inside data, after *used bytes (the rest is the next
  // message). Incomplete: all of data belongs to the body (*used ==
  // data.size()). Invalid: the framing is broken, *error says where; nothing
  // after the bytes already consumed may be forwarded.
  Parse feed(std::string_view data, std::size_t* used, std::string* error);

  [[nodiscard]] bool done() const { return state_ == State::Done; }

 private:
  enum class State {
    Size,          // hex digits of a chunk size
    Extension,     // after the size: ";name=value" or whitespace, up to CR
    SizeLf,        // CR seen at the end of a size line
    Data,          // remaining_ bytes of chunk data
    DataCr,        // CR expected after the data
    DataLf,        // LF expected after that CR
    TrailerStart,  // start of a trailer line, or the final CRLF
    TrailerName,   // inside a trailer field name
    TrailerValue,  // after the colon
    TrailerLf,     // CR seen at the end of a trailer line
    FinalLf,       // CR seen on the empty line that ends the body
    Done,
  };
  State state_ = State::Size;
  std::uint64_t remaining_ = 0;  // chunk data left, or the size being read
  std::size_t digits_ = 0;       // hex digits in the current size
  std::size_t line_bytes_ = 0;   // bytes of the current size or trailer line
  std::size_t trailer_bytes_ = 0;
};

// Whether a header is hop-by-hop (only for the connection it came on): the
// fixed set (Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization, TE, Upgrade: the proxy supports no upgrade) and any
// name that the message's Connection header lists.
bool is_hop_by_hop(std::string_view name, const std::vector<HttpHeader>& headers);

// The head the proxy sends to the origin server for a request in absolute
// form: origin-form target, the client's HTTP version, exactly one Host
// (the target's authority), hop-by-hop headers removed, every other header
// in the client's order. The client's framing headers (Content-Length or
// Transfer-Encoding: chunked) are kept: the body goes through unchanged.
std::string upstream_request_head(const RequestHead& request);

// The head the proxy sends back to its client: status line, the server's
// headers without hop-by-hop ones, and `Connection: close` when the proxy
// will close the client connection after this response.
std::string downstream_response_head(const ResponseHead& response, bool close);

}  // namespace cordon::egress
