#include "policy/policy.h"

#include <fmt/format.h>

namespace cordon::policy {

const char* layer_name(Layer layer) {
  switch (layer) {
    case Layer::BuiltIn: return "built-in";
    case Layer::User: return "user";
    case Layer::Project: return "project";
    case Layer::CommandLine: return "command line";
    case Layer::Managed: return "managed";
  }
  return "?";
}

std::string origin_text(const Origin& origin) {
  if (origin.line <= 0) return origin.source.empty() ? layer_name(origin.layer) : origin.source;
  // The built-in text has no column worth citing: each entry is on its own line.
  if (origin.layer == Layer::BuiltIn) return fmt::format("{}:{}", origin.source, origin.line);
  return fmt::format("{}:{}:{}", origin.source, origin.line, origin.column);
}

}  // namespace cordon::policy
