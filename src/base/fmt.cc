// fmt's compiled part, built once.
//
// cordon used fmt header-only so that the dynamic loader would not have one
// more shared library to map on every `cordon run` (libfmt.so is the only
// form Debian ships). Header-only, though, every translation unit that
// formats compiled fmt's whole implementation again: more than half of the
// compile time of a typical file here, measured (policy/network.cc: 14.3 s
// header-only, 6.5 s without). This file compiles that implementation once,
// into the static library cordon_fmt, which every target links instead.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

// The instantiations fmt/format.h declares `extern template` when it is not
// header-only.
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl(locale_ref) -> char;
template auto decimal_point_impl(locale_ref) -> wchar_t;

}  // namespace detail
FMT_END_NAMESPACE
