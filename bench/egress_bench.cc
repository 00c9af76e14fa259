// Load for bench/egress.sh: the servers on 127.0.0.1 and the clients that
// measure connections per second, latency per connection and idle
// connections, each directly and through the egress proxy (HTTP CONNECT).
//
//   egress_bench serve
//       an HTTP server answering GET /N with N bytes (keep-alive), and an
//       echo server; prints "http=PORT echo=PORT" and runs until killed.
//   egress_bench rate ECHO_PORT SECONDS THREADS [PROXY_PORT]
//       connect, send one byte, read it back, close; as many times as
//       possible in SECONDS with THREADS clients. Through the proxy, each
//       connection is a CONNECT bench.test:ECHO_PORT first.
//       Prints "connections=N rate=R p50_us=X p99_us=Y".
//   egress_bench idle ECHO_PORT COUNT PROXY_PORT tunnel|client
//       opens COUNT connections to the proxy (tunnel: each a CONNECT to the
//       echo server, answered; client: nothing sent) and holds them until
//       stdin closes. Prints "open N" when they are all open.
//   egress_bench floor
//       the floor any CONNECT proxy pays on this machine, to compare the
//       proxy with: one connection at a time, blocking, no decision and no
//       event loop: accept, read the CONNECT, connect to 127.0.0.1 at its
//       port, answer 200, then splice both ways (1 MiB pipes) until both
//       sides have closed. Prints "http=PORT" and runs until killed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#define ASIO_STANDALONE
#include <asio.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

// --- Servers (Asio, one thread each).

class Bulk : public std::enable_shared_from_this<Bulk> {
 public:
  explicit Bulk(tcp::socket s) : s_(std::move(s)) {}
  void start() { read_head(); }

 private:
  void read_head() {
    asio::async_read_until(s_, asio::dynamic_buffer(in_), "\r\n\r\n",
                           [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                             if (ec) return;
                             const std::string head = self->in_.substr(0, n);
                             self->in_.erase(0, n);
                             const auto slash = head.find('/');
                             self->left_ = std::strtoull(head.c_str() + slash + 1, nullptr, 10);
                             self->out_ =
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
                                 "\r\nContent-Length: " +
                                 std::to_string(self->left_) + "\r\n\r\n";
                             asio::async_write(self->s_, asio::buffer(self->out_),
                                               [self](const asio::error_code& e, std::size_t) {
                                                 if (!e) self->body();
                                               });
                           });
  }
  void body() {
    static const std::string chunk(4 << 20, 'x');
    if (left_ == 0) return read_head();
    const std::size_t n = std::min<std::uint64_t>(left_, chunk.size());
    left_ -= n;
    asio::async_write(s_, asio::buffer(chunk.data(), n),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        if (!ec) self->body();
                      });
  }
  tcp::socket s_;
  std::string in_, out_;
  std::uint64_t left_ = 0;
};

class EchoConn : public std::enable_shared_from_this<EchoConn> {
 public:
  explicit EchoConn(tcp::socket s) : s_(std::move(s)) {}
  void start() {
    s_.async_read_some(asio::buffer(buf_),
                       [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                         if (ec) return;
                         asio::async_write(self->s_, asio::buffer(self->buf_, n),
                                           [self](const asio::error_code& e, std::size_t) {
                                             if (!e) self->start();
                                           });
                       });
  }

 private:
  tcp::socket s_;
  char buf_[512];
};

template <typename Conn>
void accept_loop(tcp::acceptor& a) {
  a.async_accept([&a](const asio::error_code& ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<Conn>(std::move(s))->start();
    }
    accept_loop<Conn>(a);
  });
}

int serve() {
  asio::io_context bulk_io, echo_io;
  const tcp::endpoint any(asio::ip::address_v4::loopback(), 0);
  tcp::acceptor bulk(bulk_io, any), echo(echo_io, any);
  bulk.listen(4096);
  echo.listen(4096);
  accept_loop<Bulk>(bulk);
  accept_loop<EchoConn>(echo);
  std::printf("http=%u echo=%u\n", bulk.local_endpoint().port(), echo.local_endpoint().port());
  std::fflush(stdout);
  std::thread t([&] { echo_io.run(); });
  bulk_io.run();
  t.join();
  return 0;
}

// --- Clients (blocking sockets).

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// CONNECT bench.test:port through the proxy; true once the 200 is read.
bool tunnel(int fd, std::uint16_t port) {
  const std::string req = "CONNECT bench.test:" + std::to_string(port) +
                          " HTTP/1.1\r\nHost: bench.test:" + std::to_string(port) + "\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return false;
  }
  std::string in;
  char buf[256];
  while (in.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
  }
  return in.compare(0, 12, "HTTP/1.1 200") == 0;
}

int rate(std::uint16_t echo_port, double seconds, int threads, std::uint16_t proxy_port) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<bool> failed{false};
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      auto& mine = lat[static_cast<std::size_t>(t)];
      while (Clock::now() < end) {
        const auto t0 = Clock::now();
        const int fd = connect_to(proxy_port != 0 ? proxy_port : echo_port);
        char c = 'x';
        const bool ok = fd >= 0 && (proxy_port == 0 || tunnel(fd, echo_port)) &&
                        ::send(fd, &c, 1, MSG_NOSIGNAL) == 1 && ::recv(fd, &c, 1, 0) == 1;
        if (fd >= 0) ::close(fd);
        if (!ok) {
          failed = true;
          return;
        }
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : ts) t.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  if (failed || all.empty()) {
    std::fprintf(stderr, "egress_bench rate: a connection failed\n");
    return 1;
  }
  std::sort(all.begin(), all.end());
  std::printf("connections=%zu rate=%.0f p50_us=%.1f p99_us=%.1f\n", all.size(),
              static_cast<double>(all.size()) / seconds, all[all.size() / 2],
              all[all.size() * 99 / 100]);
  return 0;
}

// --- The floor relay.

// One direction of a floor relay: moves what `from` has into `to` through a
// pipe. False once `from` has closed (its FIN passed on) or failed.
bool pass_on(int from, int to, const int pipe[2]) {
  const ssize_t in = ::splice(from, nullptr, pipe[1], nullptr, std::size_t{1} << 20, SPLICE_F_MOVE);
  if (in <= 0) {
    ::shutdown(to, SHUT_WR);
    return false;
  }
  for (ssize_t left = in; left > 0;) {
    const ssize_t out =
        ::splice(pipe[0], nullptr, to, nullptr, static_cast<std::size_t>(left), SPLICE_F_MOVE);
    if (out <= 0) return false;
    left -= out;
  }
  return true;
}

int floor_relay() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listener, 4096) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    std::perror("egress_bench floor: listen");
    return 1;
  }
  std::printf("http=%u\n", ntohs(sa.sin_port));
  std::fflush(stdout);
  int up[2] = {-1, -1}, down[2] = {-1, -1};
  for (;;) {
    // Pipes are reused; one left with bytes in it (a side failed) is not.
    int queued = 0;
    if (up[0] < 0 || ::ioctl(up[0], FIONREAD, &queued) != 0 || queued != 0 ||
        ::ioctl(down[0], FIONREAD, &queued) != 0 || queued != 0) {
      for (const int fd : {up[0], up[1], down[0], down[1]}) {
        if (fd >= 0) ::close(fd);
      }
      if (::pipe2(up, O_CLOEXEC) != 0 || ::pipe2(down, O_CLOEXEC) != 0) return 1;
      ::fcntl(up[1], F_SETPIPE_SZ, 1 << 20);
      ::fcntl(down[1], F_SETPIPE_SZ, 1 << 20);
    }
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // The whole request arrives in one segment from egress_bench and curl.
    char req[1024];
    const ssize_t n = ::recv(client, req, sizeof req - 1, 0);
    req[n > 0 ? n : 0] = '\0';
    const char* colon = n > 0 ? std::strchr(req, ':') : nullptr;
    const int server =
        colon != nullptr ? connect_to(static_cast<std::uint16_t>(std::atoi(colon + 1))) : -1;
    static constexpr char kOk[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    if (server < 0 || ::send(client, kOk, sizeof kOk - 1, MSG_NOSIGNAL) < 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      continue;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
      if (::poll(fds, 2, -1) < 0) break;
      if (fds[0].revents != 0 && !pass_on(client, server, up)) fds[0].fd = -1;
      if (fds[1].revents != 0 && !pass_on(server, client, down)) fds[1].fd = -1;
    }
    ::close(client);
    ::close(server);
  }
}

int idle(std::uint16_t echo_port, int count, std::uint16_t proxy_port, bool tunnels) {
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int fd = connect_to(proxy_port);
    if (fd < 0 || (tunnels && !tunnel(fd, echo_port))) {
      std::fprintf(stderr, "egress_bench idle: connection %d failed\n", i);
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("open %d\n", count);
  std::fflush(stdout);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  for (int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);
  const std::string mode = argc > 1 ? argv[1] : "";
  auto arg = [&](int i) { return argc > i ? std::atoi(argv[i]) : 0; };
  if (mode == "serve") return serve();
  if (mode == "floor") return floor_relay();
  if (mode == "rate" && argc >= 5) {
    return rate(static_cast<std::uint16_t>(arg(2)), std::atof(argv[3]), arg(4),
                static_cast<std::uint16_t>(arg(5)));
  }
  if (mode == "idle" && argc >= 6) {
    return idle(static_cast<std::uint16_t>(arg(2)), arg(3), static_cast<std::uint16_t>(arg(4)),
                std::string(argv[5]) == "tunnel");
  }
  std::fprintf(stderr,
               "usage: egress_bench serve | rate ECHO_PORT SECONDS THREADS [PROXY_PORT] |"
               " idle ECHO_PORT COUNT PROXY_PORT tunnel|client | floor\n");
  return 2;
}
