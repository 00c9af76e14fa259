// The byte pump between the sandbox's connection and the server's, after a
// CONNECT or a SOCKS5 CONNECT has been decided and answered.
//
// Each direction moves bytes with splice(2) through a pipe (socket -> pipe ->
// socket, no copy into user space), driven by readiness from the event loop;
// where splice cannot be used (no pipe to be had, a socket type without it)
// the direction falls back to recv/send through a 64 KiB buffer. Neither way
// buffers more than one pipe or buffer per direction: a slow reader stops
// the reads on the other side (TCP backpressure reaches the sender).
//
// Closing is where relays lose data, so it follows the two sides exactly:
//   - FIN from one side: everything it sent is delivered, then the other
//     side gets shutdown(SHUT_WR); the opposite direction keeps running
//     (half-close), and the relay ends when both directions have ended.
//   - a reset from one side: what it sent before the reset is delivered,
//     then the other side is reset too (SO_LINGER 0), once the bytes queued
//     for it have left (or cannot); what the reset side can no longer
//     receive is dropped.
//   - a side that cannot be written to any more: the sender on the other
//     side is reset, so that it does not believe its bytes arrived.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "egress/asio.h"

namespace cordon::egress {

// Pipes for splice, reused across relays of one event loop so that an idle
// tunnel holds none (a pipe is taken when bytes arrive and given back when it
// is empty and the direction waits for more). Loop thread only.
class PipePool {
 public:
  struct Pipe {
    UniqueFd read, write;
  };
  // keep: empty pipes kept for reuse. pipe_bytes: F_SETPIPE_SZ for new pipes
  // (0 keeps the kernel's default, 64 KiB); a refusal (the per-user limit in
  // /proc/sys/fs/pipe-user-pages-soft) keeps the default too.
  explicit PipePool(std::size_t keep = 64, int pipe_bytes = 0);
  // nullopt when no pipe can be created (EMFILE, ENFILE): the caller copies.
  std::optional<Pipe> take();
  // Only an empty pipe may be given back.
  void give(Pipe pipe);
  [[nodiscard]] std::size_t pipe_bytes() const { return pipe_bytes_; }

 private:
  std::vector<Pipe> free_;
  std::size_t keep_;
  int requested_bytes_;
  std::size_t pipe_bytes_ = std::size_t{64} * 1024;  // what a new pipe holds
};

// What a relay's gate says about the first bytes from side a.
struct GateVerdict {
  enum Kind { NeedMore, Pass, Refuse } kind = NeedMore;
  std::string reason;  // for Refuse: why, for the log and blocked()
};
// Sees all of a's bytes so far (the prefix included) until it answers Pass
// or Refuse; none of them reaches b before Pass. `eof`: a closed its side
// (answer Pass or Refuse then).
using Gate = std::function<GateVerdict(std::string_view first_bytes, bool eof)>;

struct RelayOptions {
  std::string a_to_b_prefix;  // bytes already read from a (pipelined behind CONNECT)
  Gate gate;                  // empty: no gate
  std::size_t gate_limit = std::size_t{20} * 1024;  // bytes without a verdict: refused
  // No verdict by then and b has sent nothing: refused. (A server that
  // speaks first, as SSH and SMTP do, is answered at the client's pace.)
  std::chrono::milliseconds gate_timeout{30000};
  // false: recv/send through a buffer even where splice works (the fallback,
  // kept testable and measurable on its own).
  bool splice = true;
};

struct RelayResult {
  std::uint64_t a_to_b = 0;  // bytes delivered to b (the prefix included)
  std::uint64_t b_to_a = 0;
  bool refused = false;  // the gate refused: a was reset, b closed
  std::string refusal;
  bool reset_a = false;  // the relay reset a (propagating b's reset or a failure)
  bool reset_b = false;
};

// Relays between a (the client's side) and b until both directions end, then
// closes both sockets and calls done on the sockets' executor. The sockets
// must be connected TCP sockets on the same io_context; `pipes` must outlive
// the relay.
void relay(asio::ip::tcp::socket a, asio::ip::tcp::socket b, PipePool& pipes, RelayOptions options,
           std::function<void(const RelayResult&)> done);

}  // namespace cordon::egress
