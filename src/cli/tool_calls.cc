#include "cli/tool_calls.h"

#include <fmt/format.h>

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
  if (!j.is_object())
    return plain_error("expected a JSON object {\"tool\": ..., \"input\": {...}}");
  policy::ToolCall call;
  auto tool = j.find("tool");
  if (tool == j.end()) tool = j.find("tool_name");
  if (tool == j.end() || !tool->is_string() || tool->get<std::string>().empty()) {
    return plain_error("expected \"tool\": the tool's name as a string");
  }
  call.tool = tool->get<std::string>();
  auto input = j.find("input");
  if (input == j.end()) input = j.find("tool_input");
  if (input != j.end()) {
    if (!input->is_object()) return plain_error("expected \"input\" to be a JSON object");
    call.input = *input;
  }
  return call;
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
