// Patterns: validating what a policy may contain, glob matching, durations,
// sizes and the names of the guarantees a policy may require.
//
// Pure string functions. The checks return the sentence the parser and the
// flags put after "FILE:LINE:COL: key: " or "--flag: ".
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace cordon::policy {

// A path pattern: absolute, "~" / "~/...", or relative to the workspace; no
// empty string, no control bytes, no ".." component, no "**", balanced [..].
Status check_path_pattern(std::string_view pattern);

// A trusted project: a path pattern that is absolute or "~"-relative (a
// workspace-relative project would trust whatever directory cordon runs in).
Status check_project_pattern(std::string_view pattern);

// An environment variable name pattern: non-empty, no "=", no control bytes.
Status check_name_pattern(std::string_view pattern);

// Seconds in (0, kMaxTimeoutSeconds]: "600", "2.5", "45s", "10m", "1h30m", "1d".
// Units d, h, m, s, each at most once, largest first.
inline constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600;
std::optional<double> parse_duration(std::string_view text);
// What parse_duration accepts, for error messages.
inline constexpr std::string_view kDurationExpected =
    "expected a positive duration of at most 365 days: seconds (600) or \"45s\", \"10m\", "
    "\"1h30m\", \"1d\"";

// Bytes: an integer ("1048576"), or a number with a K, M, G or T suffix in
// powers of 1024 ("512M", "1.5G", "2t"); rounded down to a whole byte, then
// in [1, kMaxSizeBytes]. No sign, no exponent, no space, no "B" or "iB".
inline constexpr double kMaxSizeBytes = 9007199254740992.0;  // 2^53 = 8192T: exact in a double
std::optional<double> parse_size(std::string_view text);
// What parse_size accepts, for error messages.
inline constexpr std::string_view kSizeExpected =
    "expected a size from 1 byte to 8192T: a number of bytes (1048576) or a string with a K, M, G "
    "or T suffix in powers of 1024 (\"512M\", \"1.5G\")";
// The shortest exact form that parse_size reads back: "2G", "1536M", "1000".
std::string size_text(double bytes);

// The guarantees a policy may require ([sandbox] require), in the order the
// docs list them: "filesystem-isolation", "protected-paths",
// "credential-hiding", "network-isolation", "process-isolation", "landlock",
// "seccomp", "resource-limits".
std::span<const std::string_view> known_requirements();
// One of known_requirements(), exactly (case matters).
Status check_requirement(std::string_view name);

// A TOML basic string ("a \"b\""), with quotes, backslashes and control
// bytes escaped, so that the result is TOML whatever the text holds.
std::string toml_string(std::string_view text);

// True when the text holds a glob character (*, ? or [).
bool has_glob(std::string_view text);

// Shell-style glob over one string: * (any run, including a leading dot and,
// for names, anything), ? (one character), [abc] [a-z] [!x] [^x]. No
// backslash escapes: write [*] for a literal star. An unclosed [ is literal.
bool glob_match(std::string_view pattern, std::string_view text, bool fold_case = false);

// The components of a path, without empty and "." ones.
std::vector<std::string_view> path_components(std::string_view path);

// A globbed absolute path pattern against an absolute path: the same number
// of components, each matching (globs never cross a "/").
bool path_glob_match(std::string_view pattern, std::string_view path);

// Whether some path that `pattern` matches could equal or lie under some path
// that `tree` matches (both absolute). Conservative when both components are
// globs: used to keep lower layers from re-opening what the managed file
// denies, where a false "yes" only drops a loosening entry.
bool may_lie_within(std::string_view pattern, std::string_view tree);

}  // namespace cordon::policy
