// The bash parser: which constructs it reads, what a word's static value
// is, where it fails and why, and that hostile input stays bounded.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "shell/analyze.h"
#include "shell/parse.h"

namespace cordon::shell {
namespace {

// The commands that run, one per line: "argv0 argv1 ...", computed words as
// <source text>, each prefixed by how it is reached.
std::string commands(std::string_view src) {
  AnalyzeResult r = analyze(src);
  if (const auto* e = std::get_if<ParseError>(&r)) return "error: " + e->what();
  std::string out;
  for (const Command& c : std::get<Analysis>(r).commands) {
    if (!out.empty()) out += " | ";
    if (!c.via.empty()) out += "[" + c.via + "] ";
    for (std::size_t i = 0; i < c.argv.size(); ++i) {
      if (i > 0) out += ' ';
      out += c.argv[i].is_static ? c.argv[i].text : "<" + c.argv[i].text + ">";
    }
  }
  return out;
}

struct ParseCase {
  const char* what;
  const char* src;
  const char* expected;  // commands(src)
};

TEST(ShellParse, Constructs) {
  const ParseCase cases[] = {
      {"simple", "ls -la src", "ls -la src"},
      {"list", "a; b && c || d & e", "a | b | c | d | e"},
      {"newlines and blank lines", "a\n\n  b\n", "a | b"},
      {"pipeline", "a | b |& c", "a | b | c"},
      {"negation and time", "! time -p a", "a"},
      {"subshell and group", "(a; b) && { c; d; }", "a | b | c | d"},
      {"redirections", "a > x 2>&1 < y >> z &> w 3<> v >| u <<< s 2>/dev/null", "a"},
      {"redirection before the name", "> out a b", "a b"},
      {"single quotes", "echo 'a b' 'c\"d'", "echo a b c\"d"},
      {"double quotes", "echo \"a $b c\" \"x\\\"y\"", "echo <\"a $b c\"> x\"y"},
      {"ANSI-C", "echo $'a\\tb\\x41\\u00e9\\101\\cA'",
       "echo a\tbA\xc3\xa9"
       "A\x01"},
      {"ANSI-C NUL ends the string", "echo $'ab\\x00cd'e", "echo abe"},
      {"locale string", "echo $\"hi\"", "echo hi"},
      {"backslashes", "echo a\\ b \\$x \\\\", "echo a b $x \\"},
      {"line continuation", "ec\\\nho a \\\n b", "echo a b"},
      {"assignment alone", "A=1 B=\"x y\"", ""},
      {"assignment before a command", "A=1 B=$(c) d e", "[$(...)] c | d e"},
      {"array assignment", "A=(1 $(b) 3) c", "[$(...)] b | c"},
      {"subscript assignment", "A[$(b)]=1", "[$(...)] b"},
      {"command substitution", "echo $(a $(b))",
       "[$(...)] b | [$(...)] a <$(b)> | echo <$(a $(b))>"},
      {"backticks", "echo `a \\`b\\``", "[`...`] b | [`...`] a <`b`> | echo <`a \\`b\\``>"},
      {"process substitution", "diff <(a) >(b)", "[<(...)] a | [>(...)] b | diff <<(a)> <>(b)>"},
      {"parameter expansion", "echo ${a:-${b:-$(c)}} ${#x} ${x//a/b} $1 $@ $?",
       "[$(...)] c | echo <${a:-${b:-$(c)}}> <${#x}> <${x//a/b}> <$1> <$@> <$?>"},
      {"arithmetic", "echo $((1 + $(a))) $[2*3]", "[$(...)] a | echo <$((1 + $(a)))> <$[2*3]>"},
      {"arithmetic command", "(( x = 1 + 2 )) && a", "a"},
      {"arithmetic or subshell", "$( (a) )", "[$(...)] a | <$( (a) )>"},
      {"[[ ]]", "[[ -f x && $(a) =~ ^(b|c)$ ]] && d", "[$(...)] a | d"},
      {"function", "f() { a; }; function g { b; }; function h() ( c )",
       "[function f] a | "
       "[function g] b | "
       "[function h] c"},
      {"if", "if a; then b; elif c; then d; else e; fi", "a | b | c | d | e"},
      {"for", "for x in $(a) y; do b \"$x\"; done", "[$(...)] a | b <\"$x\">"},
      {"for without in", "for x; do a; done", "a"},
      {"C-style for", "for ((i=0; i<3; i++)); do a; done", "a"},
      {"for with braces", "for x in 1 2; { a; }", "a"},
      {"while and until", "while a; do b; done; until c; do d; done", "a | b | c | d"},
      {"case", "case $x in a|b) c ;; (d) e ;& *) f ;;& esac", "c | e | f"},
      {"case with no final ;;", "case x in a) b\nesac", "b"},
      {"select", "select x in a b; do c; done", "c"},
      {"comments", "a # b; c\n# d\ne #", "a | e"},
      {"# inside a word", "echo a#b", "echo a#b"},
      {"coproc", "coproc a", "a"},
      {"named coproc", "coproc N { a; }", "a"},
      {"reserved word as argument", "echo if then fi do done }", "echo if then fi do done }"},
      {"brace word", "echo {a,b} {x}", "echo <{a,b}> {x}"},
      {"tilde", "ls ~ ~/a ~u/b a~", "ls ~ ~/a ~u/b a~"},
      {"glob", "ls *.c", "ls *.c"},
      {"here-document", "cat <<EOF\nx $(a)\nEOF\nb", "[$(...)] a | cat | b"},
      {"quoted here-document", "cat <<'EOF'\nx $(a)\nEOF", "cat"},
      {"here-document, -", "cat <<-E\n\tx\n\tE\nb", "cat | b"},
      {"two here-documents on a line", "a <<X; b <<Y\n1\nX\n$(c)\nY\nd", "a | [$(...)] c | b | d"},
      {"here-document in a substitution", "x=$(cat <<EOF\n$(a)\nEOF\n)",
       "[$(...)] a | [$(...)] cat"},
      {"here-document in a pipeline", "cat <<E | a\nx\nE", "cat | a"},
      {"unterminated here-document runs to the end", "cat <<E\nx", "cat"},
      {"empty", "", ""},
      {"only comments", "# x\n  # y", ""},
  };
  for (const ParseCase& c : cases) {
    EXPECT_EQ(commands(c.src), c.expected) << c.what << ": " << c.src;
  }
}

TEST(ShellParse, ErrorsSayWhereAndWhat) {
  struct Bad {
    const char* src;
    std::size_t offset;
    const char* message;
  };
  const Bad cases[] = {
      {"echo 'abc", 5, "unterminated single quote"},
      {"echo \"abc", 5, "unterminated double quote"},
      {"echo `abc", 5, "unterminated backquote"},
      {"echo $(abc", 10, "expected `)' to close `$('"},
      {"echo ${abc", 5, "expected `}' to close `${'"},
      {"if a; then b", 12, "expected `fi' to close `if'"},
      {"while a; b; done", 12, "expected `do' to close `while'"},
      {"for 1 in a; do b; done", 4, "expected a variable name"},
      {"case x in a) b", 14, "expected `;;' or `esac'"},
      {"a && ", 5, "expected a command"},
      {"| a", 0, "expected a command before `|'"},
      {"a ;; b", 2, "unexpected `;'"},
      {"fi", 0, "unexpected `fi'"},
      {"a )", 2, "unexpected `)'"},
      {"(a", 2, "expected `)' to close `('"},
      {"{ a; ", 5, "expected `}' to close `{'"},
      {"echo (a)", 6, "expected `)' to close `('"},
      {"a >", 3, "expected a file name after `>'"},
      {"[[ a ", 5, "expected `]]' to close `[['"},
      {"echo $'ab", 5, "unterminated $'"},
      {"x\0y", 1, "NUL byte"},
  };
  for (const Bad& b : cases) {
    std::string src(b.src, b.src + std::string_view(b.src).size() + (b.src[0] == 'x' ? 2 : 0));
    ParseResult r = parse(src);
    const auto* e = std::get_if<ParseError>(&r);
    ASSERT_NE(e, nullptr) << b.src;
    EXPECT_NE(e->message.find(b.message), std::string::npos) << b.src << " -> " << e->what();
    EXPECT_EQ(e->offset, b.offset) << b.src << " -> " << e->what();
  }
}

TEST(ShellParse, StaticValues) {
  auto word = [](const char* src) {
    ParseResult r = parse(std::string("x ") + src);
    EXPECT_TRUE(std::holds_alternative<Parsed>(r)) << src;
    return std::get<Parsed>(r).statements.at(0).words.at(1);
  };
  EXPECT_EQ(word("'a'\"b\"c\\d$'\\x65'").static_value(), "abcde");
  EXPECT_EQ(word("\"a\\$b\\\\\\\"\"").static_value(), "a$b\\\"");
  EXPECT_EQ(word("~/x").static_value(), "~/x");
  EXPECT_EQ(word("\"\"").static_value(), "");
  EXPECT_FALSE(word("$a").static_value());
  EXPECT_FALSE(word("\"$a\"").static_value());
  EXPECT_FALSE(word("a$(b)").static_value());
  EXPECT_FALSE(word("`b`").static_value());
  EXPECT_FALSE(word("$((1))").static_value());
  EXPECT_TRUE(word("'$a'").static_value());
  EXPECT_TRUE(word("\\$a").has_quotes());
  EXPECT_FALSE(word("a").has_quotes());
}

TEST(ShellParse, HeredocBodies) {
  ParseResult r = parse("cat <<A <<'B'\none $x\nA\ntwo $y\nB\n");
  ASSERT_TRUE(std::holds_alternative<Parsed>(r));
  const Parsed& p = std::get<Parsed>(r);
  ASSERT_EQ(p.heredocs.size(), 2U);
  EXPECT_EQ(p.heredocs[0].delimiter, "A");
  EXPECT_FALSE(p.heredocs[0].quoted);
  EXPECT_FALSE(p.heredocs[0].body.static_value());  // $x expands
  EXPECT_EQ(p.heredocs[1].delimiter, "B");
  EXPECT_TRUE(p.heredocs[1].quoted);
  EXPECT_EQ(p.heredocs[1].body.static_value(), "two $y\n");
}

TEST(ShellParse, LimitsHoldOnHostileInput) {
  ParseLimits limits;
  limits.max_depth = 16;
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "( ";
  deep += "a";
  for (int i = 0; i < 100; ++i) deep += " )";
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse(deep, limits)));
  EXPECT_TRUE(std::holds_alternative<Parsed>(parse("((((a))))", {})));
  limits = {};
  limits.max_bytes = 10;
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse("echo 12345678", limits)));
  limits = {};
  limits.max_nodes = 50;
  std::string many;
  for (int i = 0; i < 100; ++i) many += "a; ";
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse(many, limits)));
  // Nested $(( that turn out not to be arithmetic: each is retried once.
  std::string nested;
  for (int i = 0; i < 40; ++i) nested += "$(( (a) ";
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse(nested, {})));
}

}  // namespace
}  // namespace cordon::shell
