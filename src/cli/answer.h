// The answer to a question cordon asks on the caller's terminal (the egress
// proxy's "allow this host?"), told apart from what the terminal itself sends.
//
// The command inside the sandbox writes to the same terminal, and a terminal
// answers some of what it is sent: a cursor position query (ESC [ 6 n) is
// answered with ESC [ row ; col R, an XTGETTCAP query with ESC P 1 + r ...
// ESC \. Those replies arrive as input, the same way key presses do. Read one
// byte at a time, a reply that lands while a question waits would answer it:
// its 'R' or 'r' means "allow for this run". So a byte counts as the answer
// only when it is a plain key, outside any escape sequence (ESC or an 8-bit
// C1 introducer, raw or UTF-8 encoded, and everything up to the sequence's
// end), and only once the question has been on the screen long enough to
// have been read: what arrives before is typeahead or a reply, not an answer.
#pragma once

#include <optional>

namespace cordon::cli {

class AnswerReader {
 public:
  // One input byte; `settled`: the question has been shown long enough.
  // Returns the answer when this byte is one.
  std::optional<char> feed(unsigned char b, bool settled) {
    switch (state_) {
      case State::Ground: return ground(b, settled);
      case State::Esc:
        if (b == '[') {
          state_ = State::Csi;
        } else if (b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X') {
          state_ = State::String;
        } else if (b == 'O') {
          state_ = State::Ss3;
        } else {
          state_ = State::Ground;  // a two-byte sequence (Alt+key, ESC c, ...)
        }
        return std::nullopt;
      case State::Csi:
        if (b >= 0x40 && b <= 0x7e) state_ = State::Ground;
        return std::nullopt;
      case State::String:
        if (b == 0x07 || b == 0x9c) state_ = State::Ground;  // BEL or 8-bit ST
        if (b == 0x1b) state_ = State::StringEsc;
        return std::nullopt;
      case State::StringEsc:
        state_ = b == '\\' ? State::Ground : State::String;
        return std::nullopt;
      case State::Ss3: state_ = State::Ground; return std::nullopt;
      case State::Utf8C1:
        state_ = State::Ground;
        if (b >= 0x80 && b <= 0x9f) c1(b);
        return std::nullopt;
    }
    return std::nullopt;
  }

  // True after a lone ESC: if nothing follows it, it was the Escape key.
  [[nodiscard]] bool after_escape() const { return state_ == State::Esc; }

 private:
  enum class State { Ground, Esc, Csi, String, StringEsc, Ss3, Utf8C1 };

  std::optional<char> ground(unsigned char b, bool settled) {
    if (b == 0x1b) {
      state_ = State::Esc;
    } else if (b == 0xc2) {
      state_ = State::Utf8C1;  // C1 controls encoded in UTF-8: C2 80..C2 9F
    } else if (b >= 0x80 && b <= 0x9f) {
      c1(b);
    } else if (settled && b >= 0x20 && b < 0x7f) {
      return static_cast<char>(b);
    }
    return std::nullopt;
  }

  void c1(unsigned char b) {
    if (b == 0x9b) {
      state_ = State::Csi;
    } else if (b == 0x90 || b == 0x9d || b == 0x9e || b == 0x9f || b == 0x98) {
      state_ = State::String;  // DCS, OSC, PM, APC, SOS
    } else if (b == 0x8f) {
      state_ = State::Ss3;
    }
  }

  State state_ = State::Ground;
};

}  // namespace cordon::cli
