// The egress side of one `cordon run`: the proxy in the supervisor, the
// listeners it serves, what the sandbox's environment says about them, the
// questions asked on the caller's terminal, and the end-of-run summary.
//
// Nothing of this exists when the policy lets nothing out: no thread, no
// listener, no variable (DESIGN.md: nothing started that the policy does
// not need). Then the sandbox simply has no way out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "policy/policy.h"
#include "sandbox/supervisor.h"

namespace cordon::cli {

struct EgressOptions {
  std::string home;              // "~" in credential files
  std::string user_policy_path;  // where "allow always" is written; empty: not offered
  bool landlock_mode = false;    // listeners on the host's loopback, not the sandbox's
  sandbox::TerminalGate* gate = nullptr;
};

class EgressRun {
 public:
  // nullptr when the policy lets nothing out. Fails when a credential
  // cannot be read (nothing runs then).
  static Result<std::unique_ptr<EgressRun>> create(const policy::Policy& policy,
                                                   const EgressOptions& options);
  ~EgressRun();
  EgressRun(const EgressRun&) = delete;
  EgressRun& operator=(const EgressRun&) = delete;

  // HTTP_PROXY and friends, and each bound credential's placeholder in
  // place of its variable.
  void apply_environment(std::vector<std::string>& envp) const;
  // Landlock mode: the host-loopback ports the sandbox may connect to.
  [[nodiscard]] std::vector<uint16_t> ports() const;
  // Full mode: a listener the child made in its network namespace (the
  // proxy starts with the second).
  Status take_listener(char kind, UniqueFd listener);
  // Landlock mode: starts the proxy on the listeners create() opened. Call
  // it after the sandbox's clone, never before (supervisor.h, after_clone).
  Status start_host_listeners();
  // Stops the proxy and prints what it refused, one line each, on stderr.
  void finish();

  struct State;

 private:
  explicit EgressRun(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cordon::cli
