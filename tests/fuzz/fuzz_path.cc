// normalize_path on arbitrary bytes: never crashes, and its normal form is
// a fixed point with no dot segment, no empty segment, no encoded '/' and
// nothing a path may not hold raw: a prefix compared with it is compared
// with what the server will see.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "egress/decide.h"

using namespace cordon::egress;
using cordon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto normal = normalize_path(raw, &why);
  if (!normal) {
    check(!why.empty());
    return 0;
  }
  const std::string& path = *normal;
  check(!path.empty() && path[0] == '/');
  check(normalize_path(path) == path);
  check(path.find("//") == std::string::npos);
  check(path.find("%2F") == std::string::npos && path.find("%5C") == std::string::npos);
  // "%25" (a literal '%') stays, but never as the start of a second encoding.
  for (size_t at = path.find("%25"); at != std::string::npos; at = path.find("%25", at + 1)) {
    check(at + 4 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[at + 3])) ||
          !std::isxdigit(static_cast<unsigned char>(path[at + 4])));
  }
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    check(u > 0x20 && u < 0x7f && c != '\\' && c != '?' && c != '#');
  }
  // No "." or ".." segment survives.
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view segment = std::string_view(path).substr(start, end - start);
    check(segment != "." && segment != "..");
    start = end + 1;
  }
  return 0;
}
