#include "policy/policy.h"

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

}  // namespace cordon::policy
