// What the contained command writes to the caller's terminal, through the
// pty relay, less the escape sequences that reach beyond the screen.
//
// A terminal that honours OSC 52 ("ESC ] 52 ; c ; BASE64 BEL") puts the
// payload on the user's clipboard: kitty, WezTerm, Alacritty, Windows
// Terminal and tmux (set-clipboard) do so without asking. An agent could
// then replace what the user copies with a command, for the user to paste
// into a shell outside the sandbox. tmux's passthrough ("ESC P tmux; ...
// ESC \") carries any sequence, OSC 52 included, to the terminal around it.
// Both are dropped, whole; every other byte passes unchanged (titles,
// colours, hyperlinks, the cursor).
//
// The filter follows the terminal's own parsing where it matters for a
// bypass: it sees a sequence's introducer in its 7-bit (ESC ]), UTF-8
// (C2 9D) and raw 8-bit (9D, outside a UTF-8 character) forms, and it never
// thinks itself inside a string the terminal has already left (BEL, ST in
// every form, CAN, SUB or a new ESC end one), so that a second introducer
// cannot hide behind a first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cordon::sandbox {

class TerminalOutputFilter {
 public:
  // Appends what may be written of `in` to `out`. State carries over, so a
  // sequence split across reads is handled like a whole one.
  void feed(std::string_view in, std::string& out) {
    for (unsigned char b : in) step(b, out);
  }

  // Bytes held back (the start of what may be a dropped sequence); written
  // out when the stream ends.
  void finish(std::string& out) {
    out += held_;
    held_.clear();
    state_ = State::Ground;
  }

 private:
  enum class State {
    Ground,
    Esc,        // after ESC (held)
    C2,         // after C2 in ground (held): maybe a UTF-8 C1
    OscNumber,  // after an OSC introducer (held), reading its number
    OscPass,    // inside an OSC that passes
    OscPassEsc,
    DcsStart,  // after a DCS introducer (held), reading "tmux;"
    DcsPass,
    DcsPassEsc,
    Drop,  // inside a dropped OSC or DCS
    DropEsc,
  };

  // A dropped sequence that never ends stops being dropped after this much:
  // its payload is then shown as text (harmless: its introducer was dropped).
  static constexpr std::size_t kMaxDrop = std::size_t{1} << 20;

  void step(unsigned char b, std::string& out) {
    switch (state_) {
      case State::Ground: ground(b, out); return;
      case State::Esc:
        state_ = State::Ground;
        if (b == ']') {
          held_ += static_cast<char>(b);
          state_ = State::OscNumber;
        } else if (b == 'P') {
          held_ += static_cast<char>(b);
          state_ = State::DcsStart;
        } else {
          flush(out);
          ground(b, out);
        }
        return;
      case State::C2:
        state_ = State::Ground;
        if (b == 0x9d || b == 0x90) {
          held_ += static_cast<char>(b);
          state_ = b == 0x9d ? State::OscNumber : State::DcsStart;
        } else {
          flush(out);
          ground(b, out);
        }
        return;
      case State::OscNumber:
        if (b >= '0' && b <= '9' && held_.size() < 12) {
          held_ += static_cast<char>(b);
          return;
        }
        if (b == ';' && number_is_52()) {
          held_.clear();
          start_drop(State::Drop);
          return;
        }
        flush(out);
        state_ = State::OscPass;
        in_string(b, out, State::OscPass, State::OscPassEsc);
        return;
      case State::OscPass: in_string(b, out, State::OscPass, State::OscPassEsc); return;
      case State::OscPassEsc: after_string_esc(b, out); return;
      case State::DcsStart: {
        static constexpr std::string_view kTmux = "tmux;";
        const std::size_t at = held_.size() - intro_size();
        if (at < kTmux.size() && b == static_cast<unsigned char>(kTmux[at])) {
          held_ += static_cast<char>(b);
          if (at + 1 == kTmux.size()) {
            held_.clear();
            start_drop(State::Drop);
            drop_dcs_ = true;  // ends at ST only, not at BEL
          }
          return;
        }
        flush(out);
        state_ = State::DcsPass;
        in_string(b, out, State::DcsPass, State::DcsPassEsc);
        return;
      }
      case State::DcsPass: in_string(b, out, State::DcsPass, State::DcsPassEsc); return;
      case State::DcsPassEsc: after_string_esc(b, out); return;
      case State::Drop:
        if (++dropped_ > kMaxDrop) {
          state_ = State::Ground;
          ground(b, out);
          return;
        }
        if (b == 0x1b) state_ = State::DropEsc;
        if (ends_string(b) && !(drop_dcs_ && b == 0x07)) state_ = State::Ground;
        return;
      case State::DropEsc:
        // tmux doubles the ESCs inside its passthrough: ESC ESC stays in.
        if (b == 0x1b) {
          state_ = State::Drop;
          return;
        }
        state_ = State::Ground;
        if (b != '\\') {
          // Any other ESC sequence ends the string for the terminal: read
          // what follows as it will.
          held_ = "\x1b";
          state_ = State::Esc;
          step(b, out);
        }
        return;
    }
  }

  void ground(unsigned char b, std::string& out) {
    if (utf8_left_ > 0 && b >= 0x80 && b <= 0xbf) {
      --utf8_left_;
      out += static_cast<char>(b);
      return;
    }
    utf8_left_ = 0;
    if (b == 0x1b) {
      held_ = "\x1b";
      state_ = State::Esc;
    } else if (b == 0xc2) {
      held_ = "\xc2";
      state_ = State::C2;
    } else if (b == 0x9d || b == 0x90) {
      held_ = std::string(1, static_cast<char>(b));  // a raw 8-bit C1 introducer
      state_ = b == 0x9d ? State::OscNumber : State::DcsStart;
    } else {
      if (b >= 0xc3 && b <= 0xdf) utf8_left_ = 1;
      if (b >= 0xe0 && b <= 0xef) utf8_left_ = 2;
      if (b >= 0xf0 && b <= 0xf4) utf8_left_ = 3;
      out += static_cast<char>(b);
    }
  }

  // Inside a string that passes: every byte goes out, but an ESC, which is
  // held until the next byte says what it is; the string ends where the
  // terminal would end it.
  void in_string(unsigned char b, std::string& out, State stay, State esc) {
    if (b == 0x1b) {
      held_ = "\x1b";
      state_ = esc;
      return;
    }
    out += static_cast<char>(b);
    state_ = ends_string(b) ? State::Ground : stay;
  }

  // After an ESC inside a passing string (held). ESC \ is ST; any other ESC
  // sequence ends the string for the terminal and begins anew, so it is read
  // as a fresh one (ESC ] 52 ; right after a title is still dropped).
  void after_string_esc(unsigned char b, std::string& out) {
    state_ = State::Esc;
    step(b, out);
  }

  static bool ends_string(unsigned char b) {
    return b == 0x07 || b == 0x9c || b == 0x18 || b == 0x1a;  // BEL, ST (raw or C2 9C), CAN, SUB
  }

  void start_drop(State s) {
    state_ = s;
    dropped_ = 0;
    drop_dcs_ = false;
  }

  [[nodiscard]] std::size_t intro_size() const {
    return (!held_.empty() && held_[0] == '\x1b') || (!held_.empty() && held_[0] == '\xc2') ? 2 : 1;
  }

  [[nodiscard]] bool number_is_52() const { return held_.substr(intro_size()) == "52"; }

  void flush(std::string& out) {
    out += held_;
    held_.clear();
  }

  State state_ = State::Ground;
  std::string held_;
  std::size_t dropped_ = 0;
  bool drop_dcs_ = false;  // the dropped string is a DCS
  int utf8_left_ = 0;
};

}  // namespace cordon::sandbox
