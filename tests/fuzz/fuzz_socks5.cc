// The SOCKS5 greeting and request parsers on arbitrary bytes: never crash,
// never claim more bytes than they were given, and agree with themselves on
// a shorter buffer.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "egress/address.h"
#include "egress/socks5.h"

using namespace cordon::egress;
using cordon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  std::string error;

  Greeting greeting;
  Parse g = parse_greeting(buf, &greeting, &error);
  size_t used = 0;
  if (g == Parse::Complete) {
    check(greeting.size <= buf.size());
    check(greeting.size == 2 + greeting.methods.size());
    check(!greeting.methods.empty());
    Greeting shorter;
    check(parse_greeting(buf.substr(0, greeting.size - 1), &shorter, nullptr) == Parse::Incomplete);
    used = greeting.size;
  } else if (g == Parse::Invalid) {
    check(!error.empty());
  }

  // The request, after the greeting when there was one, else from the start.
  std::string_view rest = buf.substr(used);
  SocksRequest request;
  error.clear();
  Parse r = parse_request(rest, &request, &error);
  if (r == Parse::Complete) {
    check(request.size <= rest.size());
    check(request.size >= 8);  // the shortest: a one-byte name
    if (request.by_name) {
      check(!request.host.empty() && request.host.size() <= 255);
      check(request.size == 7 + request.host.size());
    } else {
      auto address = IpAddress::parse(request.host);
      check(address.has_value() && address->str() == request.host);
    }
    SocksRequest shorter;
    check(parse_request(rest.substr(0, request.size - 1), &shorter, nullptr) == Parse::Incomplete);
    SocksRequest exact;
    check(parse_request(rest.substr(0, request.size), &exact, nullptr) == Parse::Complete);
    check(exact.host == request.host && exact.port == request.port && exact.size == request.size);
  } else if (r == Parse::Invalid) {
    check(!error.empty());
    check(request.failure_reply == kSocksGeneralFailure ||
          request.failure_reply == kSocksAddressTypeNotSupported);
  }
  return 0;
}
