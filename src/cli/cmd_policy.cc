#include "cli/commands.h"

namespace cordon::cli {

Runner add_policy_command(CLI::App& app) {
  auto* sub = app.add_subcommand("policy", "Show the effective policy or check a policy file");
  return {sub, [] { return 125; }};
}

}  // namespace cordon::cli
