// The ClientHello SNI reader on arbitrary bytes: never crashes, needs at
// most kMaxClientHelloBytes to decide, and never decides (Found, NoSni) on
// a prefix of the records it used.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "check.h"
#include "egress/tls.h"

using namespace cordon::egress;
using cordon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  Sni sni = parse_client_hello_sni(buf);
  switch (sni.status) {
    case Sni::Found:
      check(!sni.host.empty() && sni.host.size() <= 0xffff);
      check(sni.detail.empty());
      break;
    case Sni::NoSni: check(sni.host.empty()); break;
    case Sni::Incomplete:
      check(sni.host.empty());
      check(size <= kMaxClientHelloBytes);
      break;
    case Sni::NotTls:
    case Sni::Invalid: check(sni.host.empty() && !sni.detail.empty()); break;
  }
  if (sni.status == Sni::Found || sni.status == Sni::NoSni) {
    // The records it used are in the buffer; the same bytes alone give the
    // same answer, and every proper prefix of them is Incomplete, or the
    // proxy would have decided early on bytes that change meaning once the
    // rest arrives.
    check(sni.size > 0 && sni.size <= size && sni.size <= kMaxClientHelloBytes);
    Sni exact = parse_client_hello_sni(buf.substr(0, sni.size));
    check(exact.status == sni.status && exact.host == sni.host && exact.size == sni.size);
    for (size_t n : {size_t{0}, sni.size / 2, sni.size - 1}) {
      check(parse_client_hello_sni(buf.substr(0, n)).status == Sni::Incomplete);
    }
  }
  return 0;
}
