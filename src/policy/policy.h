// The policy model: what a contained command may read, write and inherit.
//
// Pure data. Loading (policy_file.cc), merging (merge.cc) and printing
// (show.cc) live beside it; nothing here makes a system call.
#pragma once

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

struct Policy {
  Filesystem filesystem;
  Process process;
};

}  // namespace cordon::policy
