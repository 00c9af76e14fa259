// Patterns: where a pattern points, what a glob matches, what a duration is.
#include <gtest/gtest.h>

#include "policy/load.h"
#include "policy/pattern.h"

namespace cordon::policy {
namespace {

TEST(PolicyPattern, AbsolutePatternExpandsHomeAndWorkspace) {
  const char* home = "/home/u";
  const char* ws = "/home/u/src/proj";
  EXPECT_EQ(absolute_pattern("~", home, ws), "/home/u");
  EXPECT_EQ(absolute_pattern("~/", home, ws), "/home/u");
  EXPECT_EQ(absolute_pattern("~/.ssh", home, ws), "/home/u/.ssh");
  EXPECT_EQ(absolute_pattern(".", home, ws), "/home/u/src/proj");
  EXPECT_EQ(absolute_pattern("./", home, ws), "/home/u/src/proj");
  EXPECT_EQ(absolute_pattern(".git/hooks", home, ws), "/home/u/src/proj/.git/hooks");
  EXPECT_EQ(absolute_pattern("./a/./b/", home, ws), "/home/u/src/proj/a/b");
  EXPECT_EQ(absolute_pattern("/usr", home, ws), "/usr");
  EXPECT_EQ(absolute_pattern("/", home, ws), "/");
  EXPECT_EQ(absolute_pattern("//usr///lib//", home, ws), "/usr/lib");
  EXPECT_EQ(absolute_pattern("/a/../../b", home, ws), "/b");  // never above the root
  EXPECT_EQ(absolute_pattern("~/.config/*/token", home, ws), "/home/u/.config/*/token");
  EXPECT_EQ(absolute_pattern("[ab]*.pem", home, ws), "/home/u/src/proj/[ab]*.pem");
  // "~user" is not a home reference (the parser refuses it); it stays a name.
  EXPECT_EQ(absolute_pattern("~x", home, ws), "/home/u/src/proj/~x");
  EXPECT_EQ(absolute_pattern("x/~", home, ws), "/home/u/src/proj/x/~");
  // A home or workspace given lexically unclean comes out clean.
  EXPECT_EQ(absolute_pattern("~/a", "/home//u/", "/ws"), "/home/u/a");
  EXPECT_EQ(absolute_pattern("a", "/h", "/ws/../w2/."), "/w2/a");
}

TEST(PolicyPattern, GlobMatch) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", ".ssh"));  // unlike the shell, * matches a leading dot
  EXPECT_TRUE(glob_match("*_TOKEN", "GITHUB_TOKEN"));
  EXPECT_FALSE(glob_match("*_TOKEN", "GITHUB_TOKENS"));
  EXPECT_TRUE(glob_match("*_TOKEN_*", "A_TOKEN_B"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYYb"));
  EXPECT_TRUE(glob_match("?.db", "a.db"));
  EXPECT_FALSE(glob_match("?.db", ".db"));
  EXPECT_TRUE(glob_match("[abc].db", "b.db"));
  EXPECT_FALSE(glob_match("[abc].db", "d.db"));
  EXPECT_TRUE(glob_match("[a-c]x", "bx"));
  EXPECT_TRUE(glob_match("[!a-c]x", "dx"));
  EXPECT_FALSE(glob_match("[^a-c]x", "ax"));
  EXPECT_TRUE(glob_match("[]]", "]"));
  EXPECT_TRUE(glob_match("[*]", "*"));
  EXPECT_FALSE(glob_match("[*]", "a"));
  EXPECT_TRUE(glob_match("[ab", "[ab"));  // unclosed: literal
  EXPECT_FALSE(glob_match("github_token", "GITHUB_TOKEN"));
  EXPECT_TRUE(glob_match("*_token", "GITHUB_TOKEN", true));
  EXPECT_TRUE(glob_match("[A-Z]_KEY", "x_key", true));
  // Many stars against a long miss: still fast (no exponential backtracking).
  std::string text(10000, 'a');
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
}

TEST(PolicyPattern, PathGlobMatchIsPerComponent) {
  EXPECT_TRUE(path_glob_match("/home/u/src/*", "/home/u/src/proj"));
  EXPECT_FALSE(path_glob_match("/home/u/src/*", "/home/u/src/proj/sub"));
  EXPECT_FALSE(path_glob_match("/home/u/*", "/home/u"));
  EXPECT_TRUE(path_glob_match("/", "/"));
}

TEST(PolicyPattern, MayLieWithin) {
  EXPECT_TRUE(may_lie_within("/a/b", "/a/b"));
  EXPECT_TRUE(may_lie_within("/a/b/c", "/a/b"));
  EXPECT_FALSE(may_lie_within("/a", "/a/b"));
  EXPECT_FALSE(may_lie_within("/a/c", "/a/b"));
  EXPECT_TRUE(may_lie_within("/a/*/c", "/a/b"));
  EXPECT_TRUE(may_lie_within("/a/b/c", "/a/*"));
  EXPECT_TRUE(may_lie_within("/a/x*/c", "/a/*y"));  // two globs: assumed to meet
  EXPECT_FALSE(may_lie_within("/a/*.txt", "/a/secret"));
  EXPECT_TRUE(may_lie_within("/x", "/"));
}

TEST(PolicyPattern, Durations) {
  EXPECT_EQ(parse_duration("600"), 600);
  EXPECT_EQ(parse_duration("0.5"), 0.5);
  EXPECT_EQ(parse_duration("45s"), 45);
  EXPECT_EQ(parse_duration("10m"), 600);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("1d2h3m4s"), 93784);
  EXPECT_EQ(parse_duration("365d"), kMaxTimeoutSeconds);
  for (const char* bad : {"", "0", "0s", "-5", "abc", "10 m", "1h30", "30m1h", "1h1h", "1.s", ".5",
                          "5.", "1w", "366d", "99999999999999999999", "1e3", " 5", "5 "}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(PolicyPattern, Sizes) {
  constexpr double kKiB = 1024;
  EXPECT_EQ(parse_size("1"), 1);
  EXPECT_EQ(parse_size("1048576"), 1048576);
  EXPECT_EQ(parse_size("1K"), kKiB);
  EXPECT_EQ(parse_size("1k"), kKiB);
  EXPECT_EQ(parse_size("512M"), 512 * kKiB * kKiB);
  EXPECT_EQ(parse_size("1.5G"), 1.5 * kKiB * kKiB * kKiB);
  EXPECT_EQ(parse_size("2T"), 2 * kKiB * kKiB * kKiB * kKiB);
  EXPECT_EQ(parse_size("1.5"), 1);     // whole bytes, rounded down
  EXPECT_EQ(parse_size("0.001K"), 1);  // 1.024 bytes
  EXPECT_EQ(parse_size("8192T"), kMaxSizeBytes);
  for (const char* bad :
       {"",    "0",   "0K",  "0.5", "0.0001K", "-1",  "+1",  "1B", "1KB",   "1KiB",
        "1 G", " 1G", "1G ", "G",   "1.G",     ".5G", "1e9", "1P", "8193T", "99999999999999999999",
        "1GG", "inf", "nan"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
  EXPECT_EQ(kSizeExpected,
            "expected a size from 1 byte to 8192T: a number of bytes (1048576) or a string with a "
            "K, M, G or T suffix in powers of 1024 (\"512M\", \"1.5G\")");
}

TEST(PolicyPattern, SizeTextReadsBackExactly) {
  EXPECT_EQ(size_text(1024.0 * 1024 * 1024), "1G");
  EXPECT_EQ(size_text(1536.0 * 1024 * 1024), "1536M");
  EXPECT_EQ(size_text(1000), "1000");
  EXPECT_EQ(size_text(4096), "4K");
  EXPECT_EQ(size_text(kMaxSizeBytes), "8192T");
  for (double bytes :
       {1.0, 1000.0, 1536.0, 3.0 * 1024 * 1024 * 1024, 1610612737.0, kMaxSizeBytes}) {
    EXPECT_EQ(parse_size(size_text(bytes)), bytes) << bytes;
  }
}

TEST(PolicyPattern, KnownRequirements) {
  std::vector<std::string_view> names(known_requirements().begin(), known_requirements().end());
  EXPECT_EQ(names,
            (std::vector<std::string_view>{
                "filesystem-isolation", "protected-paths", "credential-hiding", "network-isolation",
                "process-isolation", "landlock", "seccomp", "resource-limits"}));
  for (std::string_view name : names) EXPECT_TRUE(check_requirement(name).ok()) << name;
  for (const char* bad : {"", "Seccomp", "seccomp ", "network", "all"}) {
    EXPECT_FALSE(check_requirement(bad).ok()) << bad;
  }
}

TEST(PolicyPattern, Checks) {
  EXPECT_TRUE(check_path_pattern("~").ok());
  EXPECT_TRUE(check_path_pattern("a..b/..c").ok());  // ".." only as a whole component
  EXPECT_FALSE(check_path_pattern("a/..").ok());
  EXPECT_FALSE(check_path_pattern("a\x7f").ok());
  EXPECT_TRUE(check_project_pattern("~/src/*").ok());
  EXPECT_FALSE(check_project_pattern("./src").ok());
  EXPECT_TRUE(check_name_pattern("*_TOKEN").ok());
  EXPECT_FALSE(check_name_pattern("[A").ok());
}

}  // namespace
}  // namespace cordon::policy
