// cordon hook: Claude Code's hook protocol on stdin/stdout.
//
// Register it for PreToolUse, PostToolUse, UserPromptSubmit and SessionStart
// (README). For PreToolUse it answers allow, ask or deny with the reason,
// and rewrites a Bash command so that it runs under `cordon run` (the
// updatedInput field); the other events feed the session's flow state.
//
// Fails closed: when the input cannot be read or the policy is invalid, a
// PreToolUse gets exit status 2 (Claude Code blocks the call and shows the
// reason), never a silent pass.
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/tool_calls.h"
#include "guard/hook.h"
#include "guard/session.h"

namespace cordon::cli {
namespace {

struct HookArgs {
  PolicyFlags policy;
  bool no_sandbox = false;
};

// Exit status 2: Claude Code blocks the tool call and shows stderr.
int block(const std::string& why) {
  std::fprintf(stderr, "cordon hook: %s\n", why.c_str());
  return 2;
}

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "cordon";
  return std::string(buf, static_cast<size_t>(n));
}

// The I/O around guard::answer_hook (guard/hook.h): stdin, the policy files,
// the session's state file, stdout.
int run(const HookArgs& args) {
  std::string text;
  text.assign(std::istreambuf_iterator<char>(std::cin), {});
  auto in = guard::parse_hook_input(text);
  if (!in.ok()) return block(in.error().what());
  std::string cwd = in->cwd;
  if (cwd.empty()) {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) != nullptr) cwd = buf;
  }
  const char* project = std::getenv("CLAUDE_PROJECT_DIR");
  const std::string workspace = project != nullptr && *project != '\0' ? project : cwd;

  auto setup = tool_setup(args.policy, workspace, cwd, !args.no_sandbox);
  if (!setup.ok()) {
    if (in->event == guard::HookEvent::PreToolUse) return block(setup.error().what());
    std::fprintf(stderr, "cordon hook: %s\n", setup.error().what().c_str());
    return 1;
  }
  policy::CallPolicy engine(setup->policy, setup->context);
  guard::HookOptions options;
  if (setup->policy.tools.flow) options.flow = setup->policy.tools.flow->value;
  for (const auto& e : setup->policy.tools.trusted) options.trusted_tools.push_back(e.value);
  options.rewrite = !args.no_sandbox;
  options.self = self_path();
  options.workspace = setup->context.workspace;

  std::optional<guard::SessionFile> session;
  if (guard::needs_session(*in)) {
    const char* xdg_state = std::getenv("XDG_STATE_HOME");
    const std::string dir =
        guard::session_dir(setup->context.home, xdg_state != nullptr ? xdg_state : "");
    auto opened = guard::SessionFile::open(dir, in->session_id);
    if (!opened.ok()) {
      // After the call ran (PostToolUse) there is nothing left to block.
      return in->event == guard::HookEvent::PostToolUse ? 1 : block(opened.error().what());
    }
    session.emplace(std::move(*opened));
  }
  guard::HookAnswer answer =
      guard::answer_hook(*in, engine, options, session ? &session->state() : nullptr);
  if (answer.status != 0) {
    if (answer.status == 2) return block(answer.error);
    return answer.status;
  }
  if (answer.save && session) {
    if (auto s = session->save(); !s.ok() && answer.save_required) return block(s.error().what());
  }
  if (!answer.output.empty()) std::printf("%s\n", answer.output.c_str());
  return 0;
}

}  // namespace

Runner add_hook_command(CLI::App& app) {
  auto args = std::make_shared<HookArgs>();
  auto* sub = app.add_subcommand(
      "hook",
      "Claude Code hook: PreToolUse, PostToolUse, UserPromptSubmit, SessionStart JSON on stdin");
  sub->add_flag("--no-sandbox", args->no_sandbox,
                "Do not rewrite Bash commands to run under `cordon run` (they are then decided "
                "as running outside the sandbox)");
  add_policy_flags(sub, args->policy);
  return {sub, [args] {
            // Fail closed on cordon's own errors too: main() would exit 125,
            // which Claude Code takes as a non-blocking error and runs the call.
            try {
              return run(*args);
            } catch (const std::exception& e) {
              return block(std::string("internal error: ") + e.what());
            }
          }};
}

}  // namespace cordon::cli
