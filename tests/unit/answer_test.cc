// The answer to a question on the terminal, told apart from the terminal's
// own replies to queries the contained command sent (cli/answer.h).
#include "cli/answer.h"

#include <gtest/gtest.h>

#include <string>

namespace cordon::cli {
namespace {

// The answers the reader finds in `input`, all of it read after the
// question settled unless `settled` says otherwise.
std::string answers(const std::string& input, bool settled = true) {
  AnswerReader r;
  std::string out;
  for (char c : input) {
    if (auto k = r.feed(static_cast<unsigned char>(c), settled)) out += *k;
  }
  return out;
}

TEST(AnswerReader, APlainKeyIsTheAnswer) {
  EXPECT_EQ(answers("o"), "o");
  EXPECT_EQ(answers("d"), "d");
}

TEST(AnswerReader, NothingCountsBeforeTheQuestionSettled) {
  EXPECT_EQ(answers("o", false), "");
  EXPECT_EQ(answers("ra", false), "");
}

// The replies a terminal sends, each with a letter that is an answer ('R',
// 'r', 'a', 'c'...): none of them is one.
TEST(AnswerReader, TerminalRepliesAreNotAnswers) {
  EXPECT_EQ(answers("\x1b[24;80R"), "");                       // cursor position report
  EXPECT_EQ(answers("\x1b[?62;22c"), "");                      // device attributes
  EXPECT_EQ(answers("\x1bP1+r616c6c6f77\x1b\\"), "");          // XTGETTCAP, ST-terminated
  EXPECT_EQ(answers("\x1b]11;rgb:ffff/ffff/ffff\x07"), "");    // OSC colour, BEL-terminated
  EXPECT_EQ(answers("\x1b]11;rgb:aaaa/aaaa/aaaa\x1b\\"), "");  // OSC colour, ST-terminated
  EXPECT_EQ(answers("\x1bOR"), "");                            // SS3
  EXPECT_EQ(answers("\x9b"
                    "24;80R"),
            "");  // 8-bit CSI
  EXPECT_EQ(answers("\x90"
                    "1+r61\x9c"),
            "");  // 8-bit DCS ... ST
  EXPECT_EQ(answers("\xc2\x9b"
                    "24;80R"),
            "");  // CSI as UTF-8
  EXPECT_EQ(answers("\xc2\x90"
                    "1+r61\xc2\x9c"),
            "");  // DCS as UTF-8
}

// A key typed after a reply still counts, and only it.
TEST(AnswerReader, TheKeyAfterAReplyCounts) {
  EXPECT_EQ(answers("\x1b[24;80R"
                    "d"),
            "d");
  EXPECT_EQ(answers("\x1bP1+r6162\x1b\\"
                    "o"),
            "o");
}

TEST(AnswerReader, ALoneEscapeIsNoticed) {
  AnswerReader r;
  EXPECT_FALSE(r.feed(0x1b, true));
  EXPECT_TRUE(r.after_escape());
  EXPECT_FALSE(r.feed('[', true));
  EXPECT_FALSE(r.after_escape());
}

}  // namespace
}  // namespace cordon::cli
