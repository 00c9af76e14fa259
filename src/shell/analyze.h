// What a bash command will run: every simple command, with its argv where
// it is static, and what the analyser cannot see. Pure: no syscalls.
//
// Wrappers are unwrapped (`sudo env nice rm -rf /` reports sudo, env, nice
// and rm, each with its parent), `bash -c '...'` strings are parsed again,
// command substitutions report their inner commands, a function defined in
// the script is resolved to its body. What stays invisible is flagged:
// a computed command name, eval/source, a shell reading a script or stdin,
// aliases, arguments a wrapper adds at run time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shell/exec_flags.h"
#include "shell/parse.h"

namespace cordon::shell {

struct Arg {
  std::string text;       // the value after quote removal when static; the source text otherwise
  bool is_static = true;  // no expansion, substitution or brace expansion in it
  bool glob = false;      // unquoted * ? [ : bash replaces it with matching file names
  // Computed, but cannot turn into an option: every expansion is inside
  // double quotes (no word splitting) and the static text before the first
  // one is not an option, or is an option with its `=` (--since="$(date)").
  bool option_safe = false;
  bool quoted = false;  // computed, with every expansion inside double quotes: one word
};

struct Command {
  std::vector<Arg> argv;
  std::vector<std::string> env;  // names assigned for this command (A=1 cmd, env A=1 cmd)
  int parent = -1;               // index of the command this one runs through, or -1
  std::string via;               // how the parent runs it: "sudo", "xargs", "bash -c", "$(...)"
  bool dynamic_command = false;  // the command name is computed at run time ($X, $(...), r{m,})
  bool dynamic_args = false;     // a wrapper adds arguments at run time (xargs, find -exec {})
  bool privileged = false;       // runs through sudo, doas or su
  bool transparent = false;      // a wrapper judged by what it runs (env, nice, timeout, bash -c)
  std::string opaque;            // non-empty: runs code the analyser cannot see, and why
  std::vector<FlagHit> flags;    // exec-capable flags (exec_flag_table())
  std::uint32_t offset = 0;      // byte offset of the command in the top-level text

  [[nodiscard]] std::string name() const { return argv.empty() ? std::string() : argv[0].text; }
};

struct Write {
  std::string target;  // the file; the source text when not static
  bool is_static = true;
  std::string how;   // ">", ">>", "&>", "tee", "cp", "dd of=", ...
  int command = -1;  // the command that writes, or -1 for a redirection of a compound command
  std::uint32_t offset = 0;
};

struct Analysis {
  std::vector<Command> commands;
  std::vector<Write> writes;
  // What the script does that no single command shows: an assignment to
  // PATH or LD_PRELOAD for the commands after it, an alias, a process
  // substitution, nesting too deep to follow.
  std::vector<std::string> unseeable;
};

struct AnalyzeOptions {
  ParseLimits limits;
  int max_reparse = 4;  // bash -c within bash -c ... beyond this: unseeable
};

using AnalyzeResult = std::variant<Analysis, ParseError>;

AnalyzeResult analyze(std::string_view command, const AnalyzeOptions& options = {});

// The analysis of an already parsed script (`source` is the parsed text).
Analysis analyze(const Parsed& parsed, std::string_view source, const AnalyzeOptions& options = {});

}  // namespace cordon::shell
