#include "guard/flow.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "egress/host.h"
#include "policy/pattern.h"
#include "policy/toolrules.h"
#include "shell/analyze.h"

namespace cordon::guard {
namespace {

constexpr size_t kMaxText = 1 << 20;
constexpr size_t kMaxTokens = 20000;
constexpr size_t kMaxEvents = 200;

// Commands that send data out of the machine (or pull from it) by design.
constexpr std::array<std::string_view, 26> kNetworkCommands = {
    "curl",  "wget", "nc",       "ncat", "netcat", "socat", "ssh",      "scp", "sftp",
    "rsync", "ftp",  "telnet",   "gh",   "http",   "https", "xh",       "aws", "gcloud",
    "az",    "mail", "sendmail", "mutt", "mailx",  "twine", "nslookup", "dig"};
// git subcommands that talk to a remote.
constexpr std::array<std::string_view, 5> kGitRemote = {"push", "fetch", "pull", "clone",
                                                        "ls-remote"};

bool domain_like(std::string_view t) {
  if (t.size() < 4 || t.size() > 253 || t.find('.') == std::string_view::npos) return false;
  if (!std::all_of(t.begin(), t.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.';
      })) {
    return false;
  }
  std::string_view tld = t.substr(t.rfind('.') + 1);
  return tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), [](char c) {
           return std::isalpha(static_cast<unsigned char>(c));
         });
}

// At most `max` bytes of `s`, cut before a UTF-8 sequence rather than
// inside it: the state is saved as JSON, and nlohmann::json refuses to dump
// a string that ends halfway through a character (the hook then died with
// 125, which Claude Code takes as a non-blocking error: the call went on).
std::string_view utf8_cut(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string utf8_prefix(std::string_view s, size_t max) { return std::string(utf8_cut(s, max)); }

std::string text_of(const nlohmann::json& j) {
  std::string out = j.is_string() ? j.get<std::string>() : j.dump();
  if (out.size() > kMaxText) out = utf8_prefix(out, kMaxText);
  return out;
}

void add_event(SessionState& s, std::string line) {
  if (s.events.size() >= kMaxEvents) s.events.erase(s.events.begin());
  s.events.push_back(std::move(line));
}

bool sensitive_name(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);
  for (std::string_view pat :
       {".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", "id_ecdsa*", "credentials",
        ".netrc", ".npmrc", ".pypirc", "*.p12", "*.pfx", ".git-credentials"}) {
    if (policy::glob_match(pat, base)) return true;
  }
  return false;
}

bool under(std::string_view path, std::string_view dir) {
  return path == dir ||
         (path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

std::string target_path(const policy::ToolCall& call) {
  for (const char* key : {"file_path", "notebook_path", "path"}) {
    auto it = call.input.find(key);
    if (it != call.input.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return {};
}

}  // namespace

nlohmann::json SessionState::to_json() const {
  return {{"untrusted", untrusted},
          {"private", private_data},
          {"first_untrusted", first_untrusted},
          {"first_private", first_private},
          {"trusted_tokens", trusted_tokens},
          {"untrusted_tokens", untrusted_tokens},
          {"events", events}};
}

SessionState SessionState::from_json(const nlohmann::json& j) {
  SessionState s;
  if (!j.is_object()) return s;
  auto get = [&](const char* key, auto& into) {
    auto it = j.find(key);
    if (it != j.end()) {
      try {
        it->get_to(into);
      } catch (const nlohmann::json::exception&) {
        // A damaged field counts as unset; the rest of the state stays.
      }
    }
  };
  get("untrusted", s.untrusted);
  get("private", s.private_data);
  get("first_untrusted", s.first_untrusted);
  get("first_private", s.first_private);
  get("trusted_tokens", s.trusted_tokens);
  get("untrusted_tokens", s.untrusted_tokens);
  get("events", s.events);
  return s;
}

std::set<std::string> destinations(std::string_view text, size_t limit) {
  text = utf8_cut(text, kMaxText);
  std::set<std::string> out;
  auto separator = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
           c == '>' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
           c == ',' || c == ';' || c == '`' || c == '|' || c == '\\';
  };
  size_t i = 0;
  while (i < text.size() && out.size() < limit) {
    while (i < text.size() && separator(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && !separator(text[j])) ++j;
    std::string_view t = text.substr(i, j - i);
    i = j;
    while (!t.empty() && (t.back() == '.' || t.back() == ':' || t.back() == '!' || t.back() == '?'))
      t.remove_suffix(1);
    if (t.empty()) continue;
    if (size_t scheme = t.find("://"); scheme != std::string_view::npos) {
      // "href=https://x.example/a": the URL starts where its scheme does.
      size_t start = scheme;
      while (start > 0 && std::isalpha(static_cast<unsigned char>(t[start - 1]))) --start;
      if (auto host = policy::url_host(t.substr(start))) out.insert(*host);
      continue;
    }
    if (size_t at = t.find('@'); at != std::string_view::npos && at > 0) {
      std::string_view domain = t.substr(at + 1);
      if (domain_like(domain)) {
        std::string email(t);
        std::transform(email.begin(), email.end(), email.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        out.insert(email);
        if (auto h = egress::canonical_host(domain)) out.insert(*h);
      }
      continue;
    }
    if (t.starts_with("/") || t.starts_with("~/")) {
      if (t.size() > 1) out.insert(std::string(t));
      continue;
    }
    if (domain_like(t)) {
      if (auto h = egress::canonical_host(t)) out.insert(*h);
    }
  }
  return out;
}

void record_prompt(SessionState& s, std::string_view prompt) {
  for (auto& t : destinations(prompt)) {
    if (s.trusted_tokens.size() >= kMaxTokens) break;
    s.trusted_tokens.insert(t);
  }
  add_event(s, "prompt");
}

void record_decision(SessionState& s, std::string_view line) {
  add_event(s, utf8_prefix(line, 400));
}

void record_result(SessionState& s, const policy::CallPolicy& policy, const policy::ToolCall& call,
                   const nlohmann::json& response, const std::vector<std::string>& trusted_tools) {
  const std::string& tool = call.tool;
  const auto& ctx = policy.context();
  bool untrusted = false;
  std::string what = tool;
  if (tool == "WebFetch" || tool == "WebSearch") {
    untrusted = true;
    for (const char* key : {"url", "query"}) {
      if (auto it = call.input.find(key); it != call.input.end() && it->is_string())
        what += " " + it->get<std::string>();
    }
  } else if (tool.starts_with("mcp__")) {
    untrusted = std::none_of(trusted_tools.begin(), trusted_tools.end(), [&](const auto& t) {
      return policy::glob_match(t, tool) || tool.starts_with(t + "__");
    });
  } else if (policy::is_read_tool(tool)) {
    std::string path = target_path(call);
    std::string canonical =
        policy::canonical_target(path.empty() ? ctx.cwd : path, ctx.home, ctx.cwd);
    what += " " + canonical;
    if (!under(canonical, ctx.workspace)) untrusted = true;
    if (policy.private_path(canonical) || sensitive_name(canonical)) {
      if (!s.private_data) s.first_private = what;
      s.private_data = true;
    }
  } else if (tool == "Bash") {
    // A command that prints private files marks the session (cat ~/.ssh/id_rsa).
    auto cmd = call.input.find("command");
    if (cmd != call.input.end() && cmd->is_string()) {
      for (const auto& t : destinations(cmd->get<std::string>())) {
        if (!t.starts_with("/") && !t.starts_with("~/")) continue;
        std::string canonical = policy::canonical_target(t, ctx.home, ctx.cwd);
        if (policy.private_path(canonical) || sensitive_name(canonical)) {
          if (!s.private_data)
            s.first_private = "Bash " + utf8_prefix(cmd->get<std::string>(), 200);
          s.private_data = true;
        }
      }
    }
  }
  if (untrusted) {
    if (!s.untrusted) s.first_untrusted = what;
    s.untrusted = true;
    for (auto& t : destinations(text_of(response))) {
      if (s.untrusted_tokens.size() >= kMaxTokens) break;
      s.untrusted_tokens.insert(t);
    }
  }
  add_event(s, fmt::format("{}{}{}", utf8_prefix(what, 300), untrusted ? " [untrusted]" : "",
                           s.private_data ? " [private seen]" : ""));
}

bool is_sink(const policy::CallPolicy& policy, const policy::ToolCall& call,
             std::set<std::string>* out) {
  const std::string& tool = call.tool;
  const auto& ctx = policy.context();
  std::set<std::string> dests;
  bool sink = false;
  if (tool == "WebFetch") {
    sink = true;
    if (auto it = call.input.find("url"); it != call.input.end() && it->is_string()) {
      if (auto h = policy::url_host(it->get<std::string>())) dests.insert(*h);
    }
  } else if (tool == "WebSearch") {
    sink = true;
  } else if (tool.starts_with("mcp__")) {
    sink = true;
    dests = destinations(call.input.dump());
  } else if (policy::is_edit_tool(tool)) {
    std::string canonical = policy::canonical_target(target_path(call), ctx.home, ctx.cwd);
    if (!policy.writable(canonical)) {
      sink = true;
      dests.insert(canonical);
    }
  } else if (tool == "Bash") {
    auto cmd = call.input.find("command");
    std::string command =
        cmd != call.input.end() && cmd->is_string() ? cmd->get<std::string>() : "";
    auto lift = call.input.find("dangerouslyDisableSandbox");
    sink = !ctx.contained || (lift != call.input.end() && lift->is_boolean() && lift->get<bool>());
    auto analysis = shell::analyze(command);
    if (const auto* a = std::get_if<shell::Analysis>(&analysis)) {
      for (const auto& c : a->commands) {
        std::string name(shell::basename_of(c.name()));
        if (std::find(kNetworkCommands.begin(), kNetworkCommands.end(), name) !=
            kNetworkCommands.end()) {
          sink = true;
        }
        if (name == "git" && c.argv.size() > 1) {
          for (const auto& arg : c.argv) {
            if (std::find(kGitRemote.begin(), kGitRemote.end(), arg.text) != kGitRemote.end())
              sink = true;
          }
        }
      }
    } else {
      sink = true;  // cannot tell: treat as one
    }
    if (sink) {
      for (auto& t : destinations(command)) {
        // A path inside the workspace is no destination.
        if ((t.starts_with("/") || t.starts_with("~/")) &&
            policy.writable(policy::canonical_target(t, ctx.home, ctx.cwd)))
          continue;
        dests.insert(t);
      }
    }
  }
  if (out != nullptr) *out = std::move(dests);
  return sink;
}

FlowFinding check_flow(const SessionState& s, const policy::CallPolicy& policy,
                       const policy::ToolCall& call) {
  std::set<std::string> dests;
  if (!is_sink(policy, call, &dests)) return {};
  for (const auto& d : dests) {
    if (s.untrusted_tokens.count(d) != 0 && s.trusted_tokens.count(d) == 0) {
      return {true, fmt::format("{} sends to {}, which appeared in untrusted content ({}) and "
                                "never in your prompts",
                                call.tool, d, s.first_untrusted)};
    }
  }
  if (s.untrusted && s.private_data) {
    return {true, fmt::format("this session has read untrusted content ({}) and private data "
                              "({}), and {} sends data out",
                              s.first_untrusted, s.first_private, call.tool)};
  }
  return {};
}

}  // namespace cordon::guard
