// The subcommands: each file registers its flags and returns how to run it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>
#include <vector>

namespace cordon::cli {

struct Runner {
  CLI::App* sub;
  std::function<int()> run;
};

// Registers the subcommands on `app` (only `run` when `first_arg`, the
// first command-line argument, is "run"); the caller runs the one parsed.
std::vector<Runner> register_commands(CLI::App& app, std::string_view first_arg);

// One per file (cmd_*.cc).
Runner add_run_command(CLI::App& app);
Runner add_policy_command(CLI::App& app);
Runner add_doctor_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_hook_command(CLI::App& app);

}  // namespace cordon::cli
