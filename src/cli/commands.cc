#include "cli/commands.h"

namespace cordon::cli {

std::vector<Runner> register_commands(CLI::App& app) {
  return {add_run_command(app), add_policy_command(app), add_doctor_command(app)};
}

}  // namespace cordon::cli
