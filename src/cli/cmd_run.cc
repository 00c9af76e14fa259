// cordon run [options] -- CMD ARGS...: the main job.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "base/stamp.h"
#include "cli/commands.h"
#include "cli/egress_run.h"
#include "cli/policy_flags.h"
#include "policy/load.h"
#include "sandbox/landlock.h"
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
  // The sandbox's process first, before the policy is even read: it makes
  // its network namespace (the costliest step of the kernel's) while we
  // load the policy and plan, and runs nothing until it has the plan. An
  // invalid policy, or Landlock mode after all, kills it unused. Not when
  // the command line asks for Landlock mode: it would only be killed.
  std::unique_ptr<sandbox::Prestarted> prestarted;
  if (flags.policy.mode != "landlock") {
    int namespaces_errno = 0;  // the host refuses them: found again, and handled, below
    auto started = sandbox::Prestarted::start(workspace.value(), &namespaces_errno);
    if (started.ok()) prestarted = std::move(started.value());
  }
  auto request = load_request(flags.policy, workspace.value());
  if (!request.ok()) return fail(request.error().what());
  auto effective = policy::load_effective(request.value());
  stamp("policy");
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
  bool cwd_inside =
      canonical_cwd == input.workspace || canonical_cwd.rfind(input.workspace + "/", 0) == 0;
  input.cwd = cwd_inside ? canonical_cwd : input.workspace;
  input.argv = flags.command;
  input.environ = policy::scrub_environment(effective->process, env);
  stamp("scrub");

  const policy::Policy& pol = effective.value();
  const std::string mode = pol.sandbox.mode ? pol.sandbox.mode->value : "auto";
  const int abi = sandbox::landlock_abi();

  // Nothing runs with less than the policy requires: the guarantees of the
  // chosen mode on this host are checked first, and a missing one named.
  auto refuse_unmet = [&](sandbox::Mode m, const std::string& context) -> int {
    auto missing = sandbox::unmet(pol, sandbox::guarantees(m, abi));
    if (missing.empty()) return 0;
    std::string msg = context + "the policy requires what this host cannot give:";
    for (const auto& [name, why] : missing) msg += "\n  " + name + ": " + why;
    msg += "\nrun `cordon doctor` for what to change, or relax [sandbox] require";
    return fail(msg);
  };

  auto run_mode = [&](sandbox::Mode m, sandbox::Outcome& outcome) -> int {
    auto spec =
        m == sandbox::Mode::Full ? sandbox::plan(pol, input) : sandbox::plan_landlock(pol, input);
    if (!spec.ok()) return fail(spec.error().what());
    stamp("plan");
    // The egress proxy, when the policy lets anything out.
    std::unique_ptr<sandbox::TerminalGate> gate;
    std::unique_ptr<EgressRun> egress;
    sandbox::SupervisorHooks hooks;
    bool host_listeners = false;
    if (pol.network.any_egress()) {
      gate = std::make_unique<sandbox::TerminalGate>();
      EgressOptions eo;
      eo.home = request->home;
      eo.user_policy_path = policy::user_policy_path(request->home, request->xdg_config_home);
      eo.landlock_mode = m == sandbox::Mode::Landlock;
      eo.gate = gate.get();
      auto created = EgressRun::create(pol, eo);
      if (!created.ok()) return fail(created.error().what());
      egress = std::move(created.value());
      egress->apply_environment(spec->envp);
      if (m == sandbox::Mode::Landlock) {
        spec->landlock_rules.tcp_connect_ports = egress->ports();
        host_listeners = true;
      } else {
        spec->egress = true;
      }
      hooks.on_listener = [&egress](char kind, UniqueFd fd) {
        return egress->take_listener(kind, std::move(fd));
      };
      hooks.gate = gate.get();
    }
    // The placeholders are made once the child exists, while it creates its
    // network namespace, and before it is let go to mount over them.
    std::optional<sandbox::PlaceholderLease> placeholders;
    hooks.after_clone = [&]() -> Status {
      auto lease = sandbox::PlaceholderLease::acquire(spec->workspace, spec->placeholders);
      if (!lease.ok()) return lease.error();
      placeholders.emplace(std::move(lease.value()));
      if (host_listeners) return egress->start_host_listeners();
      return ok_status();
    };

    outcome = sandbox::supervise(spec.value(), hooks,
                                 m == sandbox::Mode::Full ? std::move(prestarted) : nullptr);
    stamp("supervise-returned");
    if (egress) egress->finish();
    if (outcome.namespaces_errno != 0) return -1;  // nothing ran

    if (placeholders) placeholders->release();
    stamp("placeholders-released");
    auto report = [](const std::vector<sandbox::SweepFinding>& findings) {
      for (const auto& f : findings)
        std::fprintf(stderr, "cordon: %s: %s; %s\n", f.path.c_str(), f.what.c_str(),
                     f.action.c_str());
    };
    report(sandbox::sweep_workspace(spec->workspace, spec->git_baseline));
    if (m == sandbox::Mode::Landlock)
      report(sandbox::sweep_protected(spec->protected_roots, spec->protected_baseline));
    stamp("swept");
    if (!outcome.error.empty()) std::fprintf(stderr, "cordon: %s\n", outcome.error.c_str());
    if (!outcome.limit_hit.empty()) std::fprintf(stderr, "cordon: %s\n", outcome.limit_hit.c_str());
    if (outcome.timed_out)
      std::fprintf(stderr, "cordon: timed out after %gs; the sandbox was killed\n",
                   spec->timeout_seconds);
    return outcome.exit_code;
  };

  sandbox::Outcome outcome;
  if (mode != "landlock") {
    if (int rc = refuse_unmet(sandbox::Mode::Full, ""); rc != 0) return rc;
    int rc = run_mode(sandbox::Mode::Full, outcome);
    if (rc >= 0) return rc;
    // The host refused the namespaces, and nothing ran.
    std::string why = outcome.error +
                      ". Unprivileged user namespaces are unavailable here (`cordon doctor` says "
                      "why and how to enable them)";
    if (mode == "full") return fail(why + "; the policy's [sandbox] mode is \"full\"");
    if (int r = refuse_unmet(sandbox::Mode::Landlock, why + ", and in Landlock mode "); r != 0)
      return r;
    std::string lacks;
    for (const auto& [name, reason] : sandbox::guarantees(sandbox::Mode::Landlock, abi).missing)
      lacks += "\n  no " + name + ": " + reason;
    std::fprintf(stderr, "cordon: %s; running in Landlock mode (mode = \"auto\"):%s\n", why.c_str(),
                 lacks.c_str());
  } else {
    if (int rc = refuse_unmet(sandbox::Mode::Landlock, ""); rc != 0) return rc;
  }
  prestarted.reset();  // Landlock mode: the namespaces' process goes, unused
  int rc = run_mode(sandbox::Mode::Landlock, outcome);
  return rc >= 0 ? rc : fail(outcome.error);
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
