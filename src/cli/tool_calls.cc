#include "cli/tool_calls.h"

#include "guard/hook.h"

namespace cordon::cli {

Result<ToolSetup> tool_setup(const PolicyFlags& flags, const std::string& workspace,
                             const std::string& cwd, bool contained) {
  auto request = load_request(flags, workspace);
  if (!request.ok()) return request.error();
  auto effective = policy::load_effective(*request);
  if (!effective.ok()) return effective.error();
  ToolSetup setup;
  setup.policy = std::move(*effective);
  setup.context.workspace = request->workspace;
  setup.context.home = request->home;
  setup.context.cwd = cwd.empty() ? request->workspace : cwd;
  setup.context.contained = contained;
  return setup;
}

Result<policy::ToolCall> tool_call_from_json(const nlohmann::json& j) {
  return guard::tool_call_from_json(j);
}

nlohmann::json decision_json(const policy::CallDecision& d) {
  nlohmann::json j = {{"decision", policy::call_verdict_name(d.verdict)},
                      {"reason", d.reason},
                      {"outside", d.outside}};
  if (!d.rule.empty()) {
    j["rule"] = d.rule;
    j["source"] = d.source;
    j["line"] = d.line;
  }
  return j;
}

}  // namespace cordon::cli
