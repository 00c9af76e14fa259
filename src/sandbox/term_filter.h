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
    DcsStart,   // after a DCS introducer (held), reading "tmux;"
    Pass,       // inside an OSC or DCS that passes
    Drop,       // inside a dropped OSC or DCS
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
        if (b == ']' || b == 'P') {
          introduced(b == ']', b);
        } else {
          flush(out);
          ground(b, out);
        }
        return;
      case State::C2:
        state_ = State::Ground;
        if (b == 0x9d || b == 0x90) {
          introduced(b == 0x9d, b);
        } else {
          flush(out);
          ground(b, out);
        }
        return;
      case State::OscNumber:
        if (b >= '0' && b <= '9' && held_.size() < 12) {
          held_ += static_cast<char>(b);
        } else if (b == ';' && held_.substr(intro_size()) == "52") {
          start_drop(false);
        } else {
          pass(b, out);
        }
        return;
      case State::DcsStart: {
        static constexpr std::string_view kTmux = "tmux;";
        const std::size_t at = held_.size() - intro_size();
        if (b != static_cast<unsigned char>(kTmux[at])) {
          pass(b, out);
        } else if (at + 1 == kTmux.size()) {
          start_drop(true);
        } else {
          held_ += static_cast<char>(b);
        }
        return;
      }
      case State::Pass:
        // Every byte goes out, but an ESC, which is held until the next byte
        // says what it is: ESC \ is ST, and any other ESC sequence ends the
        // string for the terminal and begins anew, so it is read as a fresh
        // one (ESC ] 52 ; right after a title is still dropped).
        if (b == 0x1b) {
          held_ = "\x1b";
          state_ = State::Esc;
          return;
        }
        out += static_cast<char>(b);
        if (ends_string(b)) state_ = State::Ground;
        return;
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
      held_.clear();  // a raw 8-bit C1 introducer
      introduced(b == 0x9d, b);
    } else {
      if (b >= 0xc3 && b <= 0xdf) utf8_left_ = 1;
      if (b >= 0xe0 && b <= 0xef) utf8_left_ = 2;
      if (b >= 0xf0 && b <= 0xf4) utf8_left_ = 3;
      out += static_cast<char>(b);
    }
  }

  // The last byte of an OSC or DCS introducer, held with what came before.
  void introduced(bool osc, unsigned char b) {
    held_ += static_cast<char>(b);
    state_ = osc ? State::OscNumber : State::DcsStart;
  }

  // The sequence held so far is not one to drop: it goes out, and so does
  // the rest of the string it begins.
  void pass(unsigned char b, std::string& out) {
    flush(out);
    state_ = State::Pass;
    step(b, out);
  }

  static bool ends_string(unsigned char b) {
    return b == 0x07 || b == 0x9c || b == 0x18 || b == 0x1a;  // BEL, ST (raw or C2 9C), CAN, SUB
  }

  // dcs: the dropped string ends at ST only, not at BEL (tmux's passthrough).
  void start_drop(bool dcs) {
    held_.clear();
    state_ = State::Drop;
    dropped_ = 0;
    drop_dcs_ = dcs;
  }

  // ESC ] / ESC P and C2 9D / C2 90 take two bytes, a raw C1 one.
  [[nodiscard]] std::size_t intro_size() const {
    return held_[0] == '\x1b' || held_[0] == '\xc2' ? 2 : 1;
  }

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
