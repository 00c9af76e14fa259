// Flags that turn a read-only tool into an executor or a writer: `rg --pre`,
// `git -c core.pager=...`, `sed -i`, `find -exec`, `tar --to-command`, ...
//
// One table (exec_flags.cc) is the single source: the analyser marks a
// command that carries a row's flag, the rule matcher refuses to auto-allow
// it unless the allow rule names the flag itself, and docs/shell.md lists the
// same rows (a unit test compares them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::shell {

struct Arg;

enum class Effect : std::uint8_t { Exec, Write, Network, ReadsSecrets };
std::string_view effect_name(Effect e);

// How a row's flag is recognised in an argv.
enum class FlagMatch : std::uint8_t {
  Short,       // -i, also inside a cluster (-ni, -i.bak)
  Long,        // --in-place, --in-place=x, and GNU abbreviations (--in-pl)
  Word,        // an argument equal to the flag (-exec, -TT, +cmd prefix with "+")
  Value,       // an option whose value matches a glob: -c core.*, -d @*
  Operand,     // an operand starting with the flag: of=
  Positional,  // a later non-option argument equal to the flag: bisect run
  Subcommand,  // the sub-command itself (npm install)
  NoArgs,      // the tool run with no arguments at all (env)
  SedScript,   // a command inside the sed script (e, w)
  AwkProgram,  // a construct inside the awk program (system(, |, >)
  Env,         // NAME=value before the command, for names in dangerous_env_names()
  Targets,     // the files the tool writes (tee's arguments, cp's last operand): reported
               // as writes, not as a flag
};

struct ExecFlag {
  std::string_view tools;  // "sed|gsed"; "*" for any command
  std::string_view sub;    // sub-commands the flag belongs to ("clone|fetch"), or ""
  FlagMatch match;
  std::string_view flag;   // as matched: "-i", "--pre", "-c", "of=", "e"
  std::string_view value;  // FlagMatch::Value: the value glob, alternatives with |
  Effect effect;
  std::string_view reason;
  bool stop_at_operand = false;  // options end at the first operand (interpreters: the
                                 // script's own arguments follow)

  // "-c core.*", "--pre", "(script) e", "NAME=value" as docs/shell.md shows it.
  [[nodiscard]] std::string display() const;
  // The row as docs/shell.md shows it: "| `tools` | `flag` | effect | reason |",
  // with | escaped for Markdown.
  [[nodiscard]] std::string doc_row() const;
};

std::span<const ExecFlag> exec_flag_table();

// Environment variable names (exact, or prefixes ending in _) that change
// what a program runs or loads: PATH, LD_PRELOAD, GIT_*, PAGER, ...
std::span<const std::string_view> dangerous_env_names();
bool is_dangerous_env(std::string_view name);

struct FlagHit {
  std::size_t row = 0;  // index into exec_flag_table()
  std::string arg;      // the argument that carries it ("--pre=sh", "-c core.pager=sh")
};

// The rows that an argv (argv[0] is the tool, any path) and its prefix
// assignments match. Targets rows are not reported here (see write_targets).
std::vector<FlagHit> scan_exec_flags(const std::vector<Arg>& argv,
                                     const std::vector<std::string>& env);

// The files a command writes by its arguments (tee, cp/mv/install/ln/rsync's
// destination, dd of=, curl -o, ...): indices into argv, or the text after
// "of=" for dd. Dynamic arguments are reported too (the caller sees them).
struct ArgWrite {
  std::size_t arg;   // index into argv
  std::size_t skip;  // bytes of the argument before the path (3 for "of=")
  std::string_view how;
};
std::vector<ArgWrite> write_targets(const std::vector<Arg>& argv);

// Whether the table has any row for this tool: an argument the analyser
// cannot see (a variable, a glob that may expand to an option) matters then.
bool tool_has_flags(std::string_view tool);

std::string_view basename_of(std::string_view path);

}  // namespace cordon::shell
