// Scrubbing secrets from the environment a contained command inherits.
#include "policy/load.h"
#include "policy/pattern.h"

namespace cordon::policy {
namespace {

// The highest layer of a pattern in `list` that matches `name`, if any.
std::optional<Layer> matching_layer(const PatternList& list, std::string_view name) {
  std::optional<Layer> best;
  for (const auto& e : list) {
    // Case-insensitive: a scrub of *_TOKEN must also catch "github_token".
    if (glob_match(e.value, name, true) && (!best || e.origin.layer > *best)) best = e.origin.layer;
  }
  return best;
}

}  // namespace

std::vector<std::string> scrub_environment(const Process& process,
                                           const std::vector<std::string>& environ) {
  std::vector<std::string> out;
  out.reserve(environ.size());
  for (const std::string& entry : environ) {
    std::string_view name = entry;
    name = name.substr(0, name.find('='));
    auto scrub = matching_layer(process.env_scrub, name);
    if (scrub) {
      auto pass = matching_layer(process.env_pass, name);
      // A pass keeps the variable, except that only the managed file can
      // keep what the managed file scrubs.
      bool kept = pass && (*scrub != Layer::Managed || *pass == Layer::Managed);
      if (!kept) continue;
    }
    out.push_back(entry);
  }
  return out;
}

}  // namespace cordon::policy
