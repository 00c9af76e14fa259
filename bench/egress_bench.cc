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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
               " idle ECHO_PORT COUNT PROXY_PORT tunnel|client\n");
  return 2;
}
