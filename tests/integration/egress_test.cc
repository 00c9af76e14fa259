// Egress end to end: the real binary, the real proxy in its supervisor, and
// origin servers this test starts on the host's 127.0.0.1. Nothing here is
// ever sent to a non-loopback address: test names resolve through the
// policy's own overrides, and the address-range rows for private and
// metadata addresses are unit tests of the address policy
// (tests/unit/egress_address_test.cc, egress_proxy_test.cc).
//
// Each refusal is shown to be the proxy's doing: the same request succeeds
// uncontained, or under a rule that allows it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"

namespace cordon::test {
namespace {

// An origin server (tests/integration/egress_servers.py) on the host's
// loopback, with a log of every request it received.
class Origin {
 public:
  explicit Origin(const std::string& mode, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"/usr/bin/python3", CORDON_EGRESS_SERVERS, mode,
                                     dir_.file("requests.log")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    RunOptions o;
    o.timeout_seconds = 600;
    proc_ = std::make_unique<Process>(argv, o);
    if (!proc_->wait_for_output("PORT ")) {
      throw std::runtime_error("origin server did not start: " + proc_->out() + proc_->err());
    }
    eventually([&] { return proc_->out().find('\n') != std::string::npos; },
               std::chrono::seconds(10));
    port_ = std::stoi(proc_->out().substr(proc_->out().find("PORT ") + 5));
  }
  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  [[nodiscard]] std::string log() const { return dir_.read("requests.log"); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  int port_ = 0;
};

// A CA and a certificate for allowed.test and evil.test, made with the
// openssl command line into `dir` (EC keys: fast).
void make_pki(const TempDir& dir) {
  const std::string d = dir.path();
  const std::string script =
      "set -e; cd '" + d +
      "'; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=cordon-test-ca -keyout ca.key -out ca.pem 2>/dev/null; "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-subj /CN=allowed.test -keyout server.key -out server.csr 2>/dev/null; "
      "printf 'subjectAltName=DNS:allowed.test,DNS:evil.test\\n' > san.cnf; "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile san.cnf -out server.pem 2>/dev/null; chmod 644 *";
  auto r = run({"sh", "-c", script});
  if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
}

class Egress : public SandboxTest {
 protected:
  // Names for the tests, all resolved by the proxy to the host's loopback.
  static std::vector<std::string> names() {
    return {"--resolve", "allowed.test=127.0.0.1", "--resolve", "denied.test=127.0.0.1",
            "--resolve", "evil.test=127.0.0.1"};
  }
  // allowed.test allowed, and loopback opened so that it can be reached.
  static std::vector<std::string> allowing() {
    auto f = names();
    for (const char* a : {"--allow-domain", "allowed.test", "--open-range", "127.0.0.1"})
      f.emplace_back(a);
    return f;
  }
  RunResult bash(const std::string& script, const std::vector<std::string>& flags) {
    return run_in({"bash", "-c", script}, flags);
  }
  // A program that ignores the proxy: `python3 connect.py PORT HOST...`
  // connects straight to each HOST and prints "OK" or "errno N" for each.
  // Returns its name in the workspace.
  std::string write_connect_script() {
    ws.write("connect.py",
             "import socket,sys\n"
             "for host in sys.argv[2:]:\n"
             "    try:\n"
             "        socket.create_connection((host, int(sys.argv[1])), timeout=10); print('OK')\n"
             "    except OSError as e:\n"
             "        print('errno', e.errno)\n");
    return "connect.py";
  }
};

TEST_P(Egress, WithoutNetworkRulesThereIsNoProxyAndNoWayOut) {
  Origin origin("http");
  const std::string url = "http://127.0.0.1:" + origin.port() + "/direct";
  // Uncontained, the origin answers (the test can fail).
  auto outside = run({"curl", "-sS", "-m", "10", url}, opts());
  EXPECT_NE(outside.out.find("GET /direct"), std::string::npos) << outside;

  auto r = bash("env | grep -ci _proxy; curl -sS -m 10 " + url + "; echo \"curl=$?\"", {});
  // No proxy variable (grep counts 0), and curl cannot connect (exit 7).
  EXPECT_EQ(r.out, "0\ncurl=7\n") << r;
  EXPECT_EQ(origin.log(), "GET /direct auth=-\n");
}

TEST_P(Egress, ProxyVariablesPointAtTheSandboxListeners) {
  auto r = bash("echo $http_proxy $HTTPS_PROXY $ALL_PROXY $NO_PROXY", allowing());
  EXPECT_EQ(r.out,
            "http://127.0.0.1:3128 http://127.0.0.1:3128 socks5h://127.0.0.1:1080 "
            "localhost,127.0.0.1,::1\n")
      << r;
}

TEST_P(Egress, CurlReachesAnAllowedHost) {
  Origin origin("http");
  auto r = bash("curl -sS -m 20 http://allowed.test:" + origin.port() + "/hello", allowing());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "GET /hello auth=-\n") << r;
  // The same through SOCKS5, by name.
  auto s = bash("curl -sS -m 20 -x \"$ALL_PROXY\" http://allowed.test:" + origin.port() + "/socks",
                allowing());
  EXPECT_EQ(s.out, "GET /socks auth=-\n") << s;
  // And a POST with a body, through CONNECT (-p: tunnel even for http://).
  auto c = bash("curl -sS -m 20 -p -d payload http://allowed.test:" + origin.port() + "/tunnel",
                allowing());
  EXPECT_EQ(c.out, "POST /tunnel auth=-\npayload") << c;
}

TEST_P(Egress, DeniedHostIsRefusedAtEveryEntryPoint) {
  Origin origin("http");
  const std::string url = "http://denied.test:" + origin.port();
  const std::string script =
      // plain HTTP forwarding: 403 with the header naming the rule
      "curl -sS -m 20 -D - -o /dev/null " + url +
      "/forward | tr -d '\\r' | grep -E '^(HTTP|X-Cordon)'; "
      // CONNECT
      "curl -sS -m 20 -p " +
      url +
      "/connect; echo \"connect=$?\"; "
      // SOCKS5 by name
      "curl -sS -m 20 -x socks5h://127.0.0.1:1080 " +
      url +
      "/socks-name; echo \"socks-name=$?\"; "
      // SOCKS5 by address (an IP literal no rule allows)
      // (--noproxy '': NO_PROXY names 127.0.0.1, which curl would then dial
      // directly, and find no one in the sandbox's own loopback)
      "curl -sS -m 20 --noproxy '' -x socks5://127.0.0.1:1080 http://127.0.0.1:" +
      origin.port() + "/socks-addr; echo \"socks-addr=$?\"";
  auto r = bash(script, allowing());
  EXPECT_NE(r.out.find("HTTP/1.1 403"), std::string::npos) << r;
  EXPECT_NE(r.out.find("X-Cordon-Denied:"), std::string::npos) << r;
  EXPECT_NE(r.out.find("connect=56"), std::string::npos) << r;     // CONNECT tunnel failed
  EXPECT_NE(r.out.find("socks-name=97"), std::string::npos) << r;  // SOCKS5 refused
  EXPECT_NE(r.out.find("socks-addr=97"), std::string::npos) << r;
  EXPECT_NE(r.err.find("CONNECT tunnel failed, response 403"), std::string::npos) << r;
  // Nothing reached the origin, and the summary names what was refused.
  EXPECT_EQ(origin.log(), "");
  EXPECT_NE(r.err.find("cordon: network: refused"), std::string::npos) << r;
  EXPECT_NE(r.err.find("denied.test:" + origin.port()), std::string::npos) << r;

  // The same requests with denied.test allowed all pass (the test can fail).
  auto flags = allowing();
  flags.insert(flags.end(), {"--allow-domain", "denied.test", "--allow-domain", "127.0.0.1"});
  auto ok = bash(script, flags);
  EXPECT_NE(ok.out.find("HTTP/1.1 200"), std::string::npos) << ok;
  EXPECT_NE(ok.out.find("connect=0"), std::string::npos) << ok;
  EXPECT_NE(ok.out.find("socks-name=0"), std::string::npos) << ok;
  EXPECT_NE(ok.out.find("socks-addr=0"), std::string::npos) << ok;
}

TEST_P(Egress, EmptyAllowListAllowsNothing) {
  Origin origin("http");
  // The proxy runs (an ask rule for another host) but nothing is allowed.
  auto flags = names();
  flags.insert(flags.end(), {"--ask-domain", "other.test", "--open-range", "127.0.0.1"});
  auto r = bash(
      "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://allowed.test:" + origin.port() + "/",
      flags);
  EXPECT_EQ(r.out, "403") << r;
  EXPECT_EQ(origin.log(), "");
}

// A repository's own policy file is written by whoever wrote the
// repository (Gemini GHSA-wpqr-6v78-jr5g, Codex CVE-2025-61260): one that
// allows a host changes nothing until the user trusts the project. With
// --trust-project the same file opens the host, so the test can fail.
TEST_P(Egress, ProjectFileThatAllowsAHostHasNoEffectUntrusted) {
  Origin origin("http");
  ws.write(".cordon/policy.toml", "[network]\nallow = [\"allowed.test\"]\n");
  auto flags = names();
  flags.insert(flags.end(), {"--ask-domain", "other.test", "--open-range", "127.0.0.1"});
  const std::string curl =
      "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://allowed.test:" + origin.port() + "/";
  auto untrusted = bash(curl, flags);
  EXPECT_EQ(untrusted.out, "403") << untrusted;
  EXPECT_EQ(origin.log(), "");
  flags.emplace_back("--trust-project");
  auto trusted = bash(curl, flags);
  EXPECT_EQ(trusted.out, "200") << trusted;
  EXPECT_EQ(origin.log(), "GET / auth=-\n");
}

// A program that ignores the proxy variables connects straight to the
// address. With the proxy running and the destination allowed, it still
// finds no one: the sandbox's loopback is its own, and there is no other
// interface or route (namespaces_test.cc). Uncontained, the same connect
// reaches the origin.
TEST_P(Egress, RawConnectAroundTheProxyFindsNoOne) {
  Origin origin("http");
  const std::vector<std::string> connect = {"/usr/bin/python3", write_connect_script(),
                                            origin.port(), "127.0.0.1", "::ffff:127.0.0.1"};
  auto outside = run(connect, opts());
  EXPECT_EQ(outside.out, "OK\nOK\n") << outside;
  auto flags = allowing();
  flags.insert(flags.end(), {"--allow-domain", "127.0.0.1", "--open-range", "127.0.0.0/8"});
  auto r = run_in(connect, flags);
  EXPECT_EQ(r.out, "errno 111\nerrno 111\n") << r;  // ECONNREFUSED: nobody listens there
  EXPECT_EQ(origin.log(), "");
}

TEST_P(Egress, HttpsThroughConnectWithTheTestCa) {
  make_pki(ws);
  Origin origin("tls", {ws.file("server.pem"), ws.file("server.key")});
  auto r = bash("curl -sS -m 20 --cacert ca.pem https://allowed.test:" + origin.port() + "/tls",
                allowing());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "GET /tls auth=-\n") << r;
}

// Domain fronting: CONNECT to an allowed host, then a TLS ClientHello whose
// SNI names another host. Uncontained, the origin accepts either name (its
// certificate carries both); through the proxy, only the CONNECT host.
TEST_P(Egress, SniThatDiffersFromTheConnectHostIsRefused) {
  make_pki(ws);
  Origin origin("tls", {ws.file("server.pem"), ws.file("server.key")});
  const std::string py = R"(
import os, socket, ssl, sys
port = int(sys.argv[1]); via_proxy = sys.argv[2] == "proxy"
ctx = ssl.create_default_context(cafile="ca.pem")
for sni in ("allowed.test", "evil.test"):
    try:
        if via_proxy:
            s = socket.create_connection(("127.0.0.1", 3128), timeout=20)
            s.sendall(b"CONNECT allowed.test:%d HTTP/1.1\r\nHost: allowed.test:%d\r\n\r\n" % (port, port))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(1)
                if not chunk: raise ConnectionError("proxy closed")
                head += chunk
            if not head.startswith(b"HTTP/1.1 200"): raise ConnectionError(head.decode())
        else:
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
        t = ctx.wrap_socket(s, server_hostname=sni)
        t.sendall(b"GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (sni.encode(), sni.encode()))
        print(sni, "OK" if b"200 OK" in t.recv(4096) else "BAD")
    except (OSError, ssl.SSLError) as e:
        print(sni, "REFUSED")
)";
  ws.write("sni.py", py);
  auto outside = run({"/usr/bin/python3", "sni.py", origin.port(), "direct"}, opts());
  EXPECT_EQ(outside.out, "allowed.test OK\nevil.test OK\n") << outside;
  auto r = run_in({"/usr/bin/python3", "sni.py", origin.port(), "proxy"}, allowing());
  EXPECT_EQ(r.out, "allowed.test OK\nevil.test REFUSED\n") << r;
  EXPECT_NE(r.err.find("evil.test"), std::string::npos) << r;
}

TEST_P(Egress, NulAndControlBytesInTheHostAreRefused) {
  Origin origin("http");
  const std::string py = R"(
import socket, sys
port = int(sys.argv[1])
def connect(host):
    s = socket.create_connection(("127.0.0.1", 3128), timeout=20)
    s.sendall(b"CONNECT " + host + b":%d HTTP/1.1\r\nHost: " % port + host + b":%d\r\n\r\n" % port)
    return s.recv(64).split(b"\r\n")[0].decode()
def socks(host):
    s = socket.create_connection(("127.0.0.1", 1080), timeout=20)
    s.sendall(b"\x05\x01\x00"); s.recv(2)
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + port.to_bytes(2, "big"))
    r = s.recv(10)
    return "socks=%d" % (r[1] if len(r) > 1 else -1)
print(connect(b"allowed.test"))
print(connect(b"allowed.test\x00.evil.test"))
print(connect(b"allowed.test\x01"))
print(socks(b"allowed.test"))
print(socks(b"allowed.test\x00.evil.test"))
)";
  ws.write("nul.py", py);
  auto r = run_in({"/usr/bin/python3", "nul.py", origin.port()}, allowing());
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r;
  EXPECT_EQ(lines[0], "HTTP/1.1 200 Connection established") << r;
  EXPECT_TRUE(lines[1].starts_with("HTTP/1.1 400") || lines[1].starts_with("HTTP/1.1 403")) << r;
  EXPECT_TRUE(lines[2].starts_with("HTTP/1.1 400") || lines[2].starts_with("HTTP/1.1 403")) << r;
  EXPECT_EQ(lines[3], "socks=0") << r;
  EXPECT_NE(lines[4], "socks=0") << r;
}

// DNS rebinding: an allowed name whose address is loopback (in every
// spelling) is refused unless a rule opens that range. The other ranges
// (private, link-local/metadata, CGNAT) are unit tests: this test sends
// only to loopback.
TEST_P(Egress, AllowedNameResolvingToLoopbackIsRefused) {
  Origin origin("http");
  const std::string script =
      "for h in v4 v6 mapped; do curl -sS -m 20 -o /dev/null -w "
      "\"$h=%{http_code} \" http://$h.test:" +
      origin.port() + "/; done";
  std::vector<std::string> flags = {
      "--resolve",      "v4.test=127.0.0.1", "--resolve",
      "v6.test=::1",    "--resolve",         "mapped.test=::ffff:127.0.0.1",
      "--allow-domain", "v4.test",           "--allow-domain",
      "v6.test",        "--allow-domain",    "mapped.test"};
  auto r = bash(script, flags);
  EXPECT_EQ(r.out, "v4=403 v6=403 mapped=403 ") << r;
  EXPECT_NE(r.err.find("loopback"), std::string::npos) << r;
  EXPECT_EQ(origin.log(), "");
  // Opened, the IPv4 names reach the origin (it listens on 127.0.0.1 only,
  // so ::1 finds nobody: 502).
  flags.insert(flags.end(), {"--open-range", "127.0.0.0/8", "--open-range", "::1"});
  auto ok = bash(script, flags);
  EXPECT_EQ(ok.out, "v4=200 v6=502 mapped=200 ") << ok;
}

TEST_P(Egress, CredentialIsInjectedOnlyForItsHostAndAForeignOneIsRefused) {
  Origin origin("http");
  home.write("cordon-net.toml",
             "[network.credentials.API_TOKEN]\n"
             "env = \"CORDON_TEST_SECRET\"\n"
             "hosts = [\"allowed.test\"]\n"
             "header = \"Authorization\"\n");
  auto flags = allowing();
  flags.insert(flags.end(), {"--policy", home.file("cordon-net.toml")});
  RunOptions o = opts();
  o.extra_env.push_back("CORDON_TEST_SECRET=s3cret-value");
  const std::string url = "http://allowed.test:" + origin.port();
  const std::string script =
      "case \"$API_TOKEN\" in cordon-placeholder-*) echo placeholder;; *) echo "
      "\"leak:$API_TOKEN\";; "
      "esac; echo \"source=${CORDON_TEST_SECRET:-unset}\"; "
      "curl -sS -m 20 -H \"Authorization: Bearer $API_TOKEN\" " +
      url +
      "/mine; "
      "curl -sS -m 20 -o /dev/null -w '%{http_code}\\n' -H 'Authorization: Bearer attacker' " +
      url + "/foreign";
  auto r = run_in({"bash", "-c", script}, flags, o);
  EXPECT_EQ(r.out, "placeholder\nsource=unset\nGET /mine auth=Bearer s3cret-value\n403\n") << r;
  // The origin saw the injected secret once, and never the foreign key.
  EXPECT_EQ(origin.log(), "GET /mine auth=Bearer s3cret-value\n");
  // Without the binding, the foreign key passes (the refusal is the binding's).
  auto unbound =
      run_in({"bash", "-c", "curl -sS -m 20 -H 'Authorization: Bearer attacker' " + url + "/free"},
             allowing(), o);
  EXPECT_EQ(unbound.out, "GET /free auth=Bearer attacker\n") << unbound;
}

TEST_P(Egress, GitClonesOverSmartHttp) {
  TempDir repos;
  auto setup = run({"sh", "-c",
                    "set -e; cd '" + repos.path() +
                        "'; git init -q --bare repo.git; git init -q src; cd src; "
                        "echo 'through the proxy' > README; git add README; "
                        "git -c user.name=t -c user.email=t@t commit -qm init; "
                        "git push -q ../repo.git HEAD:refs/heads/main; "
                        "git -C ../repo.git symbolic-ref HEAD refs/heads/main"});
  ASSERT_EQ(setup.exit_code, 0) << setup;
  Origin origin("git", {repos.path()});
  auto r = bash(
      "git clone -q http://allowed.test:" + origin.port() + "/repo.git clone && cat clone/README",
      allowing());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "through the proxy\n") << r;
}

TEST_P(Egress, PythonClientUsesTheProxy) {
  Origin origin("http");
  auto r =
      run_in({"/usr/bin/python3", "-c",
              "import urllib.request as u; print(u.urlopen('http://allowed.test:" + origin.port() +
                  "/py', timeout=20).read().decode(), end='')"},
             allowing());
  EXPECT_EQ(r.out, "GET /py auth=-\n") << r;
}

TEST_P(Egress, AskWithoutTerminalDenies) {
  Origin origin("http");
  auto flags = names();
  flags.insert(flags.end(), {"--ask-domain", "allowed.test", "--open-range", "127.0.0.1"});
  auto r = bash(
      "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://allowed.test:" + origin.port() + "/",
      flags);
  EXPECT_EQ(r.out, "403") << r;
  EXPECT_NE(r.err.find("no terminal to ask on"), std::string::npos) << r;
  EXPECT_EQ(origin.log(), "");
}

// A key typed sooner than this after a question appears is not taken as its
// answer (cli/answer.h): the tests wait as a person would.
constexpr auto kReadTheQuestion = std::chrono::milliseconds(400);

// The question goes to cordon's own terminal (outside the sandbox); the
// answer is a key press there.
TEST_P(Egress, AskOnTheTerminal) {
  Origin origin("http");
  auto flags = names();
  flags.insert(flags.end(), {"--ask-domain", "allowed.test", "--open-range", "127.0.0.1"});
  const std::string get =
      "curl -sS -m 60 -o /dev/null -w '%{http_code}\\n' http://allowed.test:" + origin.port() + "/";
  RunOptions o = opts();
  o.stdin_tty = true;
  for (auto [key, code] : {std::pair{"o", "200"}, std::pair{"d", "403"}}) {
    Process p({cordon_bin(), "run", flags[0], flags[1], flags[2], flags[3], flags[4], flags[5],
               flags[6], flags[7], flags[8], flags[9], "--", "bash", "-c", get},
              o);
    ASSERT_TRUE(p.wait_for_output("or [d]eny?")) << p.out();
    std::this_thread::sleep_for(kReadTheQuestion);
    p.write_input(key);
    auto r = p.wait();
    EXPECT_NE(r.out.find(std::string(code) + "\r\n"), std::string::npos) << key << ": " << r;
  }
  // "always": written to the user's policy file, so the next run, with no
  // rule on the command line, is allowed without a question.
  {
    Process p({cordon_bin(), "run", flags[0], flags[1], flags[2], flags[3], flags[4], flags[5],
               flags[6], flags[7], flags[8], flags[9], "--", "bash", "-c", get},
              o);
    ASSERT_TRUE(p.wait_for_output("or [d]eny?")) << p.out();
    std::this_thread::sleep_for(kReadTheQuestion);
    p.write_input("a");
    auto r = p.wait();
    EXPECT_NE(r.out.find("200\r\n"), std::string::npos) << r;
  }
  const std::string saved = home.read(".config/cordon/policy.toml");
  EXPECT_NE(saved.find("allow = [\"allowed.test\"]"), std::string::npos) << saved;
  auto again = bash(get, {flags[0], flags[1], flags[8], flags[9]});
  EXPECT_EQ(again.out, "200\n") << again;
}

// What reaches cordon's terminal just as a question appears is not its
// answer: keys the user was typing for the command ("run the tests..."),
// and the terminal's own replies to queries the command sent, ESC P 1 + r ...
// ESC \ (XTGETTCAP) and ESC [ 24 ; 1 R (the cursor position), whose 'r' and
// 'R' would mean "allow for this run" and whose hex 'a' "allow always". Only
// a key typed once the question has been on the screen a moment counts;
// here that key is 'd' every time, so every request is refused.
TEST_P(Egress, TypeaheadAndTerminalRepliesDoNotAnswerTheQuestion) {
  Origin origin("http");
  auto flags = names();
  flags.insert(flags.end(), {"--ask-domain", "allowed.test", "--open-range", "127.0.0.1"});
  constexpr int kRequests = 3;
  const std::string script =
      "printf '\\033P+q5463\\033\\\\\\033[6n'; for i in $(seq " + std::to_string(kRequests) +
      "); do curl -sS -m 60 -o /dev/null -w '%{http_code}\\n' http://allowed.test:" +
      origin.port() + "/; done";
  std::vector<std::string> argv{cordon_bin(), "run"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--", "bash", "-c", script});
  RunOptions o = opts();
  o.stdin_tty = true;
  Process p(argv, o);
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  };
  for (std::size_t i = 1; i <= kRequests; ++i) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count(p.out(), "or [d]eny?") < i && p.running() &&
           std::chrono::steady_clock::now() < deadline)
      p.wait_for_output("\x01never\x01", std::chrono::milliseconds(20));
    ASSERT_EQ(count(p.out(), "or [d]eny?"), i) << "question " << i << ":\n" << p.out();
    p.write_input("run the tests\x1bP1+r5463=616c6c6f77\x1b\\\x1b[24;1R");
    std::this_thread::sleep_for(kReadTheQuestion);
    p.write_input("d");
  }
  auto r = p.wait();
  EXPECT_EQ(r.out.find("200"), std::string::npos) << r;
  EXPECT_EQ(count(r.out, "403\r\n"), static_cast<std::size_t>(kRequests)) << r;
  EXPECT_EQ(origin.log(), "");
}

INSTANTIATE_TEST_SUITE_P(Users, Egress, testing::Values(As::Caller, As::Unprivileged), as_name);

// Landlock mode: the proxy listens on the host's loopback, and Landlock lets
// the sandbox connect to its ports only.
class EgressLandlock : public Egress {};

TEST_P(EgressLandlock, OnlyTheProxyPortsAreReachable) {
  Origin origin("http");
  auto flags = allowing();
  flags.insert(flags.end(), {"--mode", "landlock"});
  auto through = bash("curl -sS -m 20 http://allowed.test:" + origin.port() + "/ll", flags);
  EXPECT_EQ(through.out, "GET /ll auth=-\n") << through;
  const std::vector<std::string> connect = {"/usr/bin/python3", write_connect_script(),
                                            origin.port(), "127.0.0.1"};
  auto outside = run(connect, opts());
  EXPECT_EQ(outside.out, "OK\n") << outside;
  auto r = run_in(connect, flags);
  EXPECT_EQ(r.out, "errno 13\n") << r;  // EACCES from Landlock
}

INSTANTIATE_TEST_SUITE_P(Users, EgressLandlock, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test
