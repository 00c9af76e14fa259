// `cordon policy show` and `cordon policy check FILE`.
#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/policy_flags.h"
#include "policy/load.h"

namespace cordon::cli {
namespace {

struct PolicyArgs {
  PolicyFlags flags;
  std::string workspace;
  bool builtin = false;
  std::string check_file;
  CLI::App* show = nullptr;
  CLI::App* check = nullptr;
};

int fail(const Error& error) {
  std::fprintf(stderr, "cordon: %s\n", error.what().c_str());
  return 125;
}

int run_show(const PolicyArgs& args) {
  if (args.builtin) {
    std::fwrite(policy::builtin_default_toml().data(), 1, policy::builtin_default_toml().size(),
                stdout);
    return 0;
  }
  std::string workspace = args.workspace;
  if (workspace.empty()) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return fail(sys_error("current directory"));
    workspace = cwd;
  }
  auto request = load_request(args.flags, workspace);
  if (!request) return fail(request.error());
  auto effective = policy::load_effective(*request);
  if (!effective) return fail(effective.error());
  std::string text = policy::show(*effective);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int run_check(const PolicyArgs& args) {
  // Checked as a user file: the strictest schema applies to every layer alike.
  auto parsed = policy::load_policy_file(args.check_file, policy::Layer::User);
  if (!parsed) {
    // Bare "FILE:LINE:COL: ..." so that editors can jump to it.
    std::fprintf(stderr, "%s\n", parsed.error().what().c_str());
    return 125;
  }
  std::printf("%s: ok\n", args.check_file.c_str());
  return 0;
}

}  // namespace

Runner add_policy_command(CLI::App& app) {
  auto args = std::make_shared<PolicyArgs>();
  auto* sub = app.add_subcommand("policy", "Show the effective policy or check a policy file");
  sub->require_subcommand(1);

  args->show =
      sub->add_subcommand("show", "Print the effective policy, each entry with its origin");
  args->show
      ->add_option("--workspace", args->workspace,
                   "The workspace whose policy to show (default: the current directory)")
      ->type_name("DIR");
  args->show->add_flag("--builtin", args->builtin, "Print the built-in default policy file");
  add_policy_flags(args->show, args->flags);

  args->check = sub->add_subcommand("check", "Validate one policy file");
  args->check->add_option("FILE", args->check_file, "The policy file")->required();

  return {sub, [args] {
            if (args->show->parsed()) return run_show(*args);
            if (args->check->parsed()) return run_check(*args);
            return 125;
          }};
}

}  // namespace cordon::cli
