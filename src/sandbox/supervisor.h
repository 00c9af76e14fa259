// The supervisor: stays outside the sandbox, clones the contained child,
// forwards signals, relays the terminal, enforces the wall-clock limit and
// reports the command's exit status faithfully.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
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

// Lets another thread of cordon (the egress proxy asking the user) take the
// caller's terminal from the pty relay for a while: as long as the gate is
// held, the relay neither reads the caller's stdin (the answer is not the
// command's input) nor writes the command's output over the question.
class TerminalGate {
 public:
  TerminalGate();
  TerminalGate(const TerminalGate&) = delete;
  TerminalGate& operator=(const TerminalGate&) = delete;

  // Returns once the relay can no longer read the caller's stdin.
  void acquire();
  void release();

  // For the relay: readable when the gate changed hands.
  [[nodiscard]] int wake_fd() const { return wake_.get(); }
  [[nodiscard]] bool held() const { return held_.load(); }
  // The relay holds this while it reads or writes the caller's terminal.
  std::mutex& relay_mutex() { return relay_; }

 private:
  void wake() const;
  UniqueFd wake_;
  std::atomic<bool> held_{false};
  std::mutex relay_;
};

// What a run adds around the sandbox: the egress proxy's listeners and its
// questions on the terminal.
struct SupervisorHooks {
  // A listening socket the child made inside its network namespace (kind:
  // kListenerHttp or kListenerSocks, contain.h), before the command runs. A
  // failure ends the run before the command starts.
  std::function<Status(char kind, UniqueFd listener)> on_listener;
  // Called in the supervisor right after the clone. Threads (the proxy's)
  // start here, never before: the child of a raw clone3 inherits no
  // atfork handling, and a lock another thread held at that instant (the
  // allocator's) would stay locked in the child for ever.
  std::function<Status()> after_clone;
  TerminalGate* gate = nullptr;
};

// Blocks the signals the supervisor forwards (SIGINT, SIGTERM, SIGHUP,
// SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGCHLD); supervise() takes them
// from a signalfd, so pending ones are not lost. Idempotent.
void block_forwarded_signals();

// A full-mode sandbox process, started before its policy is loaded: cloned
// into new user, mount, pid, ipc, uts and cgroup namespaces, its uid and gid
// maps written. While the caller loads the policy and plans, the child makes
// its network namespace, loopback and hostname, then waits on the setup
// socket for the plan (supervise()); it runs nothing before. Destroyed
// without having been given a plan (an invalid policy, Landlock mode chosen
// after all), it is killed and reaped, having run nothing of the caller's.
// Start it before any other thread of cordon exists (the child of a raw
// clone3 inherits no atfork handling).
class Prestarted {
 public:
  // `namespaces_errno` is set when the host refused the namespaces.
  static Result<std::unique_ptr<Prestarted>> start(const std::string& workspace,
                                                   int* namespaces_errno);
  ~Prestarted();
  Prestarted(const Prestarted&) = delete;
  Prestarted& operator=(const Prestarted&) = delete;

 private:
  Prestarted() = default;
  struct State;
  std::unique_ptr<State> state_;
  friend Outcome supervise(const Spec&, const SupervisorHooks&, std::unique_ptr<Prestarted>);
};

// Runs spec.argv contained. Returns the exit code cordon should exit with:
// the command's own status, 128+N for signal N, 124 on timeout, 125 when
// the sandbox could not be set up (nothing ran). In full mode it uses
// `prestarted` (started for spec.workspace), or starts one itself.
Outcome supervise(const Spec& spec, const SupervisorHooks& hooks = {},
                  std::unique_ptr<Prestarted> prestarted = nullptr);

}  // namespace cordon::sandbox
