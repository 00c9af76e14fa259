// A recursive-descent parser for the bash that agents send (lists and
// pipelines, compound commands, quoting, here-documents, expansions and
// substitutions), into the tree of src/shell/ast.h. Pure: no syscalls.
//
// A parse never returns part of a tree: either every byte of the input is
// accounted for, or an error says where (byte offset) and what was expected.
// Hostile input is bounded: input size, nesting depth and node count are
// capped (ParseLimits), so that a megabyte of brackets neither exhausts the
// stack nor takes more than a few milliseconds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shell/ast.h"

namespace cordon::shell {

struct ParseLimits {
  std::size_t max_bytes = 1 << 20;  // 1 MiB
  int max_depth = 64;               // nesting of compound commands, substitutions, quotes
  std::size_t max_nodes = 100000;   // commands and words together
};

struct Parsed {
  std::vector<Node> statements;
  std::vector<Heredoc> heredocs;  // indexed by Redirect::heredoc
};

struct ParseError {
  std::size_t offset = 0;  // byte offset in the input
  std::string message;     // "expected `fi' to close `if' at 0"

  [[nodiscard]] std::string what() const;  // "at byte 12: expected ..."
};

using ParseResult = std::variant<Parsed, ParseError>;

ParseResult parse(std::string_view source, const ParseLimits& limits = {});

}  // namespace cordon::shell
