// The supervisor: stays outside the sandbox, clones the contained child,
// forwards signals, relays the terminal, enforces the wall-clock limit and
// reports the command's exit status faithfully.
#pragma once

#include <string>
#include <vector>

#include "sandbox/spec.h"

namespace cordon::sandbox {

inline constexpr int kExitCordonFailed = 125;
inline constexpr int kExitTimedOut = 124;

struct Outcome {
  int exit_code = kExitCordonFailed;
  bool timed_out = false;
  std::string error;  // set when cordon itself failed (exit 125)
  // Full mode could not create the namespaces (clone3 failed with this
  // errno): nothing ran; the caller may choose Landlock mode instead.
  int namespaces_errno = 0;
  // Why the command ended, when a limit ended it ("out of memory: ...").
  std::string limit_hit;
};

// Blocks the signals the supervisor forwards (SIGINT, SIGTERM, SIGHUP,
// SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGCHLD); supervise() takes them
// from a signalfd, so pending ones are not lost. Idempotent.
void block_forwarded_signals();

// Runs spec.argv contained. Returns the exit code cordon should exit with:
// the command's own status, 128+N for signal N, 124 on timeout, 125 when
// the sandbox could not be set up (nothing ran).
Outcome supervise(const Spec& spec);

}  // namespace cordon::sandbox
