#include "cli/commands.h"

namespace cordon::cli {

Runner add_run_command(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Run a command inside the sandbox");
  return {sub, [] { return 125; }};
}

}  // namespace cordon::cli
