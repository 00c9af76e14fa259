// Bash rules: Claude Code's syntax and matching, the decision over whole
// commands, the bypass attempts of THREATS.md ("command rules / shell
// bypasses"), and a labelled corpus of realistic agent commands.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shell/rules.h"

namespace cordon::shell {
namespace {

std::vector<Arg> argv_of(std::initializer_list<const char*> words) {
  std::vector<Arg> out;
  for (const char* w : words) out.push_back(Arg{w, true, false});
  return out;
}

bool rule_matches(const char* rule, std::initializer_list<const char*> words) {
  std::string error;
  std::optional<BashPattern> p = parse_bash_rule(rule, "test", &error);
  EXPECT_TRUE(p) << rule << ": " << error;
  return p && pattern_matches(*p, argv_of(words));
}

TEST(ShellRules, ClaudeCodeSyntaxAsDocumented) {
  // Bash and Bash(*) match every command.
  EXPECT_TRUE(rule_matches("Bash", {"anything", "at", "all"}));
  EXPECT_TRUE(rule_matches("Bash(*)", {"rm", "-rf", "/"}));
  // No wildcard: exactly that command.
  EXPECT_TRUE(rule_matches("Bash(npm run build)", {"npm", "run", "build"}));
  EXPECT_FALSE(rule_matches("Bash(npm run build)", {"npm", "run", "build", "--watch"}));
  EXPECT_FALSE(rule_matches("Bash(npm run build)", {"npm", "run", "build:dev"}));
  // The legacy :* suffix: a prefix on a word boundary.
  EXPECT_TRUE(rule_matches("Bash(npm run test:*)", {"npm", "run", "test"}));
  EXPECT_TRUE(rule_matches("Bash(npm run test:*)", {"npm", "run", "test", "--", "-u"}));
  EXPECT_FALSE(rule_matches("Bash(npm run test:*)", {"npm", "run", "testing"}));
  EXPECT_FALSE(rule_matches("Bash(npm run test:*)", {"npm", "run", "test:unit"}));
  EXPECT_FALSE(rule_matches("Bash(npm:*)", {"npmx"}));
  // The space before * is a word boundary; a lone trailing " *" may match nothing.
  EXPECT_TRUE(rule_matches("Bash(ls *)", {"ls", "-la"}));
  EXPECT_TRUE(rule_matches("Bash(ls *)", {"ls"}));
  EXPECT_FALSE(rule_matches("Bash(ls *)", {"lsof"}));
  EXPECT_TRUE(rule_matches("Bash(ls*)", {"lsof"}));
  EXPECT_TRUE(rule_matches("Bash(ls*)", {"ls", "-la"}));
  // * in the middle matches any text, across words.
  EXPECT_TRUE(rule_matches("Bash(git * main)", {"git", "checkout", "main"}));
  EXPECT_TRUE(rule_matches("Bash(git * main)", {"git", "push", "origin", "main"}));
  EXPECT_FALSE(rule_matches("Bash(git * main)", {"git", "push", "origin", "mainline"}));
  EXPECT_TRUE(rule_matches("Bash(* --version)", {"node", "--version"}));
  EXPECT_FALSE(rule_matches("Bash(* --version)", {"node", "--version", "x"}));
  EXPECT_TRUE(rule_matches("Bash(git * --help)", {"git", "commit", "--help"}));
  // \* is a literal star.
  EXPECT_TRUE(rule_matches("Bash(echo \\*)", {"echo", "*"}));
  EXPECT_FALSE(rule_matches("Bash(echo \\*)", {"echo", "x"}));
  // Whitespace runs in a rule are one word boundary.
  EXPECT_TRUE(rule_matches("Bash(git   diff:*)", {"git", "diff"}));
}

TEST(ShellRules, MatchingIsTokenWiseNotTextual) {
  // An argument with a space is one token: only a wildcard spans it.
  EXPECT_FALSE(rule_matches("Bash(git diff:*)", {"git diff", "x"}));
  EXPECT_TRUE(rule_matches("Bash(echo:*)", {"echo", "a b"}));
  // A computed argument matches only a wildcard, never literal text.
  std::string error;
  auto p = parse_bash_rule("Bash(curl http://github.com/:*)", "", &error);
  ASSERT_TRUE(p);
  std::vector<Arg> argv = {{"curl", true, false}, {"$URL", false, false}};
  EXPECT_FALSE(pattern_matches(*p, argv));
  auto any_curl = parse_bash_rule("Bash(curl:*)", "", &error);
  EXPECT_TRUE(pattern_matches(*any_curl, argv));
}

TEST(ShellRules, RuleParsingRefusesOtherTools) {
  std::string error;
  EXPECT_FALSE(parse_bash_rule("Read(./.env)", "", &error));
  EXPECT_FALSE(parse_bash_rule("Bash(ls", "", &error));
  EXPECT_FALSE(parse_bash_rule("Bash(ls\n)", "", &error));
  EXPECT_NE(error, "");
  BashRules r;
  EXPECT_TRUE(r.add(RuleList::Allow, "WebFetch(domain:x.com)"));
  EXPECT_FALSE(r.add(RuleList::Allow, "Bash(git status)"));
}

// The rules of the bypass table: what a cautious user writes.
BashRules bypass_rules() {
  BashRules r;
  for (const char* a : {"Bash(git diff:*)", "Bash(npm run test:*)", "Bash(ls:*)", "Bash(echo:*)",
                        "Bash(git:*)", "Bash(cat:*)", "Bash(rg:*)", "Bash(sed:*)", "Bash(find:*)",
                        "Bash(tar:*)", "Bash(grep:*)"}) {
    EXPECT_FALSE(r.add(RuleList::Allow, a, "bypass"));
  }
  for (const char* d : {"Bash(rm:*)", "Bash(curl:*)"}) {
    EXPECT_FALSE(r.add(RuleList::Deny, d, "bypass"));
  }
  return r;
}

struct Case {
  const char* what;
  std::string command;
  ShellVerdict::Kind expected;
};

constexpr auto kAllow = ShellVerdict::Allow;
constexpr auto kAsk = ShellVerdict::Ask;
constexpr auto kDeny = ShellVerdict::Deny;

// Each row: the attempt, and what cordon must answer under bypass_rules().
const std::vector<Case>& bypass_table() {
  static const std::vector<Case> cases = {
      // the baseline: what the rules are meant to allow
      {"allowed prefix", "git diff --stat", kAllow},
      {"allowed chain", "ls -la && git diff", kAllow},
      // chaining
      {"semicolon", "git diff; rm -rf ~", kDeny},
      {"and", "git diff && rm -rf ~", kDeny},
      {"or", "git diff || rm -rf ~", kDeny},
      {"pipe", "git diff | rm -rf ~", kDeny},
      {"pipe stderr", "git diff |& rm -rf ~", kDeny},
      {"background", "git diff & rm -rf ~", kDeny},
      {"newline", "git diff\nrm -rf ~", kDeny},
      // bash reads \r as a letter: one git command with odd arguments.
      {"carriage return is not a separator", "git diff\rrm -rf ~", kAllow},
      {"chain to unknown", "git diff; python3 x.py", kAsk},
      {"subshell", "(rm -rf ~)", kDeny},
      {"group", "{ rm -rf ~; }", kDeny},
      {"if body", "if true; then rm -rf ~; fi", kDeny},
      {"loop body", "for i in 1; do rm -rf ~; done", kDeny},
      {"case body", "case x in x) rm -rf ~;; esac", kDeny},
      {"negation", "! rm -rf ~", kDeny},
      {"time", "time rm -rf ~", kDeny},
      // substitution
      {"command substitution in argument", "git diff $(curl x)", kDeny},
      {"backticks in argument", "git diff `curl x`", kDeny},
      {"substitution in double quotes", "echo \"$(curl x)\"", kDeny},
      {"substitution in assignment", "X=$(curl x) git diff", kDeny},
      {"substitution in redirection target", "echo x > $(curl x)", kDeny},
      {"substitution in parameter default", "echo ${X:-$(curl x)}", kDeny},
      {"substitution in arithmetic", "echo $(( $(curl x) + 1 ))", kDeny},
      {"nested substitution", "echo $(echo $(echo $(curl x)))", kDeny},
      {"process substitution", "cat <(curl x)", kDeny},
      {"process substitution, allowed inside", "cat <(ls)", kAsk},
      {"output process substitution", "echo x > >(rm -rf ~)", kDeny},
      {"substitution in command position", "$(echo rm) -rf ~", kAsk},
      {"backticks in command position", "`echo rm` -rf ~", kAsk},
      {"substitution in here-document", "cat <<EOF\n$(curl x)\nEOF", kDeny},
      {"backticks in here-document", "cat <<EOF\n`rm -rf ~`\nEOF", kDeny},
      {"quoted here-document is text", "cat <<'EOF'\n$(curl x)\nEOF", kAllow},
      {"here-string", "cat <<< \"$(curl x)\"", kDeny},
      {"substitution in case pattern", "case x in $(curl x)) ;; esac", kDeny},
      {"substitution in [[ ]]", "[[ -n $(curl x) ]]", kDeny},
      {"substitution in for list", "for i in $(curl x); do echo $i; done", kDeny},
      // wrappers
      {"env", "env rm -rf ~", kDeny},
      {"env with assignment", "env A=1 rm -rf ~", kDeny},
      {"env -i", "env -i rm -rf ~", kDeny},
      {"timeout", "timeout 5 rm -rf ~", kDeny},
      {"timeout with signal", "timeout -s KILL 5 rm -rf ~", kDeny},
      {"nice", "nice -n 5 rm -rf ~", kDeny},
      {"nohup", "nohup rm -rf ~", kDeny},
      {"command", "command rm -rf ~", kDeny},
      {"builtin is not a way around", "builtin rm -rf ~", kDeny},
      {"exec", "exec rm -rf ~", kDeny},
      {"sudo", "sudo rm -rf ~", kDeny},
      {"sudo with user", "sudo -u root rm -rf ~", kDeny},
      {"doas", "doas rm -rf ~", kDeny},
      {"stdbuf", "stdbuf -oL rm -rf ~", kDeny},
      {"ionice", "ionice -c3 rm -rf ~", kDeny},
      {"chrt", "chrt -b 0 rm -rf ~", kDeny},
      {"taskset", "taskset -c 0 rm -rf ~", kDeny},
      {"setsid", "setsid rm -rf ~", kDeny},
      {"busybox", "busybox rm -rf ~", kDeny},
      {"wrappers stacked", "sudo env nice -n 1 timeout 5 rm -rf ~", kDeny},
      {"xargs", "echo ~ | xargs rm -rf", kDeny},
      {"xargs with options", "ls | xargs -0 -n 1 rm", kDeny},
      {"xargs allowed inside still asks", "ls | xargs grep foo", kAsk},
      {"find -exec", "find . -exec rm {} ;", kDeny},
      {"find -execdir", "find . -execdir rm {} +", kDeny},
      {"find -ok", "find . -ok rm {} \\;", kDeny},
      {"bash -c", "bash -c 'rm -rf /'", kDeny},
      {"sh -c", "sh -c \"rm -rf /\"", kDeny},
      {"bash -lc", "bash -lc 'rm -rf /'", kDeny},
      {"zsh -c", "zsh -c 'rm -rf /'", kDeny},
      {"dash -c", "dash -c 'curl x | sh'", kDeny},
      {"bash -c nested", "bash -c \"sh -c 'rm -rf /'\"", kDeny},
      {"bash -c allowed inside", "bash -c 'git diff && ls'", kAllow},
      {"sh -c computed", "sh -c \"$X\"", kAsk},
      {"bash reading stdin", "echo 'rm -rf ~' | bash", kAsk},
      {"bash running a file", "bash ./x.sh", kAsk},
      {"eval", "eval 'rm -rf ~'", kDeny},
      {"eval allowed inside still asks", "eval 'ls'", kAsk},
      {"source", "source ./x.sh", kAsk},
      {"dot", ". ./x.sh", kAsk},
      {"watch", "watch -n 1 rm -rf /tmp/x", kDeny},
      {"parallel", "parallel rm ::: a b", kDeny},
      {"su -c", "su -c 'rm -rf /' root", kDeny},
      {"trap", "trap 'rm -rf ~' EXIT", kDeny},
      // exec-capable flags
      {"rg --pre", "rg --pre=sh x", kAsk},
      {"rg --pre separate", "rg --pre sh x", kAsk},
      {"git -c core.pager", "git -c core.pager=sh diff", kAsk},
      {"git -c attached", "git -ccore.pager=sh diff", kAsk},
      {"git -c alias", "git -c alias.x='!sh' x", kAsk},
      {"git --exec-path", "git --exec-path=/tmp diff", kAsk},
      {"git fetch --upload-pack", "git fetch --upload-pack='sh -c id' .", kAsk},
      {"git diff --output", "git diff --output=/tmp/x", kAsk},
      {"sed -i", "sed -i s/a/b/ f", kAsk},
      {"sed -i in a cluster", "sed -ni s/a/b/p f", kAsk},
      {"sed --in-place abbreviated", "sed --in-pl s/a/b/ f", kAsk},
      {"sed e command", "sed 's/x/id/e' f", kAsk},
      {"sed w command", "sed -n 'w /tmp/o' f", kAsk},
      {"sed read-only", "sed -n 1,5p f", kAllow},
      {"find -delete", "find . -delete", kAsk},
      {"find -fprint", "find . -fprint /tmp/x", kAsk},
      {"tar --to-command", "tar --to-command=sh -xf a.tar", kAsk},
      {"tar --checkpoint-action", "tar -cf a.tar --checkpoint=1 --checkpoint-action=exec=sh .",
       kAsk},
      {"tar -I", "tar -I sh -xf a.tar", kAsk},
      {"tar old-style bundle", "tar xIf sh a.tar", kAsk},
      {"tar read-only", "tar -tzf a.tar.gz", kAllow},
      {"glob may expand to an option", "tar -cf a.tar *", kAsk},
      {"computed argument to an exec-capable tool", "rg $X foo", kAsk},
      {"computed argument to a plain tool", "cat $X", kAllow},
      // quoting tricks
      {"empty quotes", "r\"\"m -rf ~", kDeny},
      {"single-quoted part", "'r'm -rf ~", kDeny},
      {"backslash before", "\\rm -rf ~", kDeny},
      {"backslash inside", "r\\m -rf ~", kDeny},
      {"ANSI-C hex", "$'\\x72m' -rf ~", kDeny},
      {"ANSI-C octal", "$'\\162\\155' -rf ~", kDeny},
      {"ANSI-C unicode escape", "$'\\u0072m' -rf ~", kDeny},
      {"double-quoted name", "\"rm\" -rf ~", kDeny},
      {"line continuation inside the name", "r\\\nm -rf ~", kDeny},
      {"path to the binary", "/bin/rm -rf ~", kDeny},
      {"relative path", "../../bin/rm -rf ~", kDeny},
      {"brace expansion", "{rm,-rf,~}", kAsk},
      {"brace expansion in the name", "r{m,} -rf ~", kAsk},
      {"glob in the name", "/bin/r? -rf ~", kAsk},
      // newlines inside quotes are text
      {"newline inside quotes", "echo 'a\nrm -rf ~'", kAllow},
      {"newline inside double quotes", "echo \"a\nrm -rf ~\"", kAllow},
      {"escaped newline", "echo a \\\n && rm -rf ~", kDeny},
      {"comment hides nothing", "echo a # ; rm -rf ~", kAllow},
      {"comment ends at newline", "echo a # x\nrm -rf ~", kDeny},
      // variables as commands
      {"variable", "$CMD -rf ~", kAsk},
      {"braced variable", "${CMD} -rf ~", kAsk},
      {"default value", "${X:-rm} -rf ~", kAsk},
      {"quoted variable", "\"${cmd}\" -rf ~", kAsk},
      {"assigned then used", "X=rm; $X -rf ~", kAsk},
      {"indirect", "${!X} -rf ~", kAsk},
      // functions and aliases
      {"function shadowing an allowed name", "ls() { rm -rf ~; }; ls", kDeny},
      {"function keyword", "function ls { rm -rf ~; }; ls", kDeny},
      {"function defined, not called", "f() { rm -rf ~; }", kDeny},
      {"function with allowed body", "f() { git diff; }; f", kAllow},
      {"function in a subshell does not hide rm", "(rm() { :; }); rm -rf ~", kDeny},
      {"function shadowing a denied name", "rm() { echo no; }; rm -rf ~", kAllow},
      {"function shadowing, defined in a branch", "if x; then rm() { :; }; fi; rm -rf ~", kDeny},
      {"alias", "alias ls='rm -rf ~'", kAsk},
      {"alias then use", "alias ls='rm -rf ~'\nls", kAsk},
      // redirections writing outside
      {"write to a dotfile", "echo x > ~/.bashrc", kAsk},
      {"append to a dotfile", "echo x >> ~/.bashrc", kAsk},
      {"write to an absolute path", "echo x > /etc/profile", kAsk},
      {"write above the working directory", "echo x > ../x", kAsk},
      {"write through &>", "ls &> /etc/x", kAsk},
      {"write through >|", "ls >| /etc/x", kAsk},
      {"read-write <>", "ls <> /etc/x", kAsk},
      {"write with fd", "ls 2> /etc/x", kAsk},
      {"write to a computed path", "echo x > \"$F\"", kAsk},
      {"write inside", "echo x > out.txt", kAllow},
      {"fd duplication is not a write", "ls 2>&1", kAllow},
      {"write by a compound command", "{ ls; } > /etc/x", kAsk},
      // unicode look-alikes: another command, neither denied nor allowed
      {"fullwidth r", "\xef\xbd\x92m -rf ~", kAsk},
      {"cyrillic s in sudo", "\xd1\x95udo rm -rf ~", kAsk},
      {"zero-width joiner in the name", "r\xe2\x80\x8dm -rf ~", kAsk},
      {"cyrillic i in git", "g\xd1\x96t diff", kAsk},
      {"non-breaking space is not a separator",
       "git\xc2\xa0"
       "diff",
       kAsk},
      // NUL bytes, garbage, size and depth
      {"NUL byte", std::string("git diff\0; rm -rf ~", 19), kAsk},
      {"unterminated quote", "git diff '", kAsk},
      {"unbalanced parenthesis", "git diff )", kAsk},
      {"deep nesting",
       [] {
         std::string s;
         for (int i = 0; i < 5000; ++i) s += "( ";
         s += "ls";
         for (int i = 0; i < 5000; ++i) s += " )";
         return s;
       }(),
       kAsk},
      {"(( is arithmetic, not nesting", "((((x))))", kAllow},
      {"deep substitution",
       [] {
         std::string s = "ls";
         for (int i = 0; i < 200; ++i) s = "echo $(" + s + ")";
         return s;
       }(),
       kAsk},
      {"very long allowed", "echo " + std::string(200000, 'a'), kAllow},
      {"very long chain",
       [] {
         std::string s;
         for (int i = 0; i < 2000; ++i) s += "ls; ";
         return s + "rm -rf ~";
       }(),
       kDeny},
      {"over the size cap", "echo " + std::string(2 << 20, 'a'), kAsk},
  };
  return cases;
}

TEST(ShellRules, BypassAttempts) {
  BashRules rules = bypass_rules();
  for (const Case& c : bypass_table()) {
    ShellVerdict v = judge(c.command, rules);
    EXPECT_EQ(verdict_name(v.kind), verdict_name(c.expected))
        << c.what << ": " << c.command.substr(0, 120) << "\n  reason: " << v.reason;
  }
}

TEST(ShellRules, UnparseableIsNeverAllowed) {
  BashRules rules;
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(git diff:*)"));
  EXPECT_EQ(judge("git diff '", rules).kind, ShellVerdict::Ask);
  rules.deny_unparseable = true;
  ShellVerdict v = judge("git diff '", rules);
  EXPECT_EQ(v.kind, ShellVerdict::Deny);
  EXPECT_NE(v.reason.find("unterminated single quote"), std::string::npos) << v.reason;
}

TEST(ShellRules, AnAllowRuleThatNamesTheFlagAllowsIt) {
  BashRules rules;
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(sed -i:*)"));
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(find * -exec grep *)"));
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(grep:*)"));
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(git -c core.pager=cat log)"));
  EXPECT_EQ(judge("sed -i s/a/b/ f", rules).kind, ShellVerdict::Allow);
  EXPECT_EQ(judge("find . -name x -exec grep -l foo {} +", rules).kind, ShellVerdict::Allow);
  EXPECT_EQ(judge("find . -exec rm {} +", rules).kind, ShellVerdict::Ask);
  EXPECT_EQ(judge("git -c core.pager=cat log", rules).kind, ShellVerdict::Allow);
  EXPECT_EQ(judge("git -c core.pager=sh log", rules).kind, ShellVerdict::Ask);
}

TEST(ShellRules, DenyBeatsAskBeatsAllow) {
  BashRules rules;
  EXPECT_FALSE(rules.add(RuleList::Allow, "Bash(aws s3 ls)"));
  EXPECT_FALSE(rules.add(RuleList::Deny, "Bash(aws *)"));
  EXPECT_EQ(judge("aws s3 ls", rules).kind, ShellVerdict::Deny);
  BashRules r2;
  EXPECT_FALSE(r2.add(RuleList::Allow, "Bash(git push origin main)"));
  EXPECT_FALSE(r2.add(RuleList::Ask, "Bash(git push:*)"));
  ShellVerdict v = judge("git push origin main", r2);
  EXPECT_EQ(v.kind, ShellVerdict::Ask);
  EXPECT_EQ(v.rule, "Bash(git push:*)");
  // Bash in the deny list denies even a command with nothing to match.
  BashRules r3;
  EXPECT_FALSE(r3.add(RuleList::Deny, "Bash"));
  EXPECT_EQ(judge("X=1", r3).kind, ShellVerdict::Deny);
}

TEST(ShellRules, ReasonsNameTheCommandAndTheRule) {
  BashRules rules = bypass_rules();
  ShellVerdict v = judge("git diff && make install", rules);
  EXPECT_EQ(v.kind, ShellVerdict::Ask);
  EXPECT_NE(v.reason.find("no rule allows `make install`"), std::string::npos) << v.reason;
  v = judge("sudo rm -rf /", rules);
  EXPECT_EQ(v.rule, "Bash(rm:*)");
  EXPECT_NE(v.reason.find("run by sudo"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("(bypass)"), std::string::npos) << v.reason;
  v = judge("$(echo rm) x", rules);
  EXPECT_NE(v.reason.find("computed"), std::string::npos) << v.reason;
  v = judge("ｒm x", rules);
  EXPECT_NE(v.reason.find("non-ASCII"), std::string::npos) << v.reason;
  v = judge("git diff", rules);
  EXPECT_EQ(v.kind, ShellVerdict::Allow);
  EXPECT_EQ(v.rule, "Bash(git diff:*)");
}

TEST(ShellRules, HostileInputIsNeverAllowed) {
  BashRules rules = bypass_rules();
  for (const std::string& s :
       {std::string(1 << 20, '('), std::string(1 << 19, '$') + std::string(1 << 19, '('),
        [] {
          std::string x;
          while (x.size() < (1 << 20) - 16) x += "$(( ";
          return x;
        }(),
        [] {
          std::string x;
          while (x.size() < (1 << 20) - 16) x += "a;";
          return x;
        }(),
        std::string(1 << 20, '\''), std::string((1 << 20) - 1, 'a') + "\"",
        [] {
          std::string x;
          while (x.size() < (1 << 20) - 16) x += "`";
          return x;
        }()}) {
    // How long it takes is a benchmark's question (bench/shell_bench.cc),
    // never a unit test's: only the answer is asserted here.
    ShellVerdict v = judge(s, rules);
    EXPECT_NE(v.kind, ShellVerdict::Allow) << s.substr(0, 20);
  }
}

// ---- the corpus ------------------------------------------------------------

BashRules corpus_rules() {
  BashRules r;
  for (const char* a : {"Bash(git status:*)",
                        "Bash(git diff:*)",
                        "Bash(git log:*)",
                        "Bash(git show:*)",
                        "Bash(git branch:*)",
                        "Bash(git rev-parse:*)",
                        "Bash(git ls-files:*)",
                        "Bash(git blame:*)",
                        "Bash(git add:*)",
                        "Bash(git commit:*)",
                        "Bash(git stash list)",
                        "Bash(git grep:*)",
                        "Bash(ls:*)",
                        "Bash(cat:*)",
                        "Bash(head:*)",
                        "Bash(tail:*)",
                        "Bash(wc:*)",
                        "Bash(rg:*)",
                        "Bash(grep:*)",
                        "Bash(find:*)",
                        "Bash(tree:*)",
                        "Bash(which:*)",
                        "Bash(file:*)",
                        "Bash(stat:*)",
                        "Bash(du:*)",
                        "Bash(sort:*)",
                        "Bash(uniq:*)",
                        "Bash(cut:*)",
                        "Bash(tr:*)",
                        "Bash(jq:*)",
                        "Bash(diff:*)",
                        "Bash(echo:*)",
                        "Bash(printf:*)",
                        "Bash(date:*)",
                        "Bash(sleep:*)",
                        "Bash(basename:*)",
                        "Bash(dirname:*)",
                        "Bash(realpath:*)",
                        "Bash(pwd)",
                        "Bash(cd:*)",
                        "Bash(pushd:*)",
                        "Bash(popd)",
                        "Bash(mkdir:*)",
                        "Bash(touch:*)",
                        "Bash(tee:*)",
                        "Bash(test:*)",
                        "Bash([:*)",
                        "Bash(true)",
                        "Bash(read:*)",
                        "Bash(export:*)",
                        "Bash(command -v:*)",
                        "Bash(type:*)",
                        "Bash(npm test:*)",
                        "Bash(npm run test:*)",
                        "Bash(npm run lint:*)",
                        "Bash(npm run build)",
                        "Bash(pytest:*)",
                        "Bash(python -m pytest:*)",
                        "Bash(python3 -m pytest:*)",
                        "Bash(cargo test:*)",
                        "Bash(cargo build:*)",
                        "Bash(cargo check:*)",
                        "Bash(cargo clippy:*)",
                        "Bash(make:*)",
                        "Bash(go test:*)",
                        "Bash(go build:*)",
                        "Bash(go vet:*)",
                        "Bash(sed:*)",
                        "Bash(awk:*)"}) {
    EXPECT_FALSE(r.add(RuleList::Allow, a, "corpus allow"));
  }
  for (const char* a : {"Bash(git push:*)", "Bash(npm publish:*)", "Bash(rm:*)"}) {
    EXPECT_FALSE(r.add(RuleList::Ask, a, "corpus ask"));
  }
  for (const char* d : {"Bash(rm -rf:*)", "Bash(curl:*)", "Bash(wget:*)", "Bash(sudo:*)",
                        "Bash(git push --force:*)", "Bash(dd:*)"}) {
    EXPECT_FALSE(r.add(RuleList::Deny, d, "corpus deny"));
  }
  r.write_allowed = [](const Write& w) {
    const std::string& t = w.target;
    if (t == "/dev/null" || t.starts_with("/tmp/")) return true;
    return !t.empty() && t[0] != '/' && t[0] != '~' && t.find("..") == std::string::npos;
  };
  return r;
}

struct CorpusLine {
  int line;
  std::string decision;
  std::string command;
};

std::vector<CorpusLine> load_corpus() {
  std::filesystem::path p = std::filesystem::path(__FILE__).parent_path() / "shell_corpus.tsv";
  std::ifstream in(p);
  EXPECT_TRUE(in) << p;
  std::vector<CorpusLine> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << "line " << n;
    if (tab == std::string::npos) continue;
    std::string cmd = line.substr(tab + 1);
    for (std::size_t at; (at = cmd.find("\xe2\x8f\x8e")) != std::string::npos;) {
      cmd.replace(at, 3, "\n");
    }
    out.push_back({n, line.substr(0, tab), cmd});
  }
  return out;
}

TEST(ShellCorpus, RealisticAgentCommands) {
  std::vector<CorpusLine> corpus = load_corpus();
  EXPECT_GE(corpus.size(), 300U);
  BashRules rules = corpus_rules();
  int counts[3] = {0, 0, 0};
  for (const CorpusLine& c : corpus) {
    ShellVerdict v = judge(c.command, rules);
    ++counts[v.kind];
    EXPECT_EQ(verdict_name(v.kind), c.decision)
        << "shell_corpus.tsv:" << c.line << ": " << c.command << "\n  reason: " << v.reason;
  }
  // A corpus that only asks would prove little: most of it is allowed.
  EXPECT_GT(counts[ShellVerdict::Allow], 150);
  EXPECT_GT(counts[ShellVerdict::Deny], 15);
}

}  // namespace
}  // namespace cordon::shell
