// The shell parser, analyser and judge on arbitrary bytes: never crashes,
// never hangs (the limits hold), a command that does not parse is never
// allowed, and the analysis is well formed (parents before children).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "check.h"
#include "shell/analyze.h"
#include "shell/parse.h"
#include "shell/rules.h"

using namespace cordon::shell;
using cordon::fuzz::check;

namespace {

const BashRules& rules() {
  static const BashRules r = [] {
    BashRules x;
    for (const char* a :
         {"Bash(git diff:*)", "Bash(ls:*)", "Bash(echo:*)", "Bash(cat *)", "Bash(npm run test:*)",
          "Bash(* --version)", "Bash(sed:*)", "Bash(find:*)", "Bash(grep:*)"}) {
      x.add(RuleList::Allow, a);
    }
    x.add(RuleList::Deny, "Bash(rm:*)");
    x.add(RuleList::Deny, "Bash(curl:*)");
    x.add(RuleList::Ask, "Bash(git push:*)");
    return x;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view src(reinterpret_cast<const char*>(data), size);
  ParseResult parsed = parse(src);
  ShellVerdict v = judge(src, rules());
  if (std::holds_alternative<ParseError>(parsed)) {
    check(v.kind != ShellVerdict::Allow);
    return 0;
  }
  Analysis a = analyze(std::get<Parsed>(parsed), src);
  for (std::size_t i = 0; i < a.commands.size(); ++i) {
    const Command& c = a.commands[i];
    check(!c.argv.empty());
    check(c.parent < static_cast<int>(i));
    if (c.dynamic_command) check(v.kind != ShellVerdict::Allow);
    if (!c.opaque.empty()) check(v.kind != ShellVerdict::Allow);
  }
  if (!a.unseeable.empty()) check(v.kind != ShellVerdict::Allow);
  return 0;
}
