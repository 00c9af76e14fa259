// cordon run [options] -- CMD ARGS...: the main job.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/policy_flags.h"
#include "policy/load.h"
#include "sandbox/plan.h"
#include "sandbox/supervisor.h"
#include "sandbox/sweep.h"
#include "sandbox/workspace.h"

extern char** environ;

namespace cordon::cli {
namespace {

struct RunFlags {
  PolicyFlags policy;
  std::string workspace;
  bool force_workspace = false;
  std::vector<std::string> command;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "cordon: %s\n", message.c_str());
  return sandbox::kExitCordonFailed;
}

std::string current_dir() {
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf) == nullptr) return {};
  return buf;
}

int run(const RunFlags& flags) {
  if (flags.command.empty()) return fail("no command given: cordon run [options] -- CMD ARGS...");
  // From the first moment, the signals we forward are held rather than
  // acted on: one that arrives while the sandbox is being set up is passed
  // to the command as soon as it runs, instead of killing cordon halfway.
  sandbox::block_forwarded_signals();
  const char* home_env = std::getenv("HOME");
  std::string home = home_env != nullptr ? home_env : "";
  std::string cwd = current_dir();
  if (cwd.empty()) return fail("cannot read the current directory");

  auto workspace = sandbox::choose_workspace(flags.workspace, cwd, home, flags.force_workspace);
  if (!workspace.ok()) return fail(workspace.error().what());
  auto request = load_request(flags.policy, workspace.value());
  if (!request.ok()) return fail(request.error().what());
  auto effective = policy::load_effective(request.value());
  if (!effective.ok()) return fail(effective.error().what());

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  sandbox::PlanInput input;
  input.workspace = workspace.value();
  input.home = request->home;
  // Start where the caller stands when that is inside the workspace;
  // anywhere else might not exist in the sandbox.
  std::string canonical_cwd = cwd;
  if (char buf[PATH_MAX]; realpath(cwd.c_str(), buf) != nullptr) canonical_cwd = buf;
  bool cwd_inside = canonical_cwd == input.workspace ||
                    canonical_cwd.rfind(input.workspace + "/", 0) == 0;
  input.cwd = cwd_inside ? canonical_cwd : input.workspace;
  input.argv = flags.command;
  input.environ = policy::scrub_environment(effective->process, env);

  auto spec = sandbox::plan(effective.value(), input);
  if (!spec.ok()) return fail(spec.error().what());

  auto placeholders = sandbox::PlaceholderLease::acquire(spec->workspace, spec->placeholders);
  if (!placeholders.ok()) return fail(placeholders.error().what());

  auto outcome = sandbox::supervise(spec.value());

  placeholders->release();
  for (const auto& f : sandbox::sweep_workspace(spec->workspace, spec->git_baseline))
    std::fprintf(stderr, "cordon: %s: %s; %s\n", f.path.c_str(), f.what.c_str(),
                 f.action.c_str());
  if (!outcome.error.empty()) std::fprintf(stderr, "cordon: %s\n", outcome.error.c_str());
  if (outcome.timed_out)
    std::fprintf(stderr, "cordon: timed out after %gs; the sandbox was killed\n",
                 spec->timeout_seconds);
  return outcome.exit_code;
}

}  // namespace

Runner add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* sub = app.add_subcommand("run", "Run a command inside the sandbox");
  sub->add_option("--workspace", flags->workspace,
                  "The writable project directory (default: the current directory)");
  sub->add_flag("--force-workspace", flags->force_workspace,
                "Accept /, the home directory or a system directory as the workspace");
  add_policy_flags(sub, flags->policy);
  sub->add_option("command", flags->command, "The command and its arguments (after --)")
      ->required();
  sub->positionals_at_end();
  return {sub, [flags] { return run(*flags); }};
}

}  // namespace cordon::cli
