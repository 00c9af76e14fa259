// Interactive use: with a terminal the command gets a pty of its own with
// the caller's size, keystrokes and window changes; without one, pipes.
#include "harness.h"

namespace cordon::test {
namespace {

using Terminal = SandboxTest;

bool has_line(const std::string& out, const std::string& line) {
  auto lines = split_lines(out);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST_P(Terminal, CommandGetsAPtyWithTheCallersSize) {
  RunOptions o = opts();
  o.stdin_tty = true;
  o.tty_rows = 33;
  o.tty_cols = 111;
  auto r = run_in({"sh", "-c", "test -t 0 && test -t 1 && test -t 2 && stty size"}, {}, o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(has_line(r.out, "33 111")) << r;
}

TEST_P(Terminal, KeystrokesReachTheCommand) {
  RunOptions o = opts();
  o.stdin_tty = true;
  Process p({cordon_bin(), "run", "--", "sh", "-c", "echo ready; read x; echo got:$x"}, o);
  ASSERT_TRUE(p.wait_for_output("ready")) << p.out();
  p.write_input("hello\n");
  auto r = p.wait();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(has_line(r.out, "got:hello")) << r;
}

TEST_P(Terminal, WindowSizeChangesAreForwarded) {
  RunOptions o = opts();
  o.stdin_tty = true;
  o.tty_rows = 33;
  o.tty_cols = 111;
  o.timeout_seconds = 30;
  Process p({cordon_bin(), "run", "--", "sh", "-c", "stty size; while read x; do stty size; done"},
            o);
  ASSERT_TRUE(p.wait_for_output("33 111")) << p.out();
  p.resize(40, 120);
  // The resize and the next keystroke travel separately; ask until it shows.
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    p.write_input("\n");
    seen = p.wait_for_output("40 120", std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(seen) << p.out();
  p.write_input("\x04");  // end of input: the loop ends
  auto r = p.wait();
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_P(Terminal, WithoutATerminalStdinIsAPipeAndDataFlows) {
  RunOptions o = opts();
  o.stdin_data = "piped-data\nsecond line\n";
  auto r = run_in(
      {"sh", "-c", "if test -t 0 || test -t 1; then echo tty; else echo notty; fi; cat"}, {}, o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "notty\npiped-data\nsecond line\n") << r;
}

TEST_P(Terminal, LargeInputAndOutputThroughPipes) {
  RunOptions o = opts();
  o.stdin_data = std::string(1 << 20, 'a');
  auto r =
      run_in({"sh", "-c", "wc -c; head -c 2000000 /dev/zero | wc -c; head -c 100000 /dev/zero >&2"},
             {}, o);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_words(r.out), (std::vector<std::string>{"1048576", "2000000"})) << r;
  EXPECT_EQ(r.err.size(), 100000u);
}

INSTANTIATE_TEST_SUITE_P(Users, Terminal, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
