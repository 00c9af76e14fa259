// A session's flow state on disk, one JSON file per Claude Code session id,
// safe for concurrent hook processes: each holds an exclusive flock on the
// file from reading to writing back.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "guard/flow.h"

namespace cordon::guard {

// $XDG_STATE_HOME/cordon/sessions, else HOME/.local/state/cordon/sessions.
std::string session_dir(std::string_view home, std::string_view xdg_state_home);

class SessionFile {
 public:
  // Creates the directory (0700) and the file (0600) as needed, takes the
  // lock and reads the state. The id becomes the file name only when it is
  // made of [A-Za-z0-9_-] (at most 128 bytes); anything else is refused.
  static Result<SessionFile> open(const std::string& dir, std::string_view session_id);

  SessionState& state() { return state_; }
  // Writes the state back (the lock is held until the object goes away).
  Status save();

 private:
  SessionFile(UniqueFd fd, SessionState state) : fd_(std::move(fd)), state_(std::move(state)) {}
  UniqueFd fd_;
  SessionState state_;
};

}  // namespace cordon::guard
