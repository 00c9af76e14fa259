// cordon's command line: one subcommand per file, this file only dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "base/stamp.h"
#include "cli/commands.h"

int main(int argc, char** argv) try {
  cordon::stamp("main");
  CLI::App app{"cordon: run AI agents inside a boundary they cannot cross"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  auto runners = cordon::cli::register_commands(app, argc > 1 ? argv[1] : "");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Bad flags run nothing; cordon's own failures exit 125 (DESIGN.md).
    int rc = app.exit(e);
    return rc == 0 ? 0 : 125;
  }
  for (auto& r : runners) {
    cordon::stamp("parsed");
    if (r.sub->parsed()) return r.run();
  }
  return 125;
} catch (const std::exception& e) {
  // Nothing has run when cordon itself fails: 125 (DESIGN.md).
  std::fprintf(stderr, "cordon: %s\n", e.what());
  return 125;
}
