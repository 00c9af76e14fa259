// cordon check: the decision on one tool call, with the rule that made it.
//
//   cordon check '{"tool":"Bash","input":{"command":"npm test"}}'
//   cordon check --tool Read --file-path ~/.ssh/id_rsa
//   echo '{"tool":"WebFetch","input":{"url":"https://example.com"}}' | cordon check -
//
// Exit status: 0 allow, 1 ask, 2 deny, 125 when the call or the policy is invalid.
#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.h"
#include "cli/tool_calls.h"

namespace cordon::cli {
namespace {

struct CheckArgs {
  PolicyFlags policy;
  std::string call_json;
  std::string tool, command, file_path, url;
  std::string workspace;
  bool json = false;
  bool outside = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "cordon: %s\n", message.c_str());
  return 125;
}

int run(const CheckArgs& args) {
  nlohmann::json call_json;
  if (!args.call_json.empty()) {
    std::string text = args.call_json;
    if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
    call_json = nlohmann::json::parse(text, nullptr, false);
    if (call_json.is_discarded()) return fail("the call is not valid JSON: " + text.substr(0, 200));
  } else if (!args.tool.empty()) {
    call_json = {{"tool", args.tool}, {"input", nlohmann::json::object()}};
    if (!args.command.empty()) call_json["input"]["command"] = args.command;
    if (!args.file_path.empty()) call_json["input"]["file_path"] = args.file_path;
    if (!args.url.empty()) call_json["input"]["url"] = args.url;
  } else {
    return fail(
        "no call given: cordon check '{\"tool\":\"Bash\",\"input\":{\"command\":\"...\"}}' "
        "or --tool NAME [--command C | --file-path P | --url U]");
  }
  auto call = tool_call_from_json(call_json);
  if (!call.ok()) return fail(call.error().what());
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return fail("cannot read the current directory");
  auto setup =
      tool_setup(args.policy, args.workspace.empty() ? cwd : args.workspace, cwd, !args.outside);
  if (!setup.ok()) return fail(setup.error().what());
  policy::CallPolicy engine(setup->policy, setup->context);
  policy::CallDecision d = engine.decide(*call);
  if (args.json) {
    std::printf("%s\n", decision_json(d).dump().c_str());
  } else {
    std::printf("%s: %s\n", policy::call_verdict_name(d.verdict), d.reason.c_str());
    if (!d.rule.empty()) {
      std::printf("  rule: %s  (%s%s)\n", d.rule.c_str(), d.source.c_str(),
                  d.line > 0 ? fmt::format(":{}", d.line).c_str() : "");
    }
    if (d.outside) std::printf("  the call runs or acts outside the sandbox\n");
    for (const auto& n : setup->policy.notes) std::fprintf(stderr, "cordon: note: %s\n", n.c_str());
  }
  switch (d.verdict) {
    case policy::CallVerdict::Allow: return 0;
    case policy::CallVerdict::Ask: return 1;
    case policy::CallVerdict::Deny: return 2;
  }
  return 125;
}

}  // namespace

Runner add_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  auto* sub = app.add_subcommand(
      "check", "Decide one tool call (allow, ask, deny) and show the rule; exit 0, 1 or 2");
  sub->add_option("call", args->call_json,
                  "The call as JSON: {\"tool\": \"Bash\", \"input\": {\"command\": \"...\"}}; - "
                  "reads it from stdin");
  sub->add_option("--tool", args->tool, "The tool's name (instead of JSON)");
  sub->add_option("--command", args->command, "Bash: the command");
  sub->add_option("--file-path", args->file_path, "Read, Edit, Write: the file");
  sub->add_option("--url", args->url, "WebFetch: the URL");
  sub->add_option("--workspace", args->workspace,
                  "The project the sandbox makes writable (default: the current directory)");
  sub->add_flag("--json", args->json, "Print the decision as JSON");
  sub->add_flag("--outside", args->outside,
                "The call runs outside any sandbox (Bash is then a rule's decision only)");
  add_policy_flags(sub, args->policy);
  return {sub, [args] { return run(*args); }};
}

}  // namespace cordon::cli
