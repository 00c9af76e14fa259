// Blocking loopback sockets for the egress relay and proxy tests: listeners
// on 127.0.0.1 (never any other address), clients, and reads and writes with
// a timeout so that a broken proxy fails a test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace cordon::egress::testing {

inline void set_timeouts(int fd, int seconds = 20) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A listening socket on 127.0.0.1 with a kernel-chosen port.
inline UniqueFd listen_loopback(std::uint16_t* port, int backlog = 4096) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd.get(), backlog) != 0) {
    return {};
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

inline UniqueFd connect_loopback(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return {};
  set_timeouts(fd.get());
  return fd;
}

inline UniqueFd accept_one(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, 20000) != 1) return {};
  UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (fd) set_timeouts(fd.get());
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until EOF, an error or the timeout; *err gets the errno of a failed
// read (0 at a clean EOF).
inline std::string recv_until_eof(int fd, int* err = nullptr) {
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (err) *err = n == 0 ? 0 : errno;
    return out;
  }
}

// Reads exactly n bytes (fewer on EOF, error or timeout).
inline std::string recv_exact(int fd, std::size_t n) {
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    const ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

// Reads until `marker` has been seen (inclusive) or EOF.
inline std::string recv_until(int fd, std::string_view marker) {
  std::string out;
  char c;
  while (out.size() < marker.size() ||
         out.compare(out.size() - marker.size(), marker.size(), marker) != 0) {
    if (::recv(fd, &c, 1, 0) != 1) break;
    out.push_back(c);
  }
  return out;
}

// Whether the peer has closed (EOF or reset) within the timeout.
inline bool closed_within(int fd, int millis) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, millis) != 1) return false;
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN);
}

// Bytes the kernel still holds for a socket (sent, not acknowledged).
inline int unacked(int fd) {
  int queued = 0;
  ::ioctl(fd, TIOCOUTQ, &queued);
  return queued;
}

// Resets the connection (RST instead of FIN) once everything sent has been
// acknowledged, so that the reset does not overtake the data.
inline void reset_after_flush(UniqueFd& fd) {
  for (int i = 0; i < 2000 && unacked(fd.get()) > 0; ++i) ::usleep(1000);
  linger l{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  fd.reset();
}

// Deterministic bytes for integrity checks.
inline std::string pattern_bytes(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

}  // namespace cordon::egress::testing
