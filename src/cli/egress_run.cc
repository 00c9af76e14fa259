#include "cli/egress_run.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>

#include "cli/answer.h"
#include "egress/proxy.h"
#include "policy/edit.h"
#include "policy/network.h"
#include "sandbox/contain.h"
#include "sandbox/fds.h"

namespace cordon::cli {

struct EgressRun::State {
  EgressOptions options;
  std::unique_ptr<egress::Proxy> proxy;
  uint16_t http_port = sandbox::kHttpProxyPort;
  uint16_t socks_port = sandbox::kSocksProxyPort;
  int listeners = 0;
  struct Bound {
    std::string name, placeholder;
    std::string source_variable;  // where cordon read the secret; removed inside
  };
  std::vector<Bound> bound;
  // Answers that hold for the rest of the run, and hosts already refused
  // for want of a terminal (said once each).
  std::mutex ask_mutex;
  std::set<std::string> allowed_for_run;
  std::set<std::string> said_no_terminal;
};

namespace {

constexpr int kAnswerTimeoutSeconds = 120;

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string out;
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

Result<std::string> read_secret(const policy::Credential& c, const std::string& home) {
  if (!c.env.empty()) {
    const char* value = std::getenv(c.env.c_str());
    if (value == nullptr || *value == '\0') {
      return plain_error(fmt::format("credential {} ({}): ${} is not set", c.name,
                                     policy::origin_text(c.origin), c.env));
    }
    return std::string(value);
  }
  std::string path = c.file.starts_with("~/") ? home + c.file.substr(1) : c.file;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return plain_error(fmt::format("credential {} ({}): cannot read {}", c.name,
                                   policy::origin_text(c.origin), path));
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) {
    return plain_error(fmt::format("credential {} ({}): the first line of {} is empty", c.name,
                                   policy::origin_text(c.origin), path));
  }
  return line;
}

const char* entry_text(egress::Entry e) {
  switch (e) {
    case egress::Entry::HttpConnect: return "HTTPS (CONNECT)";
    case egress::Entry::HttpForward: return "HTTP";
    case egress::Entry::Socks5: return "SOCKS5";
  }
  return "?";
}

// How long the question is on the screen before a key counts as its answer
// (see cli/answer.h): no one reads it faster, and a terminal's reply to a
// query the command sent just before the question arrives within it.
constexpr auto kSettle = std::chrono::milliseconds(250);
// A lone ESC followed by nothing for this long was the Escape key: deny.
constexpr int kEscapeAloneMs = 50;

// One key press from the terminal, without echo, or 0 after the timeout:
// what was typed before the question is dropped, and so are the terminal's
// own replies (AnswerReader).
char read_key(int tty) {
  struct termios saved {};
  bool restore = tcgetattr(tty, &saved) == 0;
  if (restore) {
    struct termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(tty, TCSANOW, &raw);
  }
  tcflush(tty, TCIFLUSH);
  const auto shown = std::chrono::steady_clock::now();
  const auto deadline = shown + std::chrono::seconds(kAnswerTimeoutSeconds);
  AnswerReader reader;
  char key = 0;
  while (key == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    if (reader.after_escape()) wait_ms = std::min(wait_ms, kEscapeAloneMs);
    struct pollfd p {
      tty, POLLIN, 0
    };
    const int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0 && reader.after_escape()) {
      key = 0x1b;  // the Escape key: not one of the answers, so a denial
      break;
    }
    if (ready <= 0) break;
    unsigned char buf[64];
    const ssize_t n = read(tty, buf, sizeof buf);
    if (n <= 0) break;
    const bool settled = std::chrono::steady_clock::now() - shown >= kSettle;
    for (ssize_t i = 0; i < n && key == 0; ++i) {
      if (auto k = reader.feed(buf[i], settled)) key = *k;
    }
  }
  if (restore) tcsetattr(tty, TCSANOW, &saved);
  return key;
}

void write_tty(int tty, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(tty, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

egress::Verdict ask(EgressRun::State& st, const egress::Request& r, const std::string& reason) {
  const std::string target = fmt::format("{}:{}", r.host, r.port);
  std::lock_guard<std::mutex> one_question_at_a_time(st.ask_mutex);
  if (st.allowed_for_run.count(target) != 0) return egress::Verdict::Allow;
  UniqueFd tty(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!tty) {
    if (st.said_no_terminal.insert(target).second) {
      std::fprintf(stderr,
                   "cordon: network: %s to %s needs a question (%s), but cordon has no terminal "
                   "to ask on: denied\n",
                   entry_text(r.entry), target.c_str(), reason.c_str());
    }
    return egress::Verdict::Deny;
  }
  if (st.options.gate != nullptr) st.options.gate->acquire();
  const bool can_always = !st.options.user_policy_path.empty();
  std::string what = r.method.empty() ? target : fmt::format("{} {}{}", r.method, target, r.path);
  // CAN, ST and SGR 0 first: whatever sequence the command left open (a
  // title being set, invisible text) ends before the question is written.
  write_tty(tty.get(),
            fmt::format("\x18\x1b\\\x1b[0m\r\n[cordon] The command wants to reach {} ({}).\r\n"
                        "[cordon] {}\r\n"
                        "[cordon] Allow [o]nce, for this [r]un{}, or [d]eny? ",
                        what, entry_text(r.entry), reason, can_always ? ", [a]lways" : ""));
  char key = read_key(tty.get());
  egress::Verdict verdict = egress::Verdict::Deny;
  std::string said = "denied";
  switch (key) {
    case 'o':
    case 'O':
      verdict = egress::Verdict::Allow;
      said = "allowed once";
      break;
    case 'r':
    case 'R':
      verdict = egress::Verdict::Allow;
      st.allowed_for_run.insert(target);
      said = "allowed for this run";
      break;
    case 'a':
    case 'A':
      if (!can_always) break;
      verdict = egress::Verdict::Allow;
      st.allowed_for_run.insert(target);
      if (auto s = policy::add_allowed_host(st.options.user_policy_path, r.host,
                                            "allowed always at a cordon prompt");
          s.ok()) {
        said = "allowed always (added to " + st.options.user_policy_path + ")";
      } else {
        said = "allowed for this run; could not save it: " + s.error().what();
      }
      break;
    default: break;
  }
  if (key == 0) said = "no answer: denied";
  write_tty(tty.get(), said + "\r\n");
  if (st.options.gate != nullptr) st.options.gate->release();
  return verdict;
}

}  // namespace

EgressRun::EgressRun(std::unique_ptr<State> state) : state_(std::move(state)) {}

EgressRun::~EgressRun() {
  if (state_ && state_->proxy) state_->proxy->stop();
}

Result<std::unique_ptr<EgressRun>> EgressRun::create(const policy::Policy& policy,
                                                     const EgressOptions& options) {
  if (!policy.network.any_egress()) return std::unique_ptr<EgressRun>();
  auto state = std::make_unique<State>();
  state->options = options;
  State* st = state.get();

  egress::ProxyConfig config;
  config.rules = policy::egress_rules(policy.network);
  config.resolve = policy::egress_overrides(policy.network);
  for (const policy::Credential& c : policy.network.credentials) {
    auto secret = read_secret(c, options.home);
    if (!secret.ok()) return secret.error();
    egress::Credential bound;
    bound.placeholder = fmt::format("cordon-placeholder-{}-{}", c.name, random_hex(12));
    bound.secret = std::move(*secret);
    for (const auto& h : c.hosts) {
      if (auto p = policy::parse_host_pattern(h)) bound.hosts.push_back(p->host);
    }
    bound.header = c.header;
    st->bound.push_back({c.name, bound.placeholder, c.env});
    config.credentials.push_back(std::move(bound));
  }
  config.ask = [st](const egress::Request& r, const std::string& reason) {
    return ask(*st, r, reason);
  };
  state->proxy = std::make_unique<egress::Proxy>(std::move(config));

  if (options.landlock_mode) {
    // No network namespace of our own: the listeners are on the host's
    // loopback, on ports the kernel picks, and Landlock lets the sandbox
    // connect to those ports only.
    auto http = sandbox::loopback_listener(0, &st->http_port);
    if (!http.ok()) return http.error();
    auto socks = sandbox::loopback_listener(0, &st->socks_port);
    if (!socks.ok()) return socks.error();
    st->proxy->add_http_listener(std::move(*http));
    st->proxy->add_socks_listener(std::move(*socks));
    st->listeners = 2;
  }
  return std::unique_ptr<EgressRun>(new EgressRun(std::move(state)));
}

void EgressRun::apply_environment(std::vector<std::string>& envp) const {
  const State& st = *state_;
  const std::string http = fmt::format("http://127.0.0.1:{}", st.http_port);
  const std::string socks = fmt::format("socks5h://127.0.0.1:{}", st.socks_port);
  // Lower case first: curl reads only http_proxy in lower case, most other
  // tools either form.
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"http_proxy", http},
      {"HTTP_PROXY", http},
      {"https_proxy", http},
      {"HTTPS_PROXY", http},
      {"all_proxy", socks},
      {"ALL_PROXY", socks},
      {"no_proxy", "localhost,127.0.0.1,::1"},
      {"NO_PROXY", "localhost,127.0.0.1,::1"},
      // Node.js >= 24 honours the variables above only when told to.
      {"NODE_USE_ENV_PROXY", "1"},
  };
  auto set = [&](const std::string& name, const std::string& value) {
    const std::string prefix = name + "=";
    std::erase_if(envp, [&](const std::string& e) { return e.starts_with(prefix); });
    envp.push_back(prefix + value);
  };
  for (const auto& [name, value] : vars) set(name, value);
  // The real secret never enters the sandbox: its variable holds the
  // placeholder that the proxy swaps for the secret on the way out.
  for (const auto& b : st.bound) {
    if (!b.source_variable.empty()) {
      const std::string prefix = b.source_variable + "=";
      std::erase_if(envp, [&](const std::string& e) { return e.starts_with(prefix); });
    }
  }
  for (const auto& b : st.bound) set(b.name, b.placeholder);
}

std::vector<uint16_t> EgressRun::ports() const { return {state_->http_port, state_->socks_port}; }

Status EgressRun::take_listener(char kind, UniqueFd listener) {
  State& st = *state_;
  if (kind == sandbox::kListenerHttp) {
    st.proxy->add_http_listener(std::move(listener));
  } else if (kind == sandbox::kListenerSocks) {
    st.proxy->add_socks_listener(std::move(listener));
  } else {
    return plain_error(fmt::format("unknown egress listener kind '{}'", kind));
  }
  if (++st.listeners == 2) CORDON_TRY(st.proxy->start());
  return ok_status();
}

Status EgressRun::start_host_listeners() { return state_->proxy->start(); }

void EgressRun::finish() {
  State& st = *state_;
  st.proxy->stop();
  auto blocked = st.proxy->blocked();
  if (blocked.empty()) return;
  unsigned total = 0;
  for (const auto& b : blocked) total += b.count;
  std::fprintf(stderr, "cordon: network: refused %u connection(s) or request(s):\n", total);
  for (const auto& b : blocked) {
    std::string times = b.count > 1 ? fmt::format(" (x{})", b.count) : "";
    std::fprintf(stderr, "cordon:   %s: %s%s\n", b.what.c_str(), b.reason.c_str(), times.c_str());
  }
}

}  // namespace cordon::cli
