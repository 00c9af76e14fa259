// The proxy's HTTP head parsers and chunked tracker on arbitrary bytes: never
// crash, never claim more bytes than they were given, agree with themselves
// on a shorter buffer, and find the same end of a chunked body however the
// bytes are split across reads.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "egress/http.h"

using namespace cordon::egress;
using cordon::fuzz::check;

namespace {

void request(std::string_view buf) {
  RequestHead head;
  std::string error;
  const Parse p = parse_request_head(buf, &head, &error);
  if (p == Parse::Invalid) {
    check(!error.empty());
    return;
  }
  if (p == Parse::Incomplete) {
    check(buf.size() < kMaxHeadBytes);
    return;
  }
  check(head.head_size <= buf.size() && head.head_size <= kMaxHeadBytes);
  check(find_head_end(buf) == head.head_size);
  // The head alone parses the same; one byte less is not a head yet.
  RequestHead exact;
  check(parse_request_head(buf.substr(0, head.head_size), &exact, &error) == Parse::Complete);
  check(exact.method == head.method && exact.target == head.target && exact.host == head.host &&
        exact.port == head.port && exact.framing == head.framing);
  check(parse_request_head(buf.substr(0, head.head_size - 1), &exact, &error) != Parse::Complete);
  if (head.form == TargetForm::Absolute || head.form == TargetForm::Authority) {
    check(!head.host.empty() && head.port != 0);
  }
  if (head.framing == BodyFraming::ContentLength) check(head.content_length > 0);
  // The head sent upstream is itself a valid origin-form request head with
  // the same framing: what the proxy framed is what the server will frame.
  if (head.form == TargetForm::Absolute) {
    const std::string up = upstream_request_head(head);
    RequestHead again;
    check(parse_request_head(up, &again, &error) == Parse::Complete);
    check(again.head_size == up.size() && again.form == TargetForm::Origin);
    check(again.framing == head.framing && again.content_length == head.content_length);
    check(again.method == head.method && again.path == head.path);
  }
}

void response(std::string_view buf) {
  ResponseHead head;
  std::string error;
  const Parse p = parse_response_head(buf, "GET", &head, &error);
  if (p == Parse::Invalid) check(!error.empty());
  if (p != Parse::Complete) return;
  check(head.head_size <= buf.size());
  check(head.status >= 100 && head.status <= 999);
  const std::string down = downstream_response_head(head, true);
  ResponseHead again;
  check(parse_response_head(down, "GET", &again, &error) == Parse::Complete);
  check(again.framing == head.framing && again.content_length == head.content_length);
}

void chunked(std::string_view buf) {
  ChunkedTracker whole;
  std::size_t used_whole = 0;
  std::string error;
  const Parse a = whole.feed(buf, &used_whole, &error);
  check(used_whole <= buf.size());
  if (a == Parse::Incomplete) check(used_whole == buf.size());
  // The same bytes in pieces of 1..7 bytes reach the same verdict at the same offset.
  const std::size_t step = buf.empty() ? 1 : 1 + static_cast<unsigned char>(buf[0]) % 7;
  ChunkedTracker pieces;
  std::size_t offset = 0;
  Parse b = Parse::Incomplete;
  while (offset < buf.size() && b == Parse::Incomplete) {
    std::size_t used = 0;
    b = pieces.feed(buf.substr(offset, step), &used, &error);
    offset += used;
  }
  check(a == b);
  if (a != Parse::Incomplete) check(offset == used_whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  request(buf);
  response(buf);
  chunked(buf);
  return 0;
}
