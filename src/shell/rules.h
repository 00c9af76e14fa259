// Claude Code's Bash permission rules, matched on what a command runs.
//
// The rule syntax is Claude Code's, as its permissions documentation gives
// it:
//   Bash, Bash(*)           every command
//   Bash(git diff)          exactly `git diff`
//   Bash(npm run test:*)    `npm run test` and `npm run test <anything>` (the
//                           legacy :* suffix: a prefix on a word boundary)
//   Bash(ls *)              `ls` and `ls <anything>`, not `lsof` (a trailing
//                           " *" as the only wildcard may match nothing)
//   Bash(ls*)               `ls`, `lsof`, `ls -la`
//   Bash(git * main)        * matches any text, spaces included; \* is a star
// Deny beats ask beats allow, whatever the order or specificity.
//
// Unlike a match on the command text, a pattern is matched against the argv
// of each simple command the analyser finds (src/shell/analyze.h), after
// quote removal, one token per argument: `git diff; rm -rf ~` and
// `git diff $(curl x)` are two commands each and cannot ride on
// Bash(git diff:*). A command is allowed only when every command in it is,
// nothing it runs is hidden from the analyser, and no exec-capable flag is
// present unless the allow rule itself names the flag.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shell/analyze.h"

namespace cordon::shell {

struct BashPattern {
  std::string rule;    // as written: "Bash(npm run test:*)"
  std::string origin;  // where it was written, for messages ("~/.claude/settings.json")
  bool any = false;    // Bash, Bash(*)
  bool exact = false;  // no wildcard: the whole argv, nothing more
  // The compiled form: literal bytes, kSep for a word boundary, kStar for a
  // wildcard. A trailing " *" that is the only wildcard may match nothing.
  std::string program;
  bool optional_tail = false;
  std::string first_word;  // the literal first word when it has no wildcard (the index key)

  static constexpr char kSep = '\x1e';
  static constexpr char kStar = '\x1f';
};

// Parses "Bash" or "Bash(specifier)"; nullopt with *error set for anything
// else (another tool's rule, unbalanced parentheses, control characters).
std::optional<BashPattern> parse_bash_rule(std::string_view rule, std::string origin,
                                           std::string* error);

// Whether a pattern matches an argv. A non-static argument is matched only
// by a wildcard, never by literal text (`curl $URL` is not
// `curl http://github.com`).
bool pattern_matches(const BashPattern& p, const std::vector<Arg>& argv);

enum class RuleList : std::uint8_t { Allow, Ask, Deny };

class BashRules {
 public:
  // Adds a rule to a list; an error message when it is not a Bash rule.
  std::optional<std::string> add(RuleList list, std::string_view rule, std::string origin = {});

  // The first rule of `list` matching the command. For deny and ask, a
  // command run by path (/bin/rm) is also matched by its base name (rm).
  [[nodiscard]] const BashPattern* match(RuleList list, const Command& c) const;
  [[nodiscard]] const std::vector<BashPattern>& rules(RuleList list) const;
  [[nodiscard]] bool has_any(RuleList list) const;

  // When the command cannot be parsed: ask, or deny when this is set.
  bool deny_unparseable = false;
  // Whether a write (a redirection, tee, cp's destination ...) may happen
  // without a question. Unset: a relative path with no `..`, or /dev/null,
  // /dev/stdout, /dev/stderr. The policy engine passes its own path rules.
  std::function<bool(const Write&)> write_allowed;

 private:
  struct List {
    std::vector<BashPattern> patterns;
    // Hashed, looked up by string_view without a copy.
    struct NameHash {
      using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name
      std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<std::uint32_t>, NameHash, std::equal_to<>> by_first;
    std::vector<std::uint32_t> generic;  // first word has a wildcard: tried for every command
    bool any = false;
  };
  [[nodiscard]] const List& list(RuleList l) const;
  List allow_;
  List ask_;
  List deny_;
};

struct ShellVerdict {
  enum Kind : std::uint8_t { Allow, Ask, Deny };
  Kind kind = Ask;
  std::string reason;  // a sentence for the person asked: "no rule allows `make install`"
  std::string rule;    // the deciding rule(s) as written, empty when none
};

ShellVerdict judge(std::string_view command, const BashRules& rules);
ShellVerdict judge(const Analysis& analysis, const BashRules& rules);

std::string_view verdict_name(ShellVerdict::Kind k);

}  // namespace cordon::shell
