#include "egress/relay.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <utility>

namespace cordon::egress {

PipePool::PipePool(std::size_t keep, int pipe_bytes) : keep_(keep), requested_bytes_(pipe_bytes) {}

std::optional<PipePool::Pipe> PipePool::take() {
  if (!free_.empty()) {
    Pipe pipe = std::move(free_.back());
    free_.pop_back();
    return pipe;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (requested_bytes_ > 0) {
    const int got = ::fcntl(pipe.write.get(), F_SETPIPE_SZ, requested_bytes_);
    if (got > 0) pipe_bytes_ = static_cast<std::size_t>(got);
  }
  return pipe;
}

void PipePool::give(Pipe pipe) {
  if (free_.size() < keep_) free_.push_back(std::move(pipe));
}

namespace {

constexpr std::size_t kCopyBytes = std::size_t{64} * 1024;
// A direction moves at most this much per turn of the event loop, then lets
// the other connections have theirs.
constexpr int kRoundsPerTurn = 16;
// How long a reset waits for the bytes already queued on the socket to be
// acknowledged before it discards them.
constexpr auto kResetFlushLimit = std::chrono::seconds(5);
constexpr auto kResetFlushPoll = std::chrono::milliseconds(5);

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// splice reports these when one of the two ends does not support it (a
// socket family without splice_read, an odd file): the direction copies.
bool splice_unsupported(int err) { return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP; }

class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(asio::ip::tcp::socket a, asio::ip::tcp::socket b, PipePool& pipes, RelayOptions options,
        std::function<void(const RelayResult&)> done)
      : a_(std::move(a)),
        b_(std::move(b)),
        pipes_(pipes),
        options_(std::move(options)),
        done_(std::move(done)),
        gate_timer_(a_.get_executor()),
        flush_timer_(a_.get_executor()) {
    up_.src = &a_;
    up_.dst = &b_;
    down_.src = &b_;
    down_.dst = &a_;
    up_.buf = std::move(options_.a_to_b_prefix);
    up_.gated = static_cast<bool>(options_.gate);
    up_.copy = down_.copy = !options_.splice;
  }

  void start() {
    asio::error_code ec;
    a_.native_non_blocking(true, ec);
    b_.native_non_blocking(true, ec);
    if (up_.gated) {
      gate_timer_.expires_after(options_.gate_timeout);
      gate_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
        if (error || !self->up_.gated || self->up_.end != End::Running) return;
        if (self->down_.bytes > 0) return;  // the server spoke first: the client's turn
        self->refuse("no first bytes from the client within the time allowed");
      });
      // The prefix may already decide (a ClientHello sent with the CONNECT).
      if (!up_.buf.empty() && !run_gate(false)) return;
    }
    step(up_);
    step(down_);
  }

 private:
  enum class End { Running, Fin, SrcReset, DstDead, Stopped };

  struct Pump {
    asio::ip::tcp::socket* src = nullptr;
    asio::ip::tcp::socket* dst = nullptr;
    std::optional<PipePool::Pipe> pipe;
    std::size_t in_pipe = 0;  // bytes spliced in and not yet out
    std::string buf;          // user-space bytes for dst: the prefix, copy mode, gate
    std::size_t buf_sent = 0;
    bool copy = false;   // splice not possible: recv/send through buf
    bool gated = false;  // the gate has not passed: read into buf, write nothing
    bool src_eof = false;
    bool src_failed = false;
    End end = End::Running;
    std::uint64_t bytes = 0;  // delivered to dst
  };

  Pump& other(Pump& p) { return &p == &up_ ? down_ : up_; }

  // Moves bytes until both ends would block, the direction ends, or its
  // share of this turn is used; then waits for readiness or yields.
  void step(Pump& p) {
    for (int round = 0; p.end == End::Running; ++round) {
      const int dst = p.dst->native_handle();
      const int src = p.src->native_handle();
      // 1. Bytes already in user space go first (they were read first).
      if (!p.gated && p.buf_sent < p.buf.size()) {
        const ssize_t n = ::send(dst, p.buf.data() + p.buf_sent, p.buf.size() - p.buf_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && would_block(errno)) return wait(p, *p.dst, asio::socket_base::wait_write);
        if (n < 0) return finish(p, End::DstDead);
        p.buf_sent += static_cast<std::size_t>(n);
        p.bytes += static_cast<std::uint64_t>(n);
        if (p.buf_sent == p.buf.size()) {
          p.buf.clear();
          p.buf_sent = 0;
        }
        continue;
      }
      // 2. Then what sits in the pipe.
      if (p.in_pipe > 0) {
        const ssize_t n = ::splice(p.pipe->read.get(), nullptr, dst, nullptr, p.in_pipe,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0 && would_block(errno)) return wait(p, *p.dst, asio::socket_base::wait_write);
        if (n <= 0) return finish(p, End::DstDead);
        p.in_pipe -= static_cast<std::size_t>(n);
        p.bytes += static_cast<std::uint64_t>(n);
        continue;
      }
      // Nothing is pending for dst: the source's end can be passed on.
      if (p.src_eof) {
        if (p.gated) {
          // The gate decides on what came before the FIN; if it passes,
          // those bytes go out (step 1) before the FIN does.
          if (!run_gate(true)) return;
          continue;
        }
        // Everything src sent has been delivered: now dst may see the FIN.
        ::shutdown(dst, SHUT_WR);
        return finish(p, End::Fin);
      }
      if (p.src_failed) return finish(p, End::SrcReset);
      if (round >= kRoundsPerTurn) {
        asio::post(a_.get_executor(), [self = shared_from_this(), &p] { self->step(p); });
        return;
      }
      // 3. Read more.
      if (p.gated || p.copy) {
        std::array<char, kCopyBytes> chunk;  // NOLINT(cppcoreguidelines-pro-type-member-init)
        const ssize_t n = ::recv(src, chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (n < 0 && would_block(errno)) return wait(p, *p.src, asio::socket_base::wait_read);
        if (n < 0) {
          p.src_failed = true;
          continue;
        }
        if (n == 0) {
          p.src_eof = true;
          continue;
        }
        p.buf.append(chunk.data(), static_cast<std::size_t>(n));
        if (p.gated && !run_gate(false)) return;
        continue;
      }
      if (!p.pipe) {
        p.pipe = pipes_.take();
        if (!p.pipe) {
          p.copy = true;
          continue;
        }
      }
      const ssize_t n = ::splice(src, nullptr, p.pipe->write.get(), nullptr, pipes_.pipe_bytes(),
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        p.in_pipe += static_cast<std::size_t>(n);
      } else if (n == 0) {
        p.src_eof = true;
      } else if (would_block(errno)) {
        // Either the socket has nothing or the pipe is full; a full pipe
        // has bytes in it, which step 2 moves on the next round.
        if (p.in_pipe == 0) {
          pipes_.give(std::move(*p.pipe));  // an idle direction holds no pipe
          p.pipe.reset();
          return wait(p, *p.src, asio::socket_base::wait_read);
        }
      } else if (splice_unsupported(errno) && p.in_pipe == 0) {
        p.copy = true;
      } else {
        p.src_failed = true;  // ECONNRESET, ETIMEDOUT: src reset after what was read
      }
    }
  }

  void wait(Pump& p, asio::ip::tcp::socket& socket, asio::socket_base::wait_type what) {
    socket.async_wait(what, [self = shared_from_this(), &p](const asio::error_code& ec) {
      if (p.end != End::Running) return;
      if (ec == asio::error::operation_aborted) return;
      // Other errors (EPOLLERR, EPOLLHUP) surface in the next send/splice.
      self->step(p);
    });
  }

  // Runs the gate over up_.buf. False when the relay stopped (refused).
  bool run_gate(bool eof) {
    const GateVerdict v = options_.gate(up_.buf, eof);
    switch (v.kind) {
      case GateVerdict::Pass:
        up_.gated = false;
        gate_timer_.cancel();
        return true;
      case GateVerdict::Refuse: refuse(v.reason); return false;
      case GateVerdict::NeedMore:
        if (eof || up_.buf.size() > options_.gate_limit) {
          refuse(eof ? "the client closed before its first bytes could be checked"
                     : "the client's first bytes are too long to check");
          return false;
        }
        return true;
    }
    return true;
  }

  void refuse(std::string reason) {
    result_.refused = true;
    result_.refusal = std::move(reason);
    // The client sees a reset, as the THREATS.md row says; the server, to
    // which nothing was sent, a plain close.
    result_.reset_a = true;
    up_.end = End::Stopped;
    down_.end = End::Stopped;
    close_all();
  }

  void finish(Pump& p, End end) {
    p.end = end;
    if (p.pipe) {
      if (p.in_pipe == 0) pipes_.give(std::move(*p.pipe));
      p.pipe.reset();  // a pipe with bytes in it is closed, never reused
    }
    Pump& q = other(p);
    if (end == End::SrcReset) {
      // p's source reset: pass the reset on to p's destination, and stop
      // the opposite direction, which can no longer deliver anything.
      if (p.dst == &a_) result_.reset_a = true;
      if (p.dst == &b_) result_.reset_b = true;
      if (q.end == End::Running) q.end = End::Stopped;
    } else if (end == End::DstDead) {
      // p's destination cannot take its bytes: its sender must not
      // believe they arrived. The opposite direction drains what the dead
      // side had sent and then ends on its own.
      if (p.src == &a_) result_.reset_a = true;
      if (p.src == &b_) result_.reset_b = true;
    }
    if (q.end != End::Running) close_all();
  }

  void close_all() {
    if (closing_) return;
    closing_ = true;
    gate_timer_.cancel();
    result_.a_to_b = up_.bytes;
    result_.b_to_a = down_.bytes;
    flush_then_close(std::chrono::steady_clock::now() + kResetFlushLimit);
  }

  // A socket about to be reset first gets its queued bytes out (SIOCOUTQ:
  // sent but not yet acknowledged), so that a reset never overtakes data.
  void flush_then_close(std::chrono::steady_clock::time_point limit) {
    const bool wait_a = result_.reset_a && unsent(a_) > 0;
    const bool wait_b = result_.reset_b && unsent(b_) > 0;
    if ((wait_a || wait_b) && std::chrono::steady_clock::now() < limit) {
      flush_timer_.expires_after(kResetFlushPoll);
      flush_timer_.async_wait([self = shared_from_this(), limit](const asio::error_code& ec) {
        if (ec) {
          self->close_sockets();
          return;
        }
        self->flush_then_close(limit);
      });
      return;
    }
    close_sockets();
  }

  static int unsent(asio::ip::tcp::socket& s) {
    int queued = 0;
    if (!s.is_open() || ::ioctl(s.native_handle(), SIOCOUTQ, &queued) != 0) return 0;
    return queued;
  }

  static void reset_and_close(asio::ip::tcp::socket& s) {
    asio::error_code ec;
    s.set_option(asio::socket_base::linger(true, 0), ec);
    s.close(ec);
  }

  void close_sockets() {
    asio::error_code ec;
    if (result_.reset_a) {
      reset_and_close(a_);
    } else {
      a_.close(ec);
    }
    if (result_.reset_b) {
      reset_and_close(b_);
    } else {
      b_.close(ec);
    }
    if (done_) {
      auto done = std::move(done_);
      asio::post(a_.get_executor(), [done = std::move(done), result = result_] { done(result); });
    }
  }

  asio::ip::tcp::socket a_, b_;
  PipePool& pipes_;
  RelayOptions options_;
  std::function<void(const RelayResult&)> done_;
  asio::steady_timer gate_timer_;
  asio::steady_timer flush_timer_;
  Pump up_, down_;  // a -> b, b -> a
  RelayResult result_;
  bool closing_ = false;
};

}  // namespace

void relay(asio::ip::tcp::socket a, asio::ip::tcp::socket b, PipePool& pipes, RelayOptions options,
           std::function<void(const RelayResult&)> done) {
  std::make_shared<Relay>(std::move(a), std::move(b), pipes, std::move(options), std::move(done))
      ->start();
}

}  // namespace cordon::egress
