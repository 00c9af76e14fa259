// Changing the user's policy file in place, for "allow always" answers:
// the file keeps its comments, order and formatting; only the one entry is
// added, and the result must parse as a policy again before it is written.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace cordon::policy {

// The text of a policy file with `host` added to [network] allow: into the
// existing array, or as a new `allow = [...]` line under an existing
// [network] header, or as a new [network] section at the end. A file whose
// [network] table or allow key is written in a form this cannot edit safely
// (inline table, dotted keys) is refused with the reason. `source` names the
// file in errors.
Result<std::string> with_allowed_host(std::string_view text, const std::string& source,
                                      std::string_view host, std::string_view comment);

// Reads `path` (a missing file counts as empty; its directory is created),
// adds `host` and replaces the file atomically (a temporary file renamed
// over it).
Status add_allowed_host(const std::string& path, std::string_view host, std::string_view comment);

}  // namespace cordon::policy
