// The egress proxy on its own, for bench/egress.sh: listeners on 127.0.0.1,
// one rule allowing the benchmark's host name (mapped to 127.0.0.1, with
// 127.0.0.0/8 opened), and nothing else.
//
//   egress_proxy_main [HTTP_PORT [SOCKS_PORT]]   (0: any free port)
//
// Prints "http=PORT socks=PORT pid=PID" once listening, runs until SIGINT or
// SIGTERM, then prints what it refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "egress/proxy.h"

using namespace cordon;
using namespace cordon::egress;

namespace {

UniqueFd listen_on(std::uint16_t port, std::uint16_t* bound) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd.get(), 4096) != 0) {
    std::perror("egress_proxy_main: listen");
    std::exit(1);
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  *bound = ntohs(sa.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const auto http_port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  const auto socks_port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 0);

  // Block the signals before any thread starts, so that sigwait gets them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  ProxyConfig config;
  HostRule allow;
  allow.pattern = "bench.test";
  allow.origin = "egress_proxy_main";
  config.rules.allow.push_back(allow);
  config.rules.open_ranges.push_back(Cidr::parse("127.0.0.0/8").value());
  config.resolve.emplace_back("bench.test", *IpAddress::parse("127.0.0.1"));

  Proxy proxy(std::move(config));
  std::uint16_t http = 0, socks = 0;
  proxy.add_http_listener(listen_on(http_port, &http));
  proxy.add_socks_listener(listen_on(socks_port, &socks));
  if (auto status = proxy.start(); !status) {
    std::fprintf(stderr, "egress_proxy_main: %s\n", status.error().what().c_str());
    return 1;
  }
  std::printf("http=%u socks=%u pid=%d\n", http, socks, static_cast<int>(::getpid()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  proxy.stop();
  for (const auto& b : proxy.blocked()) {
    std::fprintf(stderr, "blocked %ux: %s: %s\n", b.count, b.what.c_str(), b.reason.c_str());
  }
  return 0;
}
