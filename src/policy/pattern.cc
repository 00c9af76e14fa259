#include "policy/pattern.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "policy/load.h"

namespace cordon::policy {
namespace {

// Control bytes would end up in mount paths, error messages and terminals.
Status check_no_control(std::string_view text, std::string_view what) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      return plain_error(
          fmt::format("expected a {} without control characters (byte 0x{:02x} at "
                      "offset {})",
                      what, c, i));
    }
  }
  return ok_status();
}

// Index just past the "]" that closes the bracket expression opening at
// `open`, or npos. A "]" right after "[" or "[!" is a member, not the end.
size_t bracket_end(std::string_view p, size_t open) {
  size_t i = open + 1;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) ++i;
  if (i < p.size() && p[i] == ']') ++i;
  while (i < p.size() && p[i] != ']') ++i;
  return i < p.size() ? i + 1 : std::string_view::npos;
}

Status check_brackets(std::string_view text, std::string_view what) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '[') continue;
    size_t end = bracket_end(text, i);
    if (end == std::string_view::npos ||
        text.substr(i, end - i).find('/') != std::string_view::npos) {
      return plain_error(fmt::format(
          "expected a {} whose \"[\" is closed by \"]\" (write [[] for a literal \"[\")", what));
    }
    i = end - 1;
  }
  return ok_status();
}

// Reads digits[.digits] at text[i...] and moves i past it: the value, or
// nullopt when there is no such number (".5", "5." and exponents are not
// durations or sizes).
std::optional<double> read_decimal(std::string_view text, size_t& i) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == start) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    size_t frac = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == frac) return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, value);
  if (ec != std::errc() || end != text.data() + i) return std::nullopt;
  return value;
}

// The order docs/policy.md lists them in; the sandbox checks each by name.
constexpr std::string_view kRequirements[] = {
    "filesystem-isolation", "protected-paths", "credential-hiding", "network-isolation",
    "process-isolation",    "landlock",        "seccomp",           "resource-limits",
};

// ASCII only, and inline: names of environment variables and the patterns
// that scrub them are ASCII, and std::tolower (a call into libc, through the
// locale) was most of the time spent scrubbing an environment at every run.
char fold(char c, bool fold_case) {
  return fold_case && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Does the bracket expression p[open, end) accept c?
bool bracket_accepts(std::string_view p, size_t open, size_t end, char c, bool fold_case) {
  size_t i = open + 1;
  bool negate = false;
  if (p[i] == '!' || p[i] == '^') {
    negate = true;
    ++i;
  }
  bool hit = false;
  const size_t last = end - 1;  // the closing "]"
  while (i < last) {
    char lo = p[i];  // a "]" here is the first member (bracket_end skipped it)
    if (i + 2 < last && p[i + 1] == '-') {
      char hi = p[i + 2];
      char fc = fold(c, fold_case);
      if ((fold(lo, fold_case) <= fc && fc <= fold(hi, fold_case)) || (lo <= c && c <= hi)) {
        hit = true;
      }
      i += 3;
    } else {
      if (fold(lo, fold_case) == fold(c, fold_case)) hit = true;
      ++i;
    }
  }
  return hit != negate;
}

}  // namespace

Status check_path_pattern(std::string_view pattern) {
  constexpr std::string_view kWhat = "path pattern";
  if (pattern.empty()) return plain_error("expected a non-empty path pattern");
  CORDON_TRY(check_no_control(pattern, kWhat));
  if (pattern[0] == '~' && pattern.size() > 1 && pattern[1] != '/') {
    return plain_error("expected \"~\" or \"~/...\" (\"~user\" is not supported)");
  }
  for (std::string_view part : path_components(pattern)) {
    if (part == "..") {
      return plain_error("expected a path pattern without \"..\" components");
    }
    if (part.find("**") != std::string_view::npos) {
      return plain_error(
          "expected globs within one path component (\"**\" is not supported; use one \"*\" per "
          "level)");
    }
  }
  return check_brackets(pattern, kWhat);
}

Status check_project_pattern(std::string_view pattern) {
  CORDON_TRY(check_path_pattern(pattern));
  if (pattern[0] != '/' && pattern[0] != '~') {
    return plain_error("expected an absolute or \"~/...\" path for a trusted project");
  }
  return ok_status();
}

Status check_name_pattern(std::string_view pattern) {
  constexpr std::string_view kWhat = "variable name pattern";
  if (pattern.empty()) return plain_error("expected a non-empty variable name pattern");
  CORDON_TRY(check_no_control(pattern, kWhat));
  if (pattern.find('=') != std::string_view::npos) {
    return plain_error("expected a variable name pattern without \"=\"");
  }
  return check_brackets(pattern, kWhat);
}

std::optional<double> parse_duration(std::string_view text) {
  size_t i = 0;
  double total = 0;
  constexpr std::string_view kUnits = "dhms";
  constexpr double kUnitSeconds[] = {86400, 3600, 60, 1};
  size_t next_unit = 0;  // units must come largest first, each once
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    auto number = read_decimal(text, i);
    if (!number) return std::nullopt;
    if (i == text.size()) {
      // A bare number means seconds, and only on its own ("600", not "1h30").
      if (next_unit != 0) return std::nullopt;
      total = *number;
      break;
    }
    size_t unit = kUnits.find(text[i]);
    if (unit == std::string_view::npos || unit < next_unit) return std::nullopt;
    total += *number * kUnitSeconds[unit];
    next_unit = unit + 1;
    ++i;
  }
  if (!(total > 0) || total > kMaxTimeoutSeconds || !std::isfinite(total)) return std::nullopt;
  return total;
}

std::optional<double> parse_size(std::string_view text) {
  size_t i = 0;
  auto number = read_decimal(text, i);
  if (!number) return std::nullopt;
  double scale = 1;
  if (i < text.size()) {
    constexpr std::string_view kSuffixes = "KMGT";
    size_t unit =
        kSuffixes.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
    if (unit == std::string_view::npos || i + 1 != text.size()) return std::nullopt;
    scale = std::ldexp(1.0, 10 * static_cast<int>(unit + 1));
  }
  // Whole bytes: "1.5K" is 1536, "0.3K" is 307. A kernel limit has no fractions.
  double bytes = std::floor(*number * scale);
  if (!(bytes >= 1) || bytes > kMaxSizeBytes) return std::nullopt;
  return bytes;
}

std::string size_text(double bytes) {
  if (!(bytes >= 0) || bytes > kMaxSizeBytes || bytes != std::floor(bytes)) {
    return fmt::format("{}", bytes);  // not a size parse_size gives; shown as it is
  }
  auto whole = static_cast<uint64_t>(bytes);
  constexpr std::string_view kSuffixes = "KMGT";
  for (int unit = 4; unit >= 1; --unit) {
    uint64_t scale = uint64_t{1} << (10 * unit);
    if (whole != 0 && whole % scale == 0) {
      return fmt::format("{}{}", whole / scale, kSuffixes[static_cast<size_t>(unit - 1)]);
    }
  }
  return fmt::format("{}", whole);
}

std::span<const std::string_view> known_requirements() { return kRequirements; }

Status check_requirement(std::string_view name) {
  for (std::string_view known : kRequirements) {
    if (name == known) return ok_status();
  }
  std::string list;
  for (std::string_view known : kRequirements) {
    if (!list.empty()) list += ", ";
    list += known;
  }
  return plain_error(fmt::format("expected one of {}", list));
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool has_glob(std::string_view text) { return text.find_first_of("*?[") != std::string_view::npos; }

bool glob_match(std::string_view p, std::string_view t, bool fold_case) {
  // Iterative matching with one backtrack point: the last "*" seen. Linear
  // in practice, and never recursive, so a hostile pattern cannot blow the stack.
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        star_p = pi++;
        star_t = ti;
        continue;
      }
      if (pc == '?') {
        ++pi;
        ++ti;
        continue;
      }
      if (pc == '[') {
        size_t end = bracket_end(p, pi);
        if (end != std::string_view::npos) {
          if (bracket_accepts(p, pi, end, t[ti], fold_case)) {
            pi = end;
            ++ti;
            continue;
          }
        } else if (t[ti] == '[') {  // unclosed: a literal "["
          ++pi;
          ++ti;
          continue;
        }
      } else if (fold(pc, fold_case) == fold(t[ti], fold_case)) {
        ++pi;
        ++ti;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> path_components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(i, slash - i);
    if (!part.empty() && part != ".") out.push_back(part);
    i = slash + 1;
  }
  return out;
}

bool path_glob_match(std::string_view pattern, std::string_view path) {
  auto p = path_components(pattern);
  auto t = path_components(path);
  if (p.size() != t.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!glob_match(p[i], t[i])) return false;
  }
  return true;
}

bool may_lie_within(std::string_view pattern, std::string_view tree) {
  auto p = path_components(pattern);
  auto t = path_components(tree);
  if (t.size() > p.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    bool p_glob = has_glob(p[i]);
    bool t_glob = has_glob(t[i]);
    if (p_glob && t_glob) continue;  // two globs: assume they can meet
    if (t_glob ? !glob_match(t[i], p[i]) : p_glob ? !glob_match(p[i], t[i]) : p[i] != t[i]) {
      return false;
    }
  }
  return true;
}

std::string absolute_pattern(std::string_view pattern, std::string_view home,
                             std::string_view workspace) {
  std::string joined;
  if (pattern == "~" || pattern.starts_with("~/")) {
    joined = std::string(home) + "/" + std::string(pattern.substr(1));
  } else if (pattern.starts_with("/")) {
    joined = std::string(pattern);
  } else {
    joined = std::string(workspace) + "/" + std::string(pattern);
  }
  // Lexical normalisation: "." and empty components vanish, ".." removes the
  // one before it (never above "/"). Validated patterns hold no "..", but
  // home and workspace come from the environment.
  std::vector<std::string_view> parts;
  for (std::string_view part : path_components(joined)) {
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

}  // namespace cordon::policy
