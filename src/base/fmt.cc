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

// The templates fmt/format.h declares and format-inl.h defines, instantiated
// here for the types cordon's code can reach (the `extern template` ones,
// floating-point formatting, the locale).
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl(locale_ref) -> char;
template auto decimal_point_impl(locale_ref) -> wchar_t;
template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template locale_ref::locale_ref(const std::locale& loc);
template auto locale_ref::get<std::locale>() const -> std::locale;

}  // namespace detail
FMT_END_NAMESPACE
