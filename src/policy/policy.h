// The policy model: what a contained command may read, write and inherit.
//
// Pure data. Parsing (parse.cc), loading the layers (load.cc), merging
// (merge.cc) and printing (show.cc) live beside it; the field table that the
// parser, the command-line flags and `policy show` share is schema.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cordon::policy {

// Layers, lowest to highest precedence. Deny wins at every layer; an
// untrusted Project can only tighten; nothing below Managed loosens it.
enum class Layer { BuiltIn, User, Project, CommandLine, Managed };

const char* layer_name(Layer layer);

// Where an entry came from, so `cordon policy show` and every error can
// point at the exact line that caused it.
struct Origin {
  Layer layer = Layer::BuiltIn;
  std::string source;  // file path, "built-in" or "command line"
  int line = 0;        // 1-based; 0 when there is no line (command line)
  int column = 0;
};

// "built-in:12", "/home/u/.config/cordon/policy.toml:3:5", "command line".
std::string origin_text(const Origin& origin);

template <typename T>
struct Entry {
  T value;
  Origin origin;
};

using PatternList = std::vector<Entry<std::string>>;

// Path patterns: absolute ("/opt/data"), home-relative ("~/.ssh"), or
// relative to the workspace (".git/hooks"). Globs (*, ?, [..]) per component.
struct Filesystem {
  PatternList allow_read;   // visible read-only; re-allows inside a deny_read tree
  PatternList deny_read;    // appear empty (directories) or empty (files)
  PatternList allow_write;  // writable; the workspace is always writable
  PatternList deny_write;   // read-only even inside a writable tree; protected
};

struct Process {
  std::optional<Entry<double>> timeout_seconds;  // tightest layer wins
  PatternList env_pass;   // variable names (globs) kept even when a scrub matches
  PatternList env_scrub;  // variable names (globs) removed from the environment
};

// Limits on what the contained command may consume. Every value: the
// smallest that any layer sets wins (a limit can only be tightened).
struct Resources {
  std::optional<Entry<double>> memory_bytes;     // cgroup memory.max ("2G")
  std::optional<Entry<double>> pids;             // cgroup pids.max (processes and threads)
  std::optional<Entry<double>> cpus;             // cgroup cpu.max, in CPUs ("1.5")
  std::optional<Entry<double>> file_size_bytes;  // RLIMIT_FSIZE ("1G")
  std::optional<Entry<double>> open_files;       // RLIMIT_NOFILE
  std::optional<Entry<double>> tmpfs_bytes;  // size of each private tmpfs (/tmp, /dev/shm, /run)
};

// How the sandbox is built, and what the host must be able to enforce.
struct Sandbox {
  // "full" (namespaces + Landlock + seccomp), "landlock" (no user
  // namespaces: Landlock + seccomp only) or "auto" (full where the host
  // allows it, else landlock, saying so). Strictest wins: full > auto >
  // landlock.
  std::optional<Entry<std::string>> mode;
  // Guarantees the run must have, or cordon refuses to start: any of
  // "filesystem-isolation", "protected-paths", "credential-hiding",
  // "network-isolation", "process-isolation", "landlock", "seccomp",
  // "resource-limits". The union of every layer.
  PatternList require;
  // What a refused system call does: "errno" (fails with an error) or
  // "kill" (the process dies of SIGSYS). Strictest wins: kill > errno.
  std::optional<Entry<std::string>> on_violation;
  // Whether socket(AF_UNIX) is allowed: "allow" or "deny". Strictest wins.
  // Inside full mode they reach only the sandbox; in landlock mode a
  // pathname socket of the host (docker.sock) would be reachable.
  std::optional<Entry<std::string>> unix_sockets;
  // Landlock mode: whether the command may open the host's /dev/pts, which
  // it needs to create ptys of its own (script, tmux, node-pty), and which
  // holds every terminal of the user's. "allow" or "deny"; strictest wins.
  // Full mode has a devpts of its own, whatever this says.
  std::optional<Entry<std::string>> host_ptys;
};

// Per-host limits on an allowed host: every set list must match. Several
// layers may limit one host; all their limits apply (merge() intersects).
struct HostLimit {
  std::string host;                  // a host pattern, as in Network::allow
  std::vector<uint16_t> ports;       // empty: what the allow entry says
  std::vector<std::string> methods;  // plain HTTP only; empty: any
  std::vector<std::string> paths;    // plain HTTP only: path prefixes; empty: any
  Origin origin;
};

// A secret that only the egress proxy holds: the sandbox sees `name` set to
// a placeholder, and the proxy puts the secret in its place in `header` on
// requests to `hosts`. Only the user, --policy files, a trusted project and
// the managed file may bind one (an untrusted project could otherwise send
// the user's token to a host of its choosing).
struct Credential {
  std::string name;                // environment variable inside the sandbox ("GITHUB_TOKEN")
  std::string env;                 // read the secret from this variable of cordon's caller, or
  std::string file;                // from this file (absolute or "~/"), first line
  std::vector<std::string> hosts;  // host patterns
  std::string header = "Authorization";  // where the placeholder is replaced
  Origin origin;
};

// Egress: the sandbox has no network but the proxy, and the proxy lets out
// only what these rules allow (deny, then allow, then ask, else deny).
struct Network {
  PatternList allow;        // "host", "*.suffix", "host:port" (not "*")
  PatternList deny;         // the same forms; beats allow and ask
  PatternList ask;          // ask on cordon's terminal; deny without one
  PatternList open_ranges;  // address ranges (CIDR) the proxy may reach anyway
  PatternList resolve;      // "name=address": the proxy's own name overrides
  std::vector<HostLimit> limits;
  std::vector<Credential> credentials;

  // Whether the proxy has anything to let out: else it is not started.
  [[nodiscard]] bool any_egress() const {
    return !allow.empty() || !ask.empty() || !credentials.empty();
  }
};

// Tool calls of an agent (cordon check, cordon hook): rules in Claude
// Code's syntax (policy/toolrules.h), decided deny, then ask, then allow;
// a call no rule decides is allowed when it stays inside the sandbox's
// boundary, unless contained_calls says "ask".
struct Tools {
  PatternList allow;
  PatternList ask;
  PatternList deny;
  // MCP tools (or other tools) whose output is trusted; every other MCP
  // tool, WebFetch and WebSearch bring untrusted content into a session.
  PatternList trusted;
  // "allow" (default) or "ask": whether a call that stays inside the
  // boundary needs no rule. Strictest wins: ask > allow.
  std::optional<Entry<std::string>> contained_calls;
  // Session flow rules: "off", "ask" (default) or "deny". Strictest wins.
  std::optional<Entry<std::string>> flow;
};

// Which workspaces' project files the user trusts (they may then loosen).
// Honoured only from the user file and --policy files: a repository cannot
// vouch for itself, and merge() records any other [trust] as ignored.
struct Trust {
  PatternList projects;  // absolute or "~" paths; globs per component
};

// An entry that a file asked for but the merge did not apply, kept so that
// `cordon policy show` can say what was dropped and why.
struct Ignored {
  std::string field;  // "filesystem.allow_read"
  std::string value;  // the pattern, or the timeout in seconds
  Origin origin;
  std::string reason;  // "project not trusted"
};

// One file (or the built-in text, or the command line) that went into a policy.
struct Source {
  Layer layer = Layer::BuiltIn;
  std::string name;  // path, "built-in" or "command line"
};

struct Policy {
  Filesystem filesystem;
  Process process;
  Resources resources;
  Sandbox sandbox;
  Network network;
  Tools tools;
  Trust trust;
  // Filled by merge(): what was loaded, in order, and what it did not apply.
  std::vector<Source> sources;
  std::vector<Ignored> ignored;
  // What a file said that cordon did not apply and is not an error: an
  // unknown key of a Claude Code settings file, a setting of theirs that
  // cordon's own replaces. "FILE:LINE: what".
  std::vector<std::string> notes;
  bool project_trusted = false;
};

}  // namespace cordon::policy
