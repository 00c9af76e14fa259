#include "cli/commands.h"

namespace cordon::cli {

std::vector<Runner> register_commands(CLI::App& app, std::string_view first_arg) {
  // `cordon run` starts every contained command: declaring the other
  // subcommands' flags too would cost it a few hundred thousand instructions
  // (measured with callgrind) for nothing. The top level takes no option
  // with a value, so a first argument "run" can only name the subcommand.
  if (first_arg == "run") return {add_run_command(app)};
  // `cordon hook` runs on every tool call of an agent: the same economy.
  if (first_arg == "hook") return {add_hook_command(app)};
  return {add_run_command(app), add_policy_command(app), add_doctor_command(app),
          add_check_command(app), add_hook_command(app)};
}

}  // namespace cordon::cli
