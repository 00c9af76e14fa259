// `cordon run` puts the command in new user, mount, pid, ipc, uts and network
// namespaces; it keeps the caller's own uid and gid, and its network is a
// loopback of its own, up, with no route anywhere.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

namespace cordon::test {
namespace {

using Namespaces = SandboxTest;

TEST_P(Namespaces, CommandKeepsTheCallersUidAndGid) {
  auto r = sh("id -u; id -g");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(split_lines(r.out),
            (std::vector<std::string>{std::to_string(expected_uid(unprivileged())),
                                      std::to_string(expected_gid(unprivileged()))}))
      << r;
}

TEST_P(Namespaces, EveryNamespaceDiffersFromTheHosts) {
  const std::vector<std::string> kinds = {"user", "mnt", "pid", "ipc", "uts", "net"};
  std::string script;
  for (const auto& k : kinds) script += "echo " + k + "=$(readlink /proc/self/ns/" + k + "); ";
  auto inside = sh(script);
  ASSERT_EQ(inside.exit_code, 0) << inside;
  auto outside = run({"sh", "-c", script}, opts());
  ASSERT_EQ(outside.exit_code, 0) << outside;
  auto in_lines = split_lines(inside.out), out_lines = split_lines(outside.out);
  ASSERT_EQ(in_lines.size(), kinds.size()) << inside;
  ASSERT_EQ(out_lines.size(), kinds.size()) << outside;
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_NE(in_lines[i], out_lines[i])
        << kinds[i] << " namespace is shared with the host" << inside;
    EXPECT_NE(in_lines[i].find("[4026"), std::string::npos)
        << "no namespace id read: " << in_lines[i];
  }
}

TEST_P(Namespaces, NetworkHasOnlyLoopback) {
  auto r = sh("cat /proc/net/dev");
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> ifaces;
  for (const auto& line : split_lines(r.out)) {
    auto colon = line.find(':');
    if (colon == std::string::npos || line.find('|') != std::string::npos) continue;
    ifaces.push_back(split_words(line.substr(0, colon)).at(0));
  }
  EXPECT_EQ(ifaces, std::vector<std::string>{"lo"}) << r;
}

TEST_P(Namespaces, LoopbackIsUp) {
  auto r = sh("ip -o link show");
  ASSERT_EQ(r.exit_code, 0) << r;
  auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 1u) << r;
  EXPECT_EQ(lines.size(), 1u) << "more than one link" << r;
  EXPECT_NE(lines[0].find(": lo: <LOOPBACK,UP,LOWER_UP>"), std::string::npos) << r;
}

TEST_P(Namespaces, LoopbackCarriesTrafficInside) {
  // A listener and a client inside the sandbox's own loopback.
  const std::string script =
      "use IO::Socket::INET;"
      "my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0, Proto "
      "=> 'tcp') or die "
      "\"listen: $!\";"
      "my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $l->sockport, Proto => "
      "'tcp') or die "
      "\"connect: $!\";"
      "my $a = $l->accept; print $c \"ping\\n\"; my $got = <$a>; print \"inside:$got\";";
  auto r = run_in({"perl", "-e", script});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "inside:ping\n") << r;
}

TEST_P(Namespaces, NoRoutes) {
  auto r = sh("cat /proc/net/route; echo --; ip route show; echo --; ip -6 route show");
  ASSERT_EQ(r.exit_code, 0) << r;
  auto parts = split_lines(r.out);
  // /proc/net/route: the header only.
  ASSERT_GE(parts.size(), 1u) << r;
  EXPECT_EQ(split_words(parts[0]).at(0), "Iface") << r;
  EXPECT_EQ(parts.at(1), "--") << "IPv4 routes present" << r;
  EXPECT_EQ(parts.at(2), "--") << "ip route shows routes" << r;
  // IPv6: at most the loopback's own ::1 route.
  for (size_t i = 3; i < parts.size(); ++i)
    EXPECT_EQ(parts[i].rfind("::1 dev lo", 0), 0u) << "IPv6 route other than ::1 on lo" << r;
}

TEST_P(Namespaces, HostLoopbackListenerIsUnreachable) {
  // A listener on the host's 127.0.0.1: the sandbox's 127.0.0.1 is another
  // loopback, so connecting there finds nobody (ECONNREFUSED).
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(l, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 16), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  const std::string script = "exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected";

  // Uncontained, the same connection succeeds (the test can fail).
  auto outside = run({"bash", "-c", script}, opts());
  EXPECT_EQ(outside.out, "connected\n") << outside;

  auto inside = run_in({"bash", "-c", script});
  close(l);
  EXPECT_NE(inside.exit_code, 0) << inside;
  EXPECT_EQ(inside.out, "") << inside;
  EXPECT_NE(inside.err.find("Connection refused"), std::string::npos) << inside;
}

INSTANTIATE_TEST_SUITE_P(Users, Namespaces, testing::Values(As::Caller, As::Unprivileged), as_name);

}  // namespace
}  // namespace cordon::test
