// The syntax tree of a bash command, as src/shell/parse.h builds it.
//
// Every word keeps its parts (literal text, quoted text, expansions,
// substitutions with their own parsed bodies) so that the analyser can tell a
// word whose value is known before the shell runs ("static") from one that is
// computed at run time. Offsets are byte offsets into the parsed text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cordon::shell {

struct Node;

struct WordPart {
  enum class Kind : std::uint8_t {
    Literal,       // unquoted text after backslash removal; `glob` if it holds * ? [
    SingleQuoted,  // '...'
    AnsiC,         // $'...' with its escapes decoded
    DoubleQuoted,  // "..." (and $"..."); the inner parts are in `parts`
    Param,         // $name, $1, $@, ${...}; `text` is the name or the braces' body
    CommandSub,    // $(...) or `...`; the parsed body is in `body`
    ProcessSub,    // <(...) or >(...); `text` is "<" or ">"
    Arith,         // $((...)); `text` is the expression, nested parts in `parts`
    Brace,         // an unquoted {a,b} or {1..9}: expands to several words
    Tilde,         // an unquoted leading ~ or ~user; `text` is what follows ~
  };
  Kind kind = Kind::Literal;
  bool glob = false;      // Literal: contains an unquoted * ? or [
  bool backtick = false;  // CommandSub written with backticks
  std::uint32_t offset = 0;
  std::string text;
  std::vector<WordPart> parts;  // DoubleQuoted, Param (operand words), Arith
  std::vector<Node> body;       // CommandSub, ProcessSub: the statements
};

struct Word {
  std::vector<WordPart> parts;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;

  // The value after quote removal, when no part is computed at run time
  // (no expansion, substitution, glob or brace expansion); nullopt otherwise.
  [[nodiscard]] std::optional<std::string> static_value() const;
  // True when some part is quoted (a here-document delimiter written 'EOF').
  [[nodiscard]] bool has_quotes() const;
};

struct Assignment {
  std::string name;
  Word value;               // for NAME=(a b c), empty; the elements are in `array`
  std::vector<Word> array;  // NAME=(...)
  bool append = false;      // NAME+=value
  std::uint32_t offset = 0;
};

struct Redirect {
  std::string op;    // ">", ">>", ">|", "<", "<>", "<<", "<<-", "<<<", ">&", "<&", "&>", "&>>"
  int fd = -1;       // the explicit fd number before the operator, or -1
  Word target;       // the file, fd, or here-string; for here-documents the delimiter
  int heredoc = -1;  // index into Parsed::heredocs for << and <<-
  std::uint32_t offset = 0;

  // A redirection that opens its target for writing (>, >>, >|, <>, &>, &>>,
  // and >&word where word is not an fd number or "-").
  [[nodiscard]] bool writes() const;
};

struct Heredoc {
  std::string delimiter;
  bool quoted = false;      // 'EOF' or "EOF": the body is not expanded
  bool strip_tabs = false;  // <<-
  Word body;                // one Literal part when quoted; expansions otherwise
};

struct CaseItem {
  std::vector<Word> patterns;
  std::vector<Node> body;
};

struct Node {
  enum class Kind : std::uint8_t {
    Simple,    // assignments, words, redirects
    Pipeline,  // children are the stages; negated / timed
    AndOr,     // children joined by ops ("&&" / "||")
    Subshell,  // ( children )
    Group,     // { children; }
    If,        // children: cond, body, [cond, body]..., [else body] as Group nodes
    For,       // name, words (the `in` list; absent means "$@"), children[0] = body
    ArithFor,  // words: init, cond, step (Arith-like words); children[0] = body
    While,     // children: cond, body (Group nodes); `until` for until loops
    Case,      // words[0] = subject; items
    Function,  // name; children[0] = body
    Arith,     // (( expr )): words[0]
    Cond,      // [[ ... ]]: words are the operands
    Coproc,    // coproc [name] command: children[0]
    Select,    // select name in words; children[0] = body
  };
  Kind kind = Kind::Simple;
  bool negated = false;     // Pipeline: ! pipeline
  bool timed = false;       // Pipeline: time pipeline
  bool background = false;  // statement ended by &
  bool until = false;       // While: an until loop
  bool has_in = false;      // For/Select: an explicit `in` list
  std::uint32_t offset = 0;
  std::string name;
  std::vector<Assignment> assignments;
  std::vector<Word> words;
  std::vector<Redirect> redirects;
  std::vector<Node> children;
  std::vector<std::string> ops;  // AndOr: "&&" or "||" between children; Pipeline: "|" or "|&"
  std::vector<CaseItem> items;
};

}  // namespace cordon::shell
