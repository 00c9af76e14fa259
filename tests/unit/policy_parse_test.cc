// Parsing policy files: every key, and every way a file can be wrong, with
// the exact "FILE:LINE:COL: ..." a person sees.
#include <gtest/gtest.h>

#include <string>

#include "policy/load.h"
#include "policy/pattern.h"
#include "policy/schema.h"

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

TEST(PolicyParse, ResourcesAndSandboxWithTheirOrigins) {
  Policy p = parse_ok(R"([resources]
memory = "2G"
pids = 512
cpus = 1.5
file_size = "1G"
open_files = 1024
tmpfs_size = "512M"
[sandbox]
mode = "full"
require = ["network-isolation", "credential-hiding"]
on_violation = "kill"
unix_sockets = "deny"
)",
                      Layer::Project);
  const Resources& r = p.resources;
  ASSERT_TRUE(r.memory_bytes && r.pids && r.cpus && r.file_size_bytes && r.open_files &&
              r.tmpfs_bytes);
  EXPECT_EQ(r.memory_bytes->value, 2.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(r.pids->value, 512);
  EXPECT_EQ(r.cpus->value, 1.5);
  EXPECT_EQ(r.file_size_bytes->value, 1024.0 * 1024 * 1024);
  EXPECT_EQ(r.open_files->value, 1024);
  EXPECT_EQ(r.tmpfs_bytes->value, 512.0 * 1024 * 1024);
  EXPECT_EQ(r.memory_bytes->origin.line, 2);
  EXPECT_EQ(r.memory_bytes->origin.column, 10);
  EXPECT_EQ(r.memory_bytes->origin.layer, Layer::Project);
  EXPECT_EQ(r.tmpfs_bytes->origin.line, 7);

  const Sandbox& s = p.sandbox;
  ASSERT_TRUE(s.mode && s.on_violation && s.unix_sockets);
  EXPECT_EQ(s.mode->value, "full");
  EXPECT_EQ(s.mode->origin.line, 9);
  EXPECT_EQ(s.mode->origin.column, 8);
  EXPECT_EQ(s.mode->origin.layer, Layer::Project);
  EXPECT_EQ(values(s.require), (Strings{"network-isolation", "credential-hiding"}));
  EXPECT_EQ(s.require[1].origin.column, 33);
  EXPECT_EQ(s.on_violation->value, "kill");
  EXPECT_EQ(s.unix_sockets->value, "deny");
}

TEST(PolicyParse, SizeForms) {
  struct Case {
    const char* toml;
    double bytes;
  } cases[] = {
      {"1", 1},
      {"1073741824", 1073741824},
      {"\"4096\"", 4096},
      {"\"1K\"", 1024},
      {"\"512M\"", 512.0 * 1024 * 1024},
      {"\"1.5G\"", 1.5 * 1024 * 1024 * 1024},
      {"\"2g\"", 2.0 * 1024 * 1024 * 1024},
      {"\"1T\"", 1024.0 * 1024 * 1024 * 1024},
      {"\"1.5K\"", 1536},
      {"\"0.3K\"", 307},  // whole bytes, rounded down
      {"\"8192T\"", kMaxSizeBytes},
  };
  for (const auto& c : cases) {
    Policy p = parse_ok(std::string("[resources]\nmemory = ") + c.toml + "\n");
    ASSERT_TRUE(p.resources.memory_bytes.has_value()) << c.toml;
    EXPECT_EQ(p.resources.memory_bytes->value, c.bytes) << c.toml;
  }
}

TEST(PolicyParse, EveryRequirementNameIsAccepted) {
  std::string list;
  for (std::string_view name : known_requirements()) {
    list += (list.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  }
  Policy p = parse_ok("[sandbox]\nrequire = [" + list + "]\n");
  EXPECT_EQ(p.sandbox.require.size(), known_requirements().size());
  EXPECT_EQ(known_requirements().size(), 8u);
  // --require's help lists them all.
  for (std::string_view name : known_requirements()) {
    EXPECT_NE(field(FieldId::Require).help.find(name), std::string_view::npos) << name;
  }
}

TEST(PolicyParse, CpusTakesIntegersAndFloats) {
  EXPECT_EQ(parse_ok("[resources]\ncpus = 2\n").resources.cpus->value, 2);
  EXPECT_EQ(parse_ok("[resources]\ncpus = 0.01\n").resources.cpus->value, 0.01);
  EXPECT_EQ(parse_ok("[resources]\ncpus = 1024\n").resources.cpus->value, 1024);
  EXPECT_EQ(parse_ok("[resources]\npids = 1\nopen_files = 16\n").resources.open_files->value, 16);
}

// Every error: the location of the offending node and what was expected.
struct ErrorCase {
  const char* name;
  const char* toml;
  std::string error;
};

// Every size key says the same (PolicyPattern.Sizes checks the sentence itself).
std::string size_error(const char* where) { return where + std::string(kSizeExpected); }

class PolicyParseError : public testing::TestWithParam<ErrorCase> {};

TEST_P(PolicyParseError, SaysWhereAndWhatWasExpected) {
  EXPECT_EQ(parse_error(GetParam().toml), GetParam().error);
}

const ErrorCase kErrors[] = {
    {"UnknownSection", "[networking]\nallow = []\n",
     "p.toml:1:2: unknown section [networking]; expected [filesystem], [process], [resources], "
     "[sandbox], [network], [tools] or [trust]"},
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
    {"MemoryZero", "[resources]\nmemory = 0\n", size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryNegative", "[resources]\nmemory = -1\n", size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryZeroString", "[resources]\nmemory = \"0M\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryUnknownSuffix", "[resources]\nmemory = \"2GB\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemorySpace", "[resources]\nmemory = \"2 G\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryExponent", "[resources]\nmemory = \"1e9\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryTooLarge", "[resources]\nmemory = \"8193T\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryHugeInteger", "[resources]\nmemory = 9223372036854775807\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"MemoryBelowOneByte", "[resources]\nmemory = \"0.5\"\n",
     size_error("p.toml:2:10: resources.memory: ")},
    {"FileSizeSigned", "[resources]\nfile_size = \"+1G\"\n",
     size_error("p.toml:2:13: resources.file_size: ")},
    {"TmpfsSizeEmpty", "[resources]\ntmpfs_size = \"\"\n",
     size_error("p.toml:2:14: resources.tmpfs_size: ")},
    {"MemoryIsAFloat", "[resources]\nmemory = 1.5\n",
     "p.toml:2:10: resources.memory: expected a number of bytes or a size string (\"512M\", "
     "\"1.5G\"), got a float"},
    {"TmpfsSizeIsABoolean", "[resources]\ntmpfs_size = true\n",
     "p.toml:2:14: resources.tmpfs_size: expected a number of bytes or a size string (\"512M\", "
     "\"1.5G\"), got a boolean"},
    {"PidsZero", "[resources]\npids = 0\n",
     "p.toml:2:8: resources.pids: expected an integer from 1 to 4194304"},
    {"PidsTooMany", "[resources]\npids = 4194305\n",
     "p.toml:2:8: resources.pids: expected an integer from 1 to 4194304"},
    {"PidsIsAFloat", "[resources]\npids = 512.0\n",
     "p.toml:2:8: resources.pids: expected an integer from 1 to 4194304, got a float"},
    {"PidsIsAString", "[resources]\npids = \"512\"\n",
     "p.toml:2:8: resources.pids: expected an integer from 1 to 4194304, got a string"},
    {"OpenFilesTooFew", "[resources]\nopen_files = 15\n",
     "p.toml:2:14: resources.open_files: expected an integer from 16 to 1073741824"},
    {"OpenFilesNegative", "[resources]\nopen_files = -1024\n",
     "p.toml:2:14: resources.open_files: expected an integer from 16 to 1073741824"},
    {"CpusZero", "[resources]\ncpus = 0\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024"},
    {"CpusTooFew", "[resources]\ncpus = 0.001\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024"},
    {"CpusTooMany", "[resources]\ncpus = 1024.5\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024"},
    {"CpusNan", "[resources]\ncpus = nan\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024"},
    {"CpusInfinite", "[resources]\ncpus = inf\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024"},
    {"CpusIsAString", "[resources]\ncpus = \"1.5\"\n",
     "p.toml:2:8: resources.cpus: expected a number from 0.01 to 1024, got a string"},
    {"UnknownResource", "[resources]\nmem = \"1G\"\n",
     "p.toml:2:1: unknown key \"mem\" in [resources]; expected one of memory, pids, cpus, "
     "file_size, open_files, tmpfs_size"},
    {"ResourceAtTheTopLevel", "memory = \"1G\"\n",
     "p.toml:1:1: expected \"memory\" inside [resources], not at the top level"},
    {"ResourcesIsNotATable", "resources = \"none\"\n",
     "p.toml:1:13: expected a table [resources], got a string"},
    {"UnknownMode", "[sandbox]\nmode = \"strict\"\n",
     "p.toml:2:8: sandbox.mode: expected \"landlock\", \"auto\" or \"full\""},
    {"ModeIsCaseSensitive", "[sandbox]\nmode = \"Full\"\n",
     "p.toml:2:8: sandbox.mode: expected \"landlock\", \"auto\" or \"full\""},
    {"ModeIsAList", "[sandbox]\nmode = [\"full\"]\n",
     "p.toml:2:8: sandbox.mode: expected \"landlock\", \"auto\" or \"full\", got an array"},
    {"UnknownViolationAction", "[sandbox]\non_violation = \"log\"\n",
     "p.toml:2:16: sandbox.on_violation: expected \"errno\" or \"kill\""},
    {"ViolationActionIsABoolean", "[sandbox]\non_violation = true\n",
     "p.toml:2:16: sandbox.on_violation: expected \"errno\" or \"kill\", got a boolean"},
    {"UnixSocketsIsABoolean", "[sandbox]\nunix_sockets = false\n",
     "p.toml:2:16: sandbox.unix_sockets: expected \"allow\" or \"deny\", got a boolean"},
    {"UnknownUnixSockets", "[sandbox]\nunix_sockets = \"abstract-only\"\n",
     "p.toml:2:16: sandbox.unix_sockets: expected \"allow\" or \"deny\""},
    {"UnknownRequirement", "[sandbox]\nrequire = [\"seccomp\", \"netwrok-isolation\"]\n",
     "p.toml:2:23: sandbox.require: expected one of filesystem-isolation, protected-paths, "
     "credential-hiding, network-isolation, process-isolation, landlock, seccomp, "
     "resource-limits"},
    {"RequirementIsCaseSensitive", "[sandbox]\nrequire = [\"Seccomp\"]\n",
     "p.toml:2:12: sandbox.require: expected one of filesystem-isolation, protected-paths, "
     "credential-hiding, network-isolation, process-isolation, landlock, seccomp, "
     "resource-limits"},
    {"RequireIsAString", "[sandbox]\nrequire = \"seccomp\"\n",
     "p.toml:2:11: sandbox.require: expected an array of strings, got a string"},
    {"RequirementIsANumber", "[sandbox]\nrequire = [1]\n",
     "p.toml:2:12: sandbox.require: expected a string, got an integer"},
    {"UnknownSandboxKey", "[sandbox]\nlevel = \"strict\"\n",
     "p.toml:2:1: unknown key \"level\" in [sandbox]; expected one of mode, require, "
     "on_violation, unix_sockets, host_ptys"},
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
      {&parsed->sandbox.require, &table.sandbox.require},
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
  for (const Field& f : fields()) {
    if (const auto* n = number_value(table, f.id)) {
      const auto* p = number_value(*parsed, f.id);
      ASSERT_EQ(n->has_value(), p->has_value()) << f.name();
      if (!n->has_value()) continue;
      EXPECT_EQ((*n)->value, (*p)->value) << f.name();
      EXPECT_EQ((*n)->origin.line, (*p)->origin.line) << f.name();
      EXPECT_EQ((*n)->origin.column, (*p)->origin.column) << f.name();
    }
    if (const auto* c = choice_value(table, f.id)) {
      const auto* p = choice_value(*parsed, f.id);
      ASSERT_TRUE(c->has_value() && p->has_value()) << f.name();
      EXPECT_EQ((*c)->value, (*p)->value) << f.name();
      EXPECT_EQ((*c)->origin.line, (*p)->origin.line) << f.name();
      EXPECT_EQ((*c)->origin.column, (*p)->origin.column) << f.name();
    }
  }
  EXPECT_FALSE(table.process.timeout_seconds.has_value());
}

}  // namespace
}  // namespace cordon::policy
