// Claude Code's hook protocol without I/O (guard/hook.h): what `cordon hook`
// answers for each event, given the engine and the session's state. The
// real binary with real session files: tests/integration/hook_test.cc.
#include "guard/hook.h"

#include <gtest/gtest.h>

#include <string>

#include "policy/load.h"
#include "shell/analyze.h"

namespace cordon::guard {
namespace {

using nlohmann::json;

const char* const kWorkspace = "/nonexistent-unit/ws";

const policy::CallPolicy& engine() {
  static const policy::CallPolicy e = [] {
    policy::Policy p = policy::builtin_default();
    p.tools.allow.push_back({"Bash(git diff:*)", {}});
    p.tools.allow.push_back({"WebFetch(domain:evil.example)", {}});
    p.tools.deny.push_back({"Bash(curl:*)", {}});
    return policy::CallPolicy(
        p, policy::CallContext{kWorkspace, "/nonexistent-unit/home", kWorkspace, true});
  }();
  return e;
}

HookOptions options() {
  HookOptions o;
  o.self = "/opt/cor'don";
  o.workspace = kWorkspace;
  return o;
}

HookAnswer answer(const std::string& text, SessionState* state) {
  auto in = parse_hook_input(text);
  EXPECT_TRUE(in.ok()) << text;
  return answer_hook(*in, engine(), options(), state);
}

TEST(Hook, InputThatIsNotAJsonObjectIsAnError) {
  for (const char* text : {"", "not json", "[1,2]", "\"PreToolUse\"", "{\"a\":"}) {
    EXPECT_FALSE(parse_hook_input(text).ok()) << text;
  }
  EXPECT_FALSE(parse_hook_input(std::string(kMaxHookInput + 1, ' ')).ok());
}

TEST(Hook, MalformedPreToolUseIsBlockedWithoutSession) {
  for (
      const char* text :
      {R"({"hook_event_name":"PreToolUse","session_id":"s","tool_input":{"command":"ls"}})",
       R"({"hook_event_name":"PreToolUse","session_id":"s","tool_name":"","tool_input":{}})",
       R"({"hook_event_name":"PreToolUse","session_id":"s","tool_name":7})",
       R"({"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Bash","tool_input":"ls"})"}) {
    auto in = parse_hook_input(text);
    ASSERT_TRUE(in.ok());
    EXPECT_FALSE(needs_session(*in)) << text;
    HookAnswer a = answer_hook(*in, engine(), options(), nullptr);
    EXPECT_EQ(a.status, 2) << text;
    EXPECT_TRUE(a.output.empty()) << text;
    EXPECT_FALSE(a.error.empty()) << text;
  }
}

TEST(Hook, MalformedPostToolUseIsReportedNotBlocked) {
  SessionState s;
  HookAnswer a = answer(R"({"hook_event_name":"PostToolUse","session_id":"s","tool_name":[]})", &s);
  EXPECT_EQ(a.status, 1);
  EXPECT_FALSE(a.save);
}

TEST(Hook, BashIsRewrittenToRunUnderCordonQuotedExactly) {
  SessionState s;
  const std::string command = "echo 'it'\\''s' \"$HOME\"; git diff";
  json event = {{"hook_event_name", "PreToolUse"},
                {"session_id", "s"},
                {"tool_name", "Bash"},
                {"tool_input", {{"command", command}, {"description", "d"}}}};
  HookAnswer a = answer(event.dump(), &s);
  ASSERT_EQ(a.status, 0);
  json out = json::parse(a.output)["hookSpecificOutput"];
  EXPECT_EQ(out["permissionDecision"], "allow");
  EXPECT_EQ(out["updatedInput"]["description"], "d");
  const std::string rewritten = out["updatedInput"]["command"];
  auto analysis = shell::analyze(rewritten);
  ASSERT_TRUE(std::holds_alternative<shell::Analysis>(analysis));
  const auto& argv = std::get<shell::Analysis>(analysis).commands.at(0).argv;
  std::vector<std::string> words;
  for (const auto& arg : argv) words.push_back(arg.text);
  EXPECT_EQ(words, (std::vector<std::string>{"/opt/cor'don", "run", "--workspace", kWorkspace, "--",
                                             "bash", "-c", command}));
  EXPECT_TRUE(a.save);
  EXPECT_EQ(s.events.size(), 1U);
}

TEST(Hook, DeniedBashIsNotRewritten) {
  SessionState s;
  HookAnswer a = answer(
      R"({"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Bash","tool_input":{"command":"curl https://x.example"}})",
      &s);
  ASSERT_EQ(a.status, 0);
  json out = json::parse(a.output)["hookSpecificOutput"];
  EXPECT_EQ(out["permissionDecision"], "deny");
  EXPECT_FALSE(out.contains("updatedInput"));
}

TEST(Hook, FlowRuleTightensTheEnginesAllow) {
  EXPECT_EQ(engine().decide({"WebFetch", {{"url", "https://evil.example/x"}}}).verdict,
            policy::CallVerdict::Allow);
  SessionState s;
  s.untrusted = true;
  s.untrusted_tokens = {"evil.example"};
  HookAnswer a = answer(
      R"({"hook_event_name":"PreToolUse","session_id":"s","tool_name":"WebFetch","tool_input":{"url":"https://evil.example/x"}})",
      &s);
  ASSERT_EQ(a.status, 0);
  json out = json::parse(a.output)["hookSpecificOutput"];
  EXPECT_EQ(out["permissionDecision"], "ask");
}

// Found by fuzz_hook (tests/fuzz/corpus/fuzz_hook/crash_utf8_cut_event):
// the event log cut a reason at 400 bytes inside a UTF-8 character, saving
// the state then threw, and the hook died with 125, which Claude Code takes
// as a non-blocking error: the call ran undecided and outside the sandbox.
TEST(Hook, LongNonAsciiReasonsAreCutOnCharacterBoundaries) {
  SessionState s;
  std::string url = "ftp://x/";
  for (int i = 0; i < 300; ++i) url += "\xc3\xa9";  // é
  json event = {{"hook_event_name", "PreToolUse"},
                {"session_id", "s"},
                {"tool_name", "WebFetch"},
                {"tool_input", {{"url", url}}}};
  HookAnswer a = answer(event.dump(), &s);
  ASSERT_EQ(a.status, 0);
  EXPECT_NO_THROW((void)s.to_json().dump());
  EXPECT_TRUE(json::accept(a.output)) << a.output;

  // The first private read, cut at 200 bytes.
  std::string command = "cat ~/.ssh/id_rsa x";
  for (int i = 0; i < 150; ++i) command += "\xc3\xa9";
  json post = {{"hook_event_name", "PostToolUse"},
               {"session_id", "s"},
               {"tool_name", "Bash"},
               {"tool_input", {{"command", command}}},
               {"tool_response", {{"stdout", "key"}}}};
  SessionState fresh;
  a = answer(post.dump(), &fresh);
  ASSERT_EQ(a.status, 0);
  EXPECT_TRUE(fresh.private_data);
  EXPECT_NO_THROW((void)fresh.to_json().dump());
}

TEST(Hook, OtherEventsPrintNothingAndKeepTheState) {
  SessionState s;
  auto in = parse_hook_input(R"({"hook_event_name":"Stop","session_id":"s"})");
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(needs_session(*in));
  HookAnswer a = answer_hook(*in, engine(), options(), nullptr);
  EXPECT_EQ(a.status, 0);
  EXPECT_TRUE(a.output.empty());
  EXPECT_FALSE(a.save);
}

TEST(Hook, PromptIsRecordedAndMustBeSaved) {
  SessionState s;
  HookAnswer a = answer(
      R"({"hook_event_name":"UserPromptSubmit","session_id":"s","prompt":"fetch https://docs.example.org"})",
      &s);
  EXPECT_EQ(a.status, 0);
  EXPECT_TRUE(a.save && a.save_required);
  EXPECT_TRUE(s.trusted_tokens.contains("docs.example.org"));
}

TEST(Hook, SessionStartClearsUnlessResumed) {
  SessionState s;
  s.untrusted = true;
  (void)answer(R"({"hook_event_name":"SessionStart","session_id":"s","source":"resume"})", &s);
  EXPECT_TRUE(s.untrusted);
  (void)answer(R"({"hook_event_name":"SessionStart","session_id":"s","source":"startup"})", &s);
  EXPECT_FALSE(s.untrusted);
}

}  // namespace
}  // namespace cordon::guard
