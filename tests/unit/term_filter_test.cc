// The pty relay's output filter (sandbox/term_filter.h): OSC 52 (the
// clipboard) and tmux's passthrough are dropped whole, in every form and
// however the stream is cut; everything else passes byte for byte.
#include "sandbox/term_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace cordon::sandbox {
namespace {

// The filter's output for `in`, fed whole and fed a byte at a time: both
// must agree, since a read can end anywhere.
std::string filtered(const std::string& in) {
  std::string whole, bytewise;
  TerminalOutputFilter a, b;
  a.feed(in, whole);
  a.finish(whole);
  for (char c : in) b.feed(std::string_view(&c, 1), bytewise);
  b.finish(bytewise);
  EXPECT_EQ(whole, bytewise) << "cut into bytes, the stream filters differently";
  return whole;
}

TEST(TerminalOutputFilter, TextAndOrdinarySequencesPassUnchanged) {
  for (const std::string& s : {
           std::string("plain text\r\n"), std::string("\x1b[1;31mred\x1b[0m \x1b[2J\x1b[H"),
           std::string("\x1b]0;window title\x07"),
           std::string("\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\"),
           std::string("\x1bP1$r0m\x1b\\"),  // a DCS reply-like string
           std::string("caf\xc3\xa9 \xc4\x9d"
                       "52;x \xe2\x82\xac"),          // UTF-8, a 9D inside a character
           std::string("\x1b]5;0;rgb:ff/00/00\x07"),  // OSC 5, not 52
           std::string("\x1b]520;x\x07"),             // OSC 520, not 52
           std::string("\x1b"
                       "7]52;x\x07"),         // ESC 7, then plain "]52;"
           std::string("\xc2\xa9]52;x\x07"),  // (c), then plain "]52;"
       }) {
    EXPECT_EQ(filtered(s), s);
  }
}

TEST(TerminalOutputFilter, ClipboardWritesAreDropped) {
  EXPECT_EQ(filtered("a\x1b]52;c;cm0gLXJmIH4K\x07z"), "az");    // BEL-terminated
  EXPECT_EQ(filtered("a\x1b]52;c;cm0gLXJmIH4K\x1b\\z"), "az");  // ESC \ (ST)
  EXPECT_EQ(filtered("a\xc2\x9d"
                     "52;c;cm0=\xc2\x9cz"),
            "az");  // C1 as UTF-8
  EXPECT_EQ(filtered("a\x9d"
                     "52;c;cm0=\x9cz"),
            "az");                                    // raw 8-bit C1
  EXPECT_EQ(filtered("a\x1b]52;p;cm0=\x18z"), "az");  // ended by CAN
  EXPECT_EQ(filtered("\x1b]52;c;?\x07"), "");         // a read request too
}

// A clipboard write right after a title that is never ended: the terminal
// ends the title at the ESC and reads ESC ] 52 as a new sequence, and so
// must the filter.
TEST(TerminalOutputFilter, ClipboardWriteCannotHideBehindAnOpenString) {
  EXPECT_EQ(filtered("\x1b]0;title\x1b]52;c;cm0=\x07z"), "\x1b]0;titlez");
  EXPECT_EQ(filtered("\x1bPq#0\x1b]52;c;cm0=\x07z"), "\x1bPq#0z");
  EXPECT_EQ(filtered("\x1b]0;t\x07\x1b]52;c;cm0=\x07z"), "\x1b]0;t\x07z");
}

TEST(TerminalOutputFilter, TmuxPassthroughIsDropped) {
  EXPECT_EQ(filtered("a\x1bPtmux;\x1b\x1b]52;c;cm0=\x07\x1b\\z"), "az");
  EXPECT_EQ(filtered("a\x1bPtmux;\x1b\x1b]0;title\x1b\x1b\\\x1b\\z"), "az");
}

// A stream that ends inside a held introducer gives it back at the end.
TEST(TerminalOutputFilter, WhatIsHeldAtTheEndIsWritten) {
  EXPECT_EQ(filtered("x\x1b"), "x\x1b");
  EXPECT_EQ(filtered("x\x1b]5"), "x\x1b]5");
}

}  // namespace
}  // namespace cordon::sandbox
