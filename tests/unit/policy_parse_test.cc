// Parsing policy files: every key, and every way a file can be wrong, with
// the exact "FILE:LINE:COL: ..." a person sees.
#include <gtest/gtest.h>

#include <string>

#include "policy/load.h"

namespace cordon::policy {
namespace {

Policy parse_ok(std::string_view text, Layer layer = Layer::User) {
  auto parsed = parse_policy(text, "p.toml", layer);
  EXPECT_TRUE(parsed.ok()) << parsed.error().what();
  return parsed.ok() ? parsed.value() : Policy{};
}

std::string parse_error(std::string_view text) {
  auto parsed = parse_policy(text, "p.toml", Layer::User);
  if (parsed.ok()) return "(parsed without error)";
  return parsed.error().what();
}

std::vector<std::string> values(const PatternList& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.value);
  return out;
}

using Strings = std::vector<std::string>;

TEST(PolicyParse, EveryKeyWithItsOrigin) {
  Policy p = parse_ok(R"([filesystem]
allow_read = ["/usr", "~"]
deny_read = ["~/.ssh"]
allow_write = ["~/.cache/pip"]
deny_write = [".git/hooks", "*.pem"]
[process]
timeout = 600
env_pass = ["MY_TOKEN"]
env_scrub = ["*_TOKEN", "AWS_*"]
[trust]
projects = ["~/src/myproj", "/srv/work/*"]
)",
                      Layer::User);
  EXPECT_EQ(values(p.filesystem.allow_read), (Strings{"/usr", "~"}));
  EXPECT_EQ(values(p.filesystem.deny_read), (Strings{"~/.ssh"}));
  EXPECT_EQ(values(p.filesystem.allow_write), (Strings{"~/.cache/pip"}));
  EXPECT_EQ(values(p.filesystem.deny_write), (Strings{".git/hooks", "*.pem"}));
  ASSERT_TRUE(p.process.timeout_seconds.has_value());
  EXPECT_EQ(p.process.timeout_seconds->value, 600);
  EXPECT_EQ(values(p.process.env_pass), (Strings{"MY_TOKEN"}));
  EXPECT_EQ(values(p.process.env_scrub), (Strings{"*_TOKEN", "AWS_*"}));
  EXPECT_EQ(values(p.trust.projects), (Strings{"~/src/myproj", "/srv/work/*"}));

  const Origin& home = p.filesystem.allow_read[1].origin;
  EXPECT_EQ(home.layer, Layer::User);
  EXPECT_EQ(home.source, "p.toml");
  EXPECT_EQ(home.line, 2);
  EXPECT_EQ(home.column, 23);
  EXPECT_EQ(p.process.timeout_seconds->origin.line, 7);
  EXPECT_EQ(p.process.timeout_seconds->origin.column, 11);
  ASSERT_EQ(p.sources.size(), 1u);
  EXPECT_EQ(p.sources[0].name, "p.toml");
}

TEST(PolicyParse, LayerIsStampedOnEveryEntry) {
  Policy p =
      parse_ok("[filesystem]\ndeny_read = [\"x\"]\n[process]\ntimeout = 5\n", Layer::Project);
  EXPECT_EQ(p.filesystem.deny_read[0].origin.layer, Layer::Project);
  EXPECT_EQ(p.process.timeout_seconds->origin.layer, Layer::Project);
}

TEST(PolicyParse, EmptyFileAndEmptySectionsAreAPolicyThatSaysNothing) {
  Policy p = parse_ok("# nothing\n[filesystem]\n[process]\n[trust]\n");
  EXPECT_TRUE(p.filesystem.allow_read.empty());
  EXPECT_FALSE(p.process.timeout_seconds.has_value());
  parse_ok("");
}

TEST(PolicyParse, DottedKeysAndInlineTablesAreTheSameSchema) {
  Policy p = parse_ok("filesystem.deny_read = [\"~/.x\"]\nprocess = { timeout = \"2m\" }\n");
  EXPECT_EQ(values(p.filesystem.deny_read), (Strings{"~/.x"}));
  EXPECT_EQ(p.process.timeout_seconds->value, 120);
}

TEST(PolicyParse, EntriesKeepTheOrderTheyWereWritten) {
  Policy p = parse_ok("[process]\nenv_scrub = [\"Z\", \"A\", \"M\"]\n");
  EXPECT_EQ(values(p.process.env_scrub), (Strings{"Z", "A", "M"}));
}

TEST(PolicyParse, TimeoutForms) {
  struct Case {
    const char* toml;
    double seconds;
  } cases[] = {
      {"600", 600},         {"2.5", 2.5},           {"\"45s\"", 45}, {"\"10m\"", 600},
      {"\"1h30m\"", 5400},  {"\"1d\"", 86400},      {"\"90\"", 90},  {"\"1.5h\"", 5400},
      {"\"1h1m1s\"", 3661}, {"31536000", 31536000},
  };
  for (const auto& c : cases) {
    Policy p = parse_ok(std::string("[process]\ntimeout = ") + c.toml + "\n");
    ASSERT_TRUE(p.process.timeout_seconds.has_value()) << c.toml;
    EXPECT_EQ(p.process.timeout_seconds->value, c.seconds) << c.toml;
  }
}

TEST(PolicyParse, GlobsAndOddButValidPatternsAreAccepted) {
  Policy p = parse_ok(R"([filesystem]
deny_read = ["~/.config/*/token", "/data/[abc]?.db", "[[]literal", "./x/", "/", "~", "a//b"]
)");
  EXPECT_EQ(p.filesystem.deny_read.size(), 7u);
}

// Every error: the location of the offending node and what was expected.
struct ErrorCase {
  const char* name;
  const char* toml;
  const char* error;
};

class PolicyParseError : public testing::TestWithParam<ErrorCase> {};

TEST_P(PolicyParseError, SaysWhereAndWhatWasExpected) {
  EXPECT_EQ(parse_error(GetParam().toml), GetParam().error);
}

const ErrorCase kErrors[] = {
    {"UnknownSection", "[network]\nallow = []\n",
     "p.toml:1:2: unknown section [network]; expected [filesystem], [process] or [trust]"},
    {"UnknownKey", "[filesystem]\n\n  alow_read = []\n",
     "p.toml:3:3: unknown key \"alow_read\" in [filesystem]; expected one of allow_read, "
     "deny_read, allow_write, deny_write"},
    {"UnknownKeyInProcess", "[process]\ntimout = 5\n",
     "p.toml:2:1: unknown key \"timout\" in [process]; expected one of timeout, env_pass, "
     "env_scrub"},
    {"NestedTableIsAnUnknownKey", "[filesystem.extra]\n",
     "p.toml:1:13: unknown key \"extra\" in [filesystem]; expected one of allow_read, deny_read, "
     "allow_write, deny_write"},
    {"KeyAboveEverySection", "timeout = 5\n",
     "p.toml:1:1: expected \"timeout\" inside [process], not at the top level"},
    {"SectionIsNotATable", "filesystem = 5\n",
     "p.toml:1:14: expected a table [filesystem], got an integer"},
    {"ArrayOfTables", "[[process]]\ntimeout = 5\n",
     "p.toml:1:1: expected a table [process], got an array"},
    {"ListIsAString", "[filesystem]\nallow_read = \"/usr\"\n",
     "p.toml:2:14: filesystem.allow_read: expected an array of strings, got a string"},
    {"ListElementIsANumber", "[filesystem]\nallow_read = [\"/usr\", 5]\n",
     "p.toml:2:23: filesystem.allow_read: expected a string, got an integer"},
    {"NestedArray", "[process]\nenv_pass = [[\"A\"]]\n",
     "p.toml:2:13: process.env_pass: expected a string, got an array"},
    {"EmptyPattern", "[filesystem]\ndeny_read = [\"~/.ssh\", \"\"]\n",
     "p.toml:2:24: filesystem.deny_read: expected a non-empty path pattern"},
    {"DotDot", "[filesystem]\nallow_write = [\"../sibling\"]\n",
     "p.toml:2:16: filesystem.allow_write: expected a path pattern without \"..\" components"},
    {"DotDotInside", "[filesystem]\ndeny_write = [\"/a/b/../c\"]\n",
     "p.toml:2:15: filesystem.deny_write: expected a path pattern without \"..\" components"},
    {"EscapedNul", "[filesystem]\ndeny_read = [\"/a\\u0000b\"]\n",
     "p.toml:2:14: filesystem.deny_read: expected a path pattern without control characters "
     "(byte 0x00 at offset 2)"},
    {"EscapedNewline", "[process]\nenv_scrub = [\"A\\nB\"]\n",
     "p.toml:2:14: process.env_scrub: expected a variable name pattern without control "
     "characters (byte 0x0a at offset 1)"},
    {"TildeUser", "[filesystem]\ndeny_read = [\"~root/.ssh\"]\n",
     "p.toml:2:14: filesystem.deny_read: expected \"~\" or \"~/...\" (\"~user\" is not "
     "supported)"},
    {"DoubleStar", "[filesystem]\ndeny_read = [\"~/**/id_rsa\"]\n",
     "p.toml:2:14: filesystem.deny_read: expected globs within one path component (\"**\" is not "
     "supported; use one \"*\" per level)"},
    {"UnclosedBracket", "[filesystem]\ndeny_read = [\"/data/[ab\"]\n",
     "p.toml:2:14: filesystem.deny_read: expected a path pattern whose \"[\" is closed by \"]\" "
     "(write [[] for a literal \"[\")"},
    {"BracketAcrossSlash", "[filesystem]\ndeny_read = [\"/data/[a/b]\"]\n",
     "p.toml:2:14: filesystem.deny_read: expected a path pattern whose \"[\" is closed by \"]\" "
     "(write [[] for a literal \"[\")"},
    {"EmptyName", "[process]\nenv_pass = [\"\"]\n",
     "p.toml:2:13: process.env_pass: expected a non-empty variable name pattern"},
    {"NameWithEquals", "[process]\nenv_pass = [\"A=B\"]\n",
     "p.toml:2:13: process.env_pass: expected a variable name pattern without \"=\""},
    {"RelativeTrustedProject", "[trust]\nprojects = [\"src/proj\"]\n",
     "p.toml:2:13: trust.projects: expected an absolute or \"~/...\" path for a trusted project"},
    {"NegativeTimeout", "[process]\ntimeout = -5\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"ZeroTimeout", "[process]\ntimeout = 0\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"NanTimeout", "[process]\ntimeout = nan\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"HugeTimeout", "[process]\ntimeout = 31536001\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"BadDurationString", "[process]\ntimeout = \"10 minutes\"\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"UnitsOutOfOrder", "[process]\ntimeout = \"30m1h\"\n",
     "p.toml:2:11: process.timeout: expected a positive duration of at most 365 days: seconds "
     "(600) or \"45s\", \"10m\", \"1h30m\", \"1d\""},
    {"TimeoutIsABoolean", "[process]\ntimeout = true\n",
     "p.toml:2:11: process.timeout: expected a number of seconds or a duration string, got a "
     "boolean"},
    {"TimeoutIsAnArray", "[process]\ntimeout = [5]\n",
     "p.toml:2:11: process.timeout: expected a number of seconds or a duration string, got an "
     "array"},
};

INSTANTIATE_TEST_SUITE_P(Schema, PolicyParseError, testing::ValuesIn(kErrors),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// Errors that toml++ finds: its own words, our location format.
TEST(PolicyParse, SyntaxErrorsCarryFileLineColumn) {
  EXPECT_EQ(parse_error("[filesystem\n"),
            "p.toml:1:12: Error while parsing table header: expected ']', saw '\\n'");
  EXPECT_EQ(parse_error("[process]\ntimeout = 5\ntimeout = 6\n"),
            "p.toml:3:11: Error while parsing key-value pair: cannot redefine existing integer "
            "'timeout'");
}

TEST(PolicyParse, RawNulByteInTheFileIsAnError) {
  std::string text("[filesystem]\ndeny_read = [\"/a\0\"]\n", 34);
  std::string error = parse_error(text);
  EXPECT_EQ(error.rfind("p.toml:2:17: ", 0), 0u) << error;
}

TEST(PolicyParse, InvalidUtf8IsAnError) {
  std::string error = parse_error("[filesystem]\ndeny_read = [\"/a\xff\"]\n");
  EXPECT_EQ(error.rfind("p.toml:2:", 0), 0u) << error;
}

// The file's first problem is the one reported, whatever the key order.
TEST(PolicyParse, ReportsTheFirstProblemInTheFile) {
  EXPECT_EQ(parse_error("[process]\nzzz = 1\n[filesystem]\naaa = 1\n"),
            "p.toml:2:1: unknown key \"zzz\" in [process]; expected one of timeout, env_pass, "
            "env_scrub");
  EXPECT_EQ(parse_error("[filesystem]\ndeny_write = [1]\nallow_read = [2]\n"),
            "p.toml:2:15: filesystem.deny_write: expected a string, got an integer");
}

TEST(PolicyParse, TrustInAProjectFileParsesButIsNotHonoured) {
  // Parsing accepts it (the schema is the same for every layer); merge()
  // drops it, and says so in `policy show`.
  Policy p = parse_ok("[trust]\nprojects = [\"~\"]\n", Layer::Project);
  EXPECT_EQ(p.trust.projects.size(), 1u);
}

TEST(PolicyParse, BuiltInDefaultParses) {
  auto parsed = parse_policy(builtin_default_toml(), "built-in", Layer::BuiltIn);
  ASSERT_TRUE(parsed.ok()) << parsed.error().what();
  const Policy& p = parsed.value();
  EXPECT_FALSE(p.process.timeout_seconds.has_value());
  // The lines cited by `policy show` are lines of builtin_default_toml().
  const auto& first = p.filesystem.allow_read.front();
  EXPECT_EQ(first.value, "/usr");
  std::string_view text = builtin_default_toml();
  size_t line_start = 0;
  for (int line = 1; line < first.origin.line; ++line) line_start = text.find('\n', line_start) + 1;
  EXPECT_EQ(text.substr(line_start, text.find('\n', line_start) - line_start), "  \"/usr\",");
}

// load_effective() uses the table-built default; its text must parse to the
// very same entries, at the very same lines.
TEST(PolicyParse, BuiltInTextAndTableAgree) {
  auto parsed = parse_policy(builtin_default_toml(), "built-in", Layer::BuiltIn);
  ASSERT_TRUE(parsed.ok()) << parsed.error().what();
  const Policy& table = builtin_default();
  const PatternList* lists[][2] = {
      {&parsed->filesystem.allow_read, &table.filesystem.allow_read},
      {&parsed->filesystem.deny_read, &table.filesystem.deny_read},
      {&parsed->filesystem.allow_write, &table.filesystem.allow_write},
      {&parsed->filesystem.deny_write, &table.filesystem.deny_write},
      {&parsed->process.env_pass, &table.process.env_pass},
      {&parsed->process.env_scrub, &table.process.env_scrub},
      {&parsed->trust.projects, &table.trust.projects},
  };
  for (const auto& pair : lists) {
    ASSERT_EQ(pair[0]->size(), pair[1]->size());
    for (size_t i = 0; i < pair[0]->size(); ++i) {
      const auto& a = (*pair[0])[i];
      const auto& b = (*pair[1])[i];
      EXPECT_EQ(a.value, b.value);
      EXPECT_EQ(a.origin.layer, b.origin.layer);
      EXPECT_EQ(a.origin.source, b.origin.source);
      EXPECT_EQ(a.origin.line, b.origin.line) << a.value;
      EXPECT_EQ(a.origin.column, b.origin.column) << a.value;
    }
  }
  EXPECT_FALSE(table.process.timeout_seconds.has_value());
}

}  // namespace
}  // namespace cordon::policy
