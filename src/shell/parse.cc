// The bash grammar, by recursive descent straight over the bytes: bash's
// tokens depend on where they are (a reserved word only in command position,
// `#` only at a word's start, `<(` only as a word), so there is no separate
// token stream.
//
// Where bash would reject the input the parser may be more lenient (the shell
// then fails and nothing runs), but it must never accept input with another
// meaning than bash gives it: every construct whose meaning is unsure is an
// error here, which the caller turns into a question.
#include "shell/parse.h"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>

namespace cordon::shell {

std::string ParseError::what() const {
  return "at byte " + std::to_string(offset) + ": " + message;
}

namespace {

struct Fail {
  std::size_t offset;
  std::string message;
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_meta(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case ';':
    case '&':
    case '|':
    case '<':
    case '>':
    case '(':
    case ')': return true;
    default: return false;
  }
}
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::array<std::string_view, 19> kReserved = {
    "if",    "then", "elif", "else",     "fi",     "do",   "done",   "case", "esac", "while",
    "until", "for",  "in",   "function", "select", "time", "coproc", "[[",   "!"};

// Words that end a list: they close the compound command being parsed.
bool is_closing(std::string_view kw) {
  return kw == "then" || kw == "elif" || kw == "else" || kw == "fi" || kw == "do" || kw == "done" ||
         kw == "esac" || kw == "}";
}

enum class Mode : std::uint8_t {
  Normal,      // a shell word: ends at a metacharacter
  CondRegex,   // the right side of [[ =~ ]]: ( ) and | belong to the word
  ParamBody,   // inside ${...}: ends at the closing }, blanks are text
  HeredocBody  // an unquoted here-document: only $ ` and \ are special
};

struct Shared {
  const ParseLimits& limits;
  std::vector<Heredoc> heredocs;
  std::size_t nodes = 0;
};

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view src, std::uint32_t base, Shared& shared, int depth)
      : src_(src), base_(base), shared_(shared), depth_(depth) {}

  std::vector<Node> parse_program() {
    Deeper guard(*this);
    std::vector<Node> out = parse_list();
    skip_linebreaks();
    if (!eof()) {
      std::string_view kw = peek_reserved();
      if (!kw.empty()) fail("unexpected `" + std::string(kw) + "'");
      fail(std::string("unexpected `") + peek() + "'");
    }
    read_pending_heredocs();
    return out;
  }

  // The body of an unquoted here-document: text with expansions.
  Word parse_heredoc_text() {
    Deeper guard(*this);
    return parse_word(Mode::HeredocBody);
  }

 private:
  // Every level of nesting goes through here, so that no input can recurse
  // deeper than the limit (the stack stays bounded whatever the input).
  struct Deeper {
    explicit Deeper(Parser& p) : p_(p) {
      if (++p_.depth_ > p_.shared_.limits.max_depth) {
        p_.fail("nesting deeper than " + std::to_string(p_.shared_.limits.max_depth) + " levels");
      }
    }
    ~Deeper() { --p_.depth_; }
    Deeper(const Deeper&) = delete;
    Deeper& operator=(const Deeper&) = delete;

   private:
    Parser& p_;
  };

  [[noreturn]] void fail(std::string message) const {
    throw Fail{base_ + pos_, std::move(message)};
  }
  void count_node() {
    if (++shared_.nodes > shared_.limits.max_nodes) {
      fail("more than " + std::to_string(shared_.limits.max_nodes) + " words and commands");
    }
  }
  [[nodiscard]] bool eof() const { return pos_ >= src_.size(); }
  [[nodiscard]] char peek(std::size_t k = 0) const {
    return pos_ + k < src_.size() ? src_[pos_ + k] : '\0';
  }
  [[nodiscard]] bool at(std::string_view s) const { return src_.substr(pos_, s.size()) == s; }
  [[nodiscard]] std::uint32_t offset() const { return base_ + static_cast<std::uint32_t>(pos_); }
  [[nodiscard]] bool delim_at(std::size_t i) const { return i >= src_.size() || is_meta(src_[i]); }

  void skip_blanks() {
    for (;;) {
      if (is_blank(peek())) {
        ++pos_;
      } else if (peek() == '\\' && peek(1) == '\n') {
        pos_ += 2;
      } else {
        return;
      }
    }
  }
  void skip_space_and_comments() {
    skip_blanks();
    if (peek() == '#') {
      while (!eof() && peek() != '\n') ++pos_;
    }
  }
  void newline() {
    ++pos_;
    read_pending_heredocs();
  }
  void skip_linebreaks() {
    for (;;) {
      skip_space_and_comments();
      if (peek() != '\n') return;
      newline();
    }
  }

  // The reserved word at the current position, if one stands there as a
  // whole word; empty otherwise.
  [[nodiscard]] std::string_view peek_reserved() const {
    char c = peek();
    if (c == '{' || c == '}' || c == '!') {
      return delim_at(pos_ + 1) ? src_.substr(pos_, 1) : std::string_view{};
    }
    if (c == '[' && peek(1) == '[') {
      return (pos_ + 2 >= src_.size() || is_blank(src_[pos_ + 2]) || src_[pos_ + 2] == '\n')
                 ? src_.substr(pos_, 2)
                 : std::string_view{};
    }
    std::size_t i = pos_;
    while (i < src_.size() && src_[i] >= 'a' && src_[i] <= 'z') ++i;
    if (i == pos_ || !delim_at(i)) return {};
    std::string_view w = src_.substr(pos_, i - pos_);
    for (std::string_view r : kReserved) {
      if (r == w) return w;
    }
    return {};
  }
  void expect_keyword(std::string_view kw, std::string_view what, std::uint32_t opened) {
    skip_linebreaks();
    if (peek_reserved() != kw) {
      fail("expected `" + std::string(kw) + "' to close `" + std::string(what) + "' at byte " +
           std::to_string(opened));
    }
    pos_ += kw.size();
  }
  void expect_char(char c, std::string_view what, std::uint32_t opened) {
    if (peek() != c) {
      fail(std::string("expected `") + c + "' to close `" + std::string(what) + "' at byte " +
           std::to_string(opened));
    }
    ++pos_;
  }

  // ---- lists ---------------------------------------------------------------

  [[nodiscard]] bool at_list_end() const {
    if (eof()) return true;
    char c = peek();
    if (c == ')') return true;
    if (c == ';' && (peek(1) == ';' || peek(1) == '&')) return true;  // case terminators
    std::string_view kw = peek_reserved();
    return !kw.empty() && is_closing(kw);
  }

  std::vector<Node> parse_list() {
    std::vector<Node> out;
    for (;;) {
      skip_linebreaks();
      if (at_list_end()) break;
      Node n = parse_and_or();
      skip_space_and_comments();
      char c = peek();
      if (c == ';' && peek(1) != ';' && peek(1) != '&') {
        ++pos_;
        out.push_back(std::move(n));
        continue;
      }
      if (c == '&' && peek(1) != '&' && peek(1) != '>') {
        ++pos_;
        n.background = true;
        out.push_back(std::move(n));
        continue;
      }
      out.push_back(std::move(n));
      if (c == '\n') continue;
      break;
    }
    return out;
  }

  Node parse_and_or() {
    Node first = parse_pipeline();
    skip_space_and_comments();
    if (!at("&&") && !at("||")) return first;
    Node n;
    n.kind = Node::Kind::AndOr;
    n.offset = first.offset;
    n.children.push_back(std::move(first));
    while (at("&&") || at("||")) {
      n.ops.emplace_back(src_.substr(pos_, 2));
      pos_ += 2;
      skip_linebreaks();
      n.children.push_back(parse_pipeline());
      skip_space_and_comments();
    }
    return n;
  }

  Node parse_pipeline() {
    skip_space_and_comments();
    std::uint32_t start = offset();
    bool timed = false;
    bool negated = false;
    for (;;) {
      std::string_view kw = peek_reserved();
      if (kw == "time") {
        timed = true;
        pos_ += 4;
        skip_blanks();
        if (at("-p") && delim_at(pos_ + 2)) pos_ += 2;
        skip_blanks();
        continue;
      }
      if (kw == "!") {
        negated = !negated;
        ++pos_;
        skip_blanks();
        continue;
      }
      break;
    }
    Node p;
    p.kind = Node::Kind::Pipeline;
    p.offset = start;
    p.timed = timed;
    p.negated = negated;
    if ((timed || negated) && (at_list_end() || peek() == '\n' || peek() == ';' || peek() == '&')) {
      return p;  // `time` alone times nothing
    }
    Node first = parse_command();
    skip_space_and_comments();
    if (!(peek() == '|' && peek(1) != '|')) {
      if (!timed && !negated) return first;
      p.children.push_back(std::move(first));
      return p;
    }
    p.children.push_back(std::move(first));
    while (peek() == '|' && peek(1) != '|') {
      std::string op = peek(1) == '&' ? "|&" : "|";
      pos_ += op.size();
      p.ops.push_back(std::move(op));
      skip_linebreaks();
      p.children.push_back(parse_command());
      skip_space_and_comments();
    }
    return p;
  }

  // ---- commands ------------------------------------------------------------

  Node parse_command() {
    Deeper guard(*this);
    count_node();
    skip_space_and_comments();
    if (eof()) fail("expected a command");
    std::uint32_t start = offset();
    std::string_view kw = peek_reserved();
    Node n;
    if (kw == "if") {
      n = parse_if();
    } else if (kw == "while" || kw == "until") {
      n = parse_while(kw == "until");
    } else if (kw == "for" || kw == "select") {
      n = parse_for(kw == "select");
    } else if (kw == "case") {
      n = parse_case();
    } else if (kw == "function") {
      return parse_function_keyword();
    } else if (kw == "{") {
      ++pos_;
      n.kind = Node::Kind::Group;
      n.children = parse_list();
      expect_keyword("}", "{", start);
    } else if (kw == "[[") {
      n = parse_cond();
    } else if (kw == "coproc") {
      return parse_coproc();
    } else if (!kw.empty() && kw != "!" && kw != "time") {
      fail("unexpected `" + std::string(kw) + "'");
    } else if (peek() == '(' && peek(1) == '(') {
      pos_ += 2;
      n.kind = Node::Kind::Arith;
      Word w;
      w.begin = start;
      w.parts.push_back(parse_arith(start));
      w.end = offset();
      n.words.push_back(std::move(w));
    } else if (peek() == '(') {
      ++pos_;
      n.kind = Node::Kind::Subshell;
      n.children = parse_list();
      skip_linebreaks();
      expect_char(')', "(", start);
    } else {
      char c = peek();
      if (c == ';' || c == '&' || c == '|' || c == ')' || c == '\n') {
        fail(std::string("expected a command before `") + c + "'");
      }
      return parse_simple();
    }
    n.offset = start;
    // Redirections after a compound command apply to all of it.
    for (;;) {
      skip_blanks();
      if (!try_redirect(n.redirects)) break;
    }
    return n;
  }

  Node parse_simple() {
    Node n;
    n.kind = Node::Kind::Simple;
    n.offset = offset();
    for (;;) {
      skip_space_and_comments();
      char c = peek();
      if (eof() || c == '\n' || c == ';' || c == '|' || c == ')') break;
      if (c == '&' && peek(1) != '>') break;
      if (c == '(') {
        if (n.words.size() == 1 && n.assignments.empty() && n.redirects.empty()) {
          return parse_function_parens(std::move(n));
        }
        fail("unexpected `('");
      }
      if (try_redirect(n.redirects)) continue;
      if (n.words.empty() && try_assignment(n)) continue;
      Word w = parse_word(Mode::Normal);
      if (w.parts.empty()) fail("expected a word");
      n.words.push_back(std::move(w));
    }
    if (n.words.empty() && n.assignments.empty() && n.redirects.empty()) {
      fail("expected a command");
    }
    return n;
  }

  // NAME=value, NAME+=value, NAME[sub]=value, NAME=(a b c) before the command.
  bool try_assignment(Node& n) {
    std::size_t i = pos_;
    if (i >= src_.size() || !is_name_start(src_[i])) return false;
    while (i < src_.size() && is_name_char(src_[i])) ++i;
    std::size_t name_end = i;
    if (i < src_.size() && src_[i] == '[') {
      int depth = 0;
      for (; i < src_.size(); ++i) {
        if (src_[i] == '[') ++depth;
        if (src_[i] == ']' && --depth == 0) break;
        if (src_[i] == '\n') return false;
      }
      if (i >= src_.size()) return false;
      ++i;
    }
    bool append = false;
    if (i < src_.size() && src_[i] == '+') {
      append = true;
      ++i;
    }
    if (i >= src_.size() || src_[i] != '=') return false;
    Assignment a;
    a.offset = offset();
    a.name = std::string(src_.substr(pos_, name_end - pos_));
    a.append = append;
    if (name_end != i - (append ? 1 : 0)) {
      // NAME[subscript]=: the subscript is evaluated (arithmetic for indexed
      // arrays), so it is kept as a word for the analyser to look into.
      std::size_t sub_begin = name_end + 1;
      std::size_t sub_end = i - (append ? 2 : 1);
      Parser sub(src_.substr(sub_begin, sub_end - sub_begin),
                 base_ + static_cast<std::uint32_t>(sub_begin), shared_, depth_);
      a.array.push_back(sub.parse_heredoc_text());
    }
    pos_ = i + 1;
    if (peek() == '(') {
      std::uint32_t open = offset();
      ++pos_;
      for (;;) {
        skip_linebreaks();
        if (peek() == ')') {
          ++pos_;
          break;
        }
        if (eof()) expect_char(')', "(", open);
        Word w = parse_word(Mode::Normal);
        if (w.parts.empty()) fail("unexpected `" + std::string(1, peek()) + "' in an array");
        a.array.push_back(std::move(w));
      }
    } else if (!delim_at(pos_)) {
      a.value = parse_word(Mode::Normal);
    }
    count_node();
    n.assignments.push_back(std::move(a));
    return true;
  }

  Node parse_function_parens(Node simple) {
    std::optional<std::string> name = simple.words[0].static_value();
    if (!name || name->empty()) fail("a function name must be a plain word");
    ++pos_;  // (
    skip_blanks();
    expect_char(')', "(", offset());
    skip_linebreaks();
    Node f;
    f.kind = Node::Kind::Function;
    f.offset = simple.offset;
    f.name = std::move(*name);
    f.children.push_back(parse_command());
    return f;
  }

  Node parse_function_keyword() {
    std::uint32_t start = offset();
    pos_ += 8;  // function
    skip_blanks();
    Word w = parse_word(Mode::Normal);
    std::optional<std::string> name = w.static_value();
    if (!name || name->empty()) fail("expected a function name after `function'");
    skip_blanks();
    if (peek() == '(') {
      ++pos_;
      skip_blanks();
      expect_char(')', "(", offset());
    }
    skip_linebreaks();
    Node f;
    f.kind = Node::Kind::Function;
    f.offset = start;
    f.name = std::move(*name);
    f.children.push_back(parse_command());
    return f;
  }

  Node parse_coproc() {
    std::uint32_t start = offset();
    pos_ += 6;  // coproc
    skip_blanks();
    Node n;
    n.kind = Node::Kind::Coproc;
    n.offset = start;
    // `coproc NAME { ...; }`: a name only when a compound command follows.
    std::size_t i = pos_;
    while (i < src_.size() && is_name_char(src_[i])) ++i;
    if (i > pos_ && i < src_.size() && is_blank(src_[i])) {
      std::size_t j = i;
      while (j < src_.size() && is_blank(src_[j])) ++j;
      if (j < src_.size() && (src_[j] == '{' || src_[j] == '(')) {
        n.name = std::string(src_.substr(pos_, i - pos_));
        pos_ = j;
      }
    }
    n.children.push_back(parse_command());
    return n;
  }

  Node group_of(std::vector<Node> list, std::uint32_t at) {
    Node g;
    g.kind = Node::Kind::Group;
    g.offset = at;
    g.children = std::move(list);
    return g;
  }

  Node parse_if() {
    std::uint32_t start = offset();
    pos_ += 2;
    Node n;
    n.kind = Node::Kind::If;
    for (;;) {
      std::uint32_t at_cond = offset();
      n.children.push_back(group_of(parse_list(), at_cond));
      expect_keyword("then", "if", start);
      std::uint32_t at_body = offset();
      n.children.push_back(group_of(parse_list(), at_body));
      skip_linebreaks();
      std::string_view kw = peek_reserved();
      if (kw == "elif") {
        pos_ += 4;
        continue;
      }
      if (kw == "else") {
        pos_ += 4;
        std::uint32_t at_else = offset();
        n.children.push_back(group_of(parse_list(), at_else));
      }
      expect_keyword("fi", "if", start);
      return n;
    }
  }

  Node parse_while(bool until) {
    std::uint32_t start = offset();
    pos_ += 5;  // while / until
    Node n;
    n.kind = Node::Kind::While;
    n.until = until;
    std::uint32_t at_cond = offset();
    n.children.push_back(group_of(parse_list(), at_cond));
    expect_keyword("do", until ? "until" : "while", start);
    std::uint32_t at_body = offset();
    n.children.push_back(group_of(parse_list(), at_body));
    expect_keyword("done", until ? "until" : "while", start);
    return n;
  }

  // The body of for/select: `do ... done`, or bash's `{ ...; }`.
  void parse_loop_body(Node& n, std::string_view what, std::uint32_t start) {
    skip_linebreaks();
    std::uint32_t at_body = offset();
    if (peek_reserved() == "{") {
      n.children.push_back(parse_command());
      return;
    }
    expect_keyword("do", what, start);
    n.children.push_back(group_of(parse_list(), at_body));
    expect_keyword("done", what, start);
  }

  Node parse_for(bool select) {
    std::uint32_t start = offset();
    std::string_view what = select ? "select" : "for";
    pos_ += what.size();
    skip_blanks();
    Node n;
    n.kind = select ? Node::Kind::Select : Node::Kind::For;
    if (!select && at("((")) {
      n.kind = Node::Kind::ArithFor;
      std::uint32_t open = offset();
      pos_ += 2;
      Word w;
      w.begin = open;
      w.parts.push_back(parse_arith(open));
      w.end = offset();
      n.words.push_back(std::move(w));
      skip_blanks();
      if (peek() == ';') ++pos_;
      parse_loop_body(n, what, start);
      return n;
    }
    std::size_t i = pos_;
    while (i < src_.size() && is_name_char(src_[i])) ++i;
    if (i == pos_ || !is_name_start(src_[pos_]) || !delim_at(i)) {
      fail("expected a variable name after `" + std::string(what) + "'");
    }
    n.name = std::string(src_.substr(pos_, i - pos_));
    pos_ = i;
    skip_linebreaks();
    if (peek_reserved() == "in") {
      pos_ += 2;
      n.has_in = true;
      for (;;) {
        skip_space_and_comments();
        char c = peek();
        if (eof() || c == '\n' || c == ';') break;
        if (is_meta(c)) fail(std::string("unexpected `") + c + "' in a word list");
        n.words.push_back(parse_word(Mode::Normal));
      }
      if (peek() == ';') ++pos_;
    } else if (peek() == ';') {
      ++pos_;
    }
    parse_loop_body(n, what, start);
    return n;
  }

  Node parse_case() {
    std::uint32_t start = offset();
    pos_ += 4;
    skip_blanks();
    Node n;
    n.kind = Node::Kind::Case;
    Word subject = parse_word(Mode::Normal);
    if (subject.parts.empty()) fail("expected a word after `case'");
    n.words.push_back(std::move(subject));
    expect_keyword("in", "case", start);
    for (;;) {
      skip_linebreaks();
      if (peek_reserved() == "esac") {
        pos_ += 4;
        return n;
      }
      if (eof()) expect_keyword("esac", "case", start);
      CaseItem item;
      if (peek() == '(') ++pos_;
      for (;;) {
        skip_blanks();
        Word w = parse_word(Mode::Normal);
        if (w.parts.empty()) fail("expected a pattern in `case'");
        item.patterns.push_back(std::move(w));
        skip_blanks();
        if (peek() == '|') {
          ++pos_;
          continue;
        }
        if (peek() == ')') {
          ++pos_;
          break;
        }
        fail("expected `)' after a case pattern");
      }
      item.body = parse_list();
      n.items.push_back(std::move(item));
      skip_linebreaks();
      if (at(";;&")) {
        pos_ += 3;
      } else if (at(";;") || at(";&")) {
        pos_ += 2;
      } else if (peek_reserved() != "esac") {
        fail("expected `;;' or `esac' in `case' at byte " + std::to_string(start));
      }
    }
  }

  Node parse_cond() {
    std::uint32_t start = offset();
    pos_ += 2;
    Node n;
    n.kind = Node::Kind::Cond;
    for (;;) {
      skip_linebreaks();
      if (at("]]") && delim_at(pos_ + 2)) {
        pos_ += 2;
        return n;
      }
      if (eof()) expect_keyword("]]", "[[", start);
      char c = peek();
      if (at("&&") || at("||")) {
        pos_ += 2;
        continue;
      }
      if (c == '(' || c == ')' || c == '<' || c == '>') {
        ++pos_;
        continue;
      }
      if (c == ';' || c == '&' || c == '|') fail(std::string("unexpected `") + c + "' in `[['");
      Word w = parse_word(Mode::Normal);
      bool regex = w.static_value() == "=~";
      n.words.push_back(std::move(w));
      if (regex) {
        skip_blanks();
        n.words.push_back(parse_word(Mode::CondRegex));
      }
    }
  }

  // ---- redirections --------------------------------------------------------

  bool try_redirect(std::vector<Redirect>& out) {
    std::size_t save = pos_;
    std::uint32_t start = offset();
    int fd = -1;
    if (is_digit(peek())) {
      std::size_t i = pos_;
      long v = 0;
      while (i < src_.size() && is_digit(src_[i])) {
        if (v < 100000) v = v * 10 + (src_[i] - '0');
        ++i;
      }
      if (i >= src_.size() || (src_[i] != '<' && src_[i] != '>')) return false;
      fd = static_cast<int>(v);
      pos_ = i;
    }
    static constexpr std::array<std::string_view, 12> kOps = {"&>>", "&>", "<<<", "<<-", "<<", "<&",
                                                              "<>",  ">>", ">&",  ">|",  "<",  ">"};
    std::string_view op;
    for (std::string_view o : kOps) {
      if (o[0] == '&' && fd != -1) continue;
      if (at(o)) {
        op = o;
        break;
      }
    }
    // <( and >( are process substitutions, not redirections.
    if (op.empty() || ((op == "<" || op == ">") && peek(1) == '(')) {
      pos_ = save;
      return false;
    }
    pos_ += op.size();
    skip_blanks();
    Redirect r;
    r.op = std::string(op);
    r.fd = fd;
    r.offset = start;
    r.target = parse_word(Mode::Normal);
    if (r.target.parts.empty()) fail("expected a file name after `" + r.op + "'");
    if (op == "<<" || op == "<<-") {
      Heredoc h;
      std::optional<std::string> delim = r.target.static_value();
      if (!delim) {
        // bash uses the delimiter's text as written; $ and ` in it are not
        // expanded. Keep the raw text so the body is still found.
        delim = std::string(src_.substr(r.target.begin - base_, r.target.end - r.target.begin));
      }
      h.delimiter = std::move(*delim);
      h.quoted = r.target.has_quotes();
      h.strip_tabs = op == "<<-";
      r.heredoc = static_cast<int>(shared_.heredocs.size());
      shared_.heredocs.push_back(std::move(h));
      pending_.push_back(r.heredoc);
    }
    count_node();
    out.push_back(std::move(r));
    return true;
  }

  // Here-document bodies start after the newline that ends the line holding
  // their operators, in the order the operators appeared.
  void read_pending_heredocs() {
    for (int idx : pending_) {
      std::size_t body_begin = pos_;
      std::size_t line = pos_;
      std::size_t body_end = src_.size();
      std::size_t next = src_.size();
      Heredoc& h = shared_.heredocs[static_cast<std::size_t>(idx)];
      while (line < src_.size()) {
        std::size_t nl = src_.find('\n', line);
        std::size_t end = nl == std::string_view::npos ? src_.size() : nl;
        std::string_view text = src_.substr(line, end - line);
        if (h.strip_tabs) {
          while (!text.empty() && text.front() == '\t') text.remove_prefix(1);
        }
        if (text == h.delimiter) {
          body_end = line;
          next = nl == std::string_view::npos ? src_.size() : nl + 1;
          break;
        }
        line = nl == std::string_view::npos ? src_.size() : nl + 1;
      }
      std::string body(src_.substr(body_begin, body_end - body_begin));
      if (h.strip_tabs) {
        std::string stripped;
        bool at_line_start = true;
        for (char c : body) {
          if (at_line_start && c == '\t') continue;
          at_line_start = c == '\n';
          stripped += c;
        }
        body = std::move(stripped);
      }
      auto body_offset = base_ + static_cast<std::uint32_t>(body_begin);
      if (h.quoted) {
        WordPart p;
        p.kind = WordPart::Kind::SingleQuoted;
        p.offset = body_offset;
        p.text = std::move(body);
        h.body.parts.push_back(std::move(p));
      } else {
        Parser sub(body, body_offset, shared_, depth_);
        Word w = sub.parse_heredoc_text();
        // `shared_.heredocs` may have grown inside; look the entry up again.
        shared_.heredocs[static_cast<std::size_t>(idx)].body = std::move(w);
      }
      shared_.heredocs[static_cast<std::size_t>(idx)].body.begin = body_offset;
      pos_ = next;
    }
    pending_.clear();
  }

  // ---- words ---------------------------------------------------------------

  Word parse_word(Mode mode) {
    count_node();
    Word w;
    w.begin = offset();
    std::string lit;
    bool lit_glob = false;
    std::uint32_t lit_at = offset();
    auto flush = [&] {
      if (lit.empty()) return;
      WordPart p;
      p.kind = WordPart::Kind::Literal;
      p.glob = lit_glob;
      p.offset = lit_at;
      p.text = std::move(lit);
      w.parts.push_back(std::move(p));
      lit.clear();
      lit_glob = false;
    };
    auto quoted_char = [&](char c) {
      flush();
      if (!w.parts.empty() && w.parts.back().kind == WordPart::Kind::SingleQuoted &&
          w.parts.back().offset == 0xFFFFFFFFu) {
        w.parts.back().text += c;  // consecutive escapes, one part
        return;
      }
      WordPart p;
      p.kind = WordPart::Kind::SingleQuoted;
      p.offset = 0xFFFFFFFFu;  // marks an escape run; fixed below
      p.text = std::string(1, c);
      w.parts.push_back(std::move(p));
    };
    int parens = 0;
    int braces = 0;
    bool first = true;
    bool brace_checked = false;
    while (!eof()) {
      char c = peek();
      if (lit.empty()) lit_at = offset();
      if (mode == Mode::Normal) {
        if ((c == '<' || c == '>') && peek(1) == '(') {
          flush();
          w.parts.push_back(parse_process_sub());
          first = false;
          continue;
        }
        if (is_meta(c)) break;
      } else if (mode == Mode::CondRegex) {
        if (c == '(') {
          ++parens;
        } else if (c == ')' && parens > 0) {
          --parens;
        } else if (parens == 0 && (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' ||
                                   c == '<' || c == '>' || c == ')')) {
          break;
        }
      } else if (mode == Mode::ParamBody) {
        if (c == '{') ++braces;
        if (c == '}') {
          if (braces == 0) break;
          --braces;
        }
      }
      if (c == '\\') {
        char n = peek(1);
        if (n == '\n') {
          pos_ += 2;
          continue;
        }
        if (mode == Mode::HeredocBody && n != '$' && n != '`' && n != '\\') {
          lit += c;
          ++pos_;
          continue;
        }
        if (pos_ + 1 >= src_.size()) {
          lit += c;
          ++pos_;
          continue;
        }
        quoted_char(n);
        pos_ += 2;
        first = false;
        continue;
      }
      if (mode != Mode::HeredocBody) {
        if (c == '\'') {
          flush();
          w.parts.push_back(parse_single_quoted());
          first = false;
          continue;
        }
        if (c == '"') {
          flush();
          w.parts.push_back(parse_double_quoted(offset()));
          first = false;
          continue;
        }
      }
      if (c == '`') {
        flush();
        w.parts.push_back(parse_backtick(false));
        first = false;
        continue;
      }
      if (c == '$') {
        flush();
        parse_dollar(w.parts, mode == Mode::HeredocBody ? Ctx::Heredoc : Ctx::Word);
        first = false;
        continue;
      }
      if (mode == Mode::Normal || mode == Mode::CondRegex) {
        if (c == '~' && first) {
          flush();
          WordPart p;
          p.kind = WordPart::Kind::Tilde;
          p.offset = offset();
          ++pos_;
          while (!eof() && !is_meta(peek()) && peek() != '/' && peek() != '\'' && peek() != '"' &&
                 peek() != '$' && peek() != '`' && peek() != '\\') {
            p.text += peek();
            ++pos_;
          }
          w.parts.push_back(std::move(p));
          first = false;
          continue;
        }
        // [ is a pattern only when a ] closes it in the same word ("[" alone
        // is the test command).
        if (c == '*' || c == '?' || (c == '[' && bracket_closes())) lit_glob = true;
        if (c == '{' && !brace_checked && mode == Mode::Normal) {
          brace_checked = true;
          if (brace_expansion_ahead()) {
            flush();
            WordPart p;
            p.kind = WordPart::Kind::Brace;
            p.offset = offset();
            w.parts.push_back(std::move(p));
          }
        }
      }
      lit += c;
      ++pos_;
      first = false;
    }
    flush();
    for (WordPart& p : w.parts) {
      if (p.offset == 0xFFFFFFFFu) p.offset = w.begin;
    }
    w.end = offset();
    return w;
  }

  [[nodiscard]] bool bracket_closes() const {
    for (std::size_t i = pos_ + 1; i < src_.size() && !is_meta(src_[i]); ++i) {
      if (src_[i] == ']') return true;
    }
    return false;
  }

  // Whether the rest of the word, from this unquoted {, holds a brace
  // expansion ({a,b} or {1..3}): a group closed by } with a comma or .. at
  // its own level. Quotes inside count as text (bash expands {'a',b}).
  [[nodiscard]] bool brace_expansion_ahead() const {
    int depth = 0;
    bool sep = false;
    for (std::size_t i = pos_; i < src_.size(); ++i) {
      char c = src_[i];
      if (is_meta(c)) return false;
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c == '\'' || c == '"') {
        std::size_t close = src_.find(c, i + 1);
        if (close == std::string_view::npos) return false;
        i = close;
        continue;
      }
      if (c == '{') ++depth;
      if (c == '}' && depth > 0 && --depth == 0) {
        if (sep) return true;
        sep = false;  // {x} alone is text; a later group may still expand
      }
      if (depth == 1 && (c == ',' || (c == '.' && i + 1 < src_.size() && src_[i + 1] == '.'))) {
        sep = true;
      }
    }
    return false;
  }

  WordPart parse_single_quoted() {
    WordPart p;
    p.kind = WordPart::Kind::SingleQuoted;
    p.offset = offset();
    std::size_t close = src_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) fail("unterminated single quote");
    p.text = std::string(src_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return p;
  }

  WordPart parse_double_quoted(std::uint32_t open) {
    Deeper guard(*this);
    WordPart dq;
    dq.kind = WordPart::Kind::DoubleQuoted;
    dq.offset = open;
    ++pos_;
    std::string lit;
    std::uint32_t lit_at = offset();
    auto flush = [&] {
      if (lit.empty()) return;
      WordPart p;
      p.kind = WordPart::Kind::Literal;
      p.offset = lit_at;
      p.text = std::move(lit);
      dq.parts.push_back(std::move(p));
      lit.clear();
    };
    for (;;) {
      if (eof()) {
        pos_ = open - base_;
        fail("unterminated double quote");
      }
      char c = peek();
      if (lit.empty()) lit_at = offset();
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        char n = peek(1);
        if (n == '$' || n == '`' || n == '"' || n == '\\') {
          lit += n;
          pos_ += 2;
          continue;
        }
        if (n == '\n') {
          pos_ += 2;
          continue;
        }
        lit += c;
        ++pos_;
        continue;
      }
      if (c == '$') {
        flush();
        parse_dollar(dq.parts, Ctx::DoubleQuote);
        continue;
      }
      if (c == '`') {
        flush();
        dq.parts.push_back(parse_backtick(true));
        continue;
      }
      lit += c;
      ++pos_;
    }
    flush();
    return dq;
  }

  enum class Ctx : std::uint8_t { Word, DoubleQuote, Heredoc };

  void parse_dollar(std::vector<WordPart>& parts, Ctx ctx) {
    std::uint32_t start = offset();
    char n = peek(1);
    if (n == '\'' && ctx == Ctx::Word) {
      ++pos_;
      parts.push_back(parse_ansi_c(start));
      return;
    }
    if (n == '"' && ctx == Ctx::Word) {
      ++pos_;  // $"..." is a translated string: a double-quoted one here
      parts.push_back(parse_double_quoted(start));
      return;
    }
    if (n == '(') {
      if (peek(2) == '(' && !failed_arith_.contains(pos_)) {
        std::size_t save = pos_;
        pos_ += 3;
        try {
          parts.push_back(parse_arith(start));
          return;
        } catch (const Fail&) {
          // $( (a) ... ): a substitution that starts with a subshell. The
          // failure is remembered so that nested retries stay linear.
          pos_ = save;
          failed_arith_.insert(save);
        }
      }
      pos_ += 2;
      parts.push_back(parse_substitution(WordPart::Kind::CommandSub, start, "$("));
      return;
    }
    if (n == '{') {
      pos_ += 2;
      Deeper guard(*this);
      WordPart p;
      p.kind = WordPart::Kind::Param;
      p.offset = start;
      std::size_t body_begin = pos_;
      Word operand = parse_word(Mode::ParamBody);
      if (peek() != '}') {
        pos_ = start - base_;
        fail("expected `}' to close `${'");
      }
      p.text = std::string(src_.substr(body_begin, pos_ - body_begin));
      p.parts = std::move(operand.parts);
      ++pos_;
      parts.push_back(std::move(p));
      return;
    }
    if (n == '[') {
      // $[ expr ]: the old arithmetic form.
      std::size_t close = src_.find(']', pos_ + 2);
      if (close == std::string_view::npos) fail("expected `]' to close `$['");
      WordPart p;
      p.kind = WordPart::Kind::Arith;
      p.offset = start;
      p.text = std::string(src_.substr(pos_ + 2, close - pos_ - 2));
      pos_ = close + 1;
      parts.push_back(std::move(p));
      return;
    }
    WordPart p;
    p.kind = WordPart::Kind::Param;
    p.offset = start;
    if (is_name_start(n)) {
      std::size_t i = pos_ + 1;
      while (i < src_.size() && is_name_char(src_[i])) ++i;
      p.text = std::string(src_.substr(pos_ + 1, i - pos_ - 1));
      pos_ = i;
      parts.push_back(std::move(p));
      return;
    }
    if (is_digit(n) || n == '@' || n == '*' || n == '#' || n == '?' || n == '-' || n == '$' ||
        n == '!') {
      p.text = std::string(1, n);
      pos_ += 2;
      parts.push_back(std::move(p));
      return;
    }
    // A lone $ is text.
    WordPart lit;
    lit.kind = WordPart::Kind::Literal;
    lit.offset = start;
    lit.text = "$";
    ++pos_;
    parts.push_back(std::move(lit));
  }

  WordPart parse_substitution(WordPart::Kind kind, std::uint32_t start, std::string_view what) {
    Deeper guard(*this);
    WordPart p;
    p.kind = kind;
    p.offset = start;
    p.body = parse_list();
    skip_linebreaks();
    if (peek() != ')') {
      fail("expected `)' to close `" + std::string(what) + "' at byte " + std::to_string(start));
    }
    ++pos_;
    return p;
  }

  WordPart parse_process_sub() {
    std::uint32_t start = offset();
    char dir = peek();
    pos_ += 2;
    WordPart p = parse_substitution(WordPart::Kind::ProcessSub, start, dir == '<' ? "<(" : ">(");
    p.text = std::string(1, dir);
    return p;
  }

  // After `((` or `$((`: the expression up to the matching `))`.
  WordPart parse_arith(std::uint32_t start) {
    Deeper guard(*this);
    WordPart p;
    p.kind = WordPart::Kind::Arith;
    p.offset = start;
    std::size_t begin = pos_;
    int depth = 0;
    std::string lit;
    auto flush = [&] {
      if (lit.empty()) return;
      WordPart l;
      l.kind = WordPart::Kind::Literal;
      l.offset = offset();
      l.text = std::move(lit);
      p.parts.push_back(std::move(l));
      lit.clear();
    };
    for (;;) {
      if (eof()) fail("expected `))' to close `((' at byte " + std::to_string(start));
      char c = peek();
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == 0) {
          if (peek(1) != ')') fail("expected `))' to close `((' at byte " + std::to_string(start));
          p.text = std::string(src_.substr(begin, pos_ - begin));
          pos_ += 2;
          flush();
          return p;
        }
        --depth;
      } else if (c == '$') {
        flush();
        parse_dollar(p.parts, Ctx::DoubleQuote);
        continue;
      } else if (c == '`') {
        flush();
        p.parts.push_back(parse_backtick(false));
        continue;
      } else if (c == '"') {
        flush();
        p.parts.push_back(parse_double_quoted(offset()));
        continue;
      } else if (c == '\'') {
        flush();
        p.parts.push_back(parse_single_quoted());
        continue;
      } else if (c == '\\' && peek(1) == '\n') {
        pos_ += 2;
        continue;
      }
      lit += c;
      ++pos_;
    }
  }

  // `...`: backslash escapes \\ \` \$ (and \" inside double quotes) are
  // removed, then the text is parsed as a script of its own.
  WordPart parse_backtick(bool in_double_quotes) {
    Deeper guard(*this);
    WordPart p;
    p.kind = WordPart::Kind::CommandSub;
    p.backtick = true;
    p.offset = offset();
    ++pos_;
    std::string inner;
    for (;;) {
      if (eof()) {
        pos_ = p.offset - base_;
        fail("unterminated backquote");
      }
      char c = peek();
      if (c == '`') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        char n = peek(1);
        if (n == '`' || n == '\\' || n == '$' || (in_double_quotes && n == '"')) {
          inner += n;
          pos_ += 2;
          continue;
        }
      }
      inner += c;
      ++pos_;
    }
    // Offsets inside are offsets into the unescaped text (kept in `text`);
    // an error is reported at the backquote.
    Parser sub(inner, 0, shared_, depth_);
    try {
      p.body = sub.parse_program();
    } catch (const Fail& f) {
      throw Fail{p.offset, f.message + " (inside backquotes)"};
    }
    p.text = std::move(inner);
    return p;
  }

  // $'...': ANSI-C escapes, decoded as bash does. A NUL ends the string
  // (bash's strings are C strings).
  WordPart parse_ansi_c(std::uint32_t start) {
    WordPart p;
    p.kind = WordPart::Kind::AnsiC;
    p.offset = start;
    ++pos_;  // the opening quote
    std::string out;
    bool truncated = false;
    auto put = [&](std::uint32_t cp, bool raw_byte) {
      if (truncated) return;
      if (cp == 0) {
        truncated = true;
        return;
      }
      if (raw_byte) {
        out += static_cast<char>(cp);
      } else {
        append_utf8(out, cp);
      }
    };
    for (;;) {
      if (eof()) {
        pos_ = start - base_;
        fail("unterminated $'");
      }
      char c = peek();
      if (c == '\'') {
        ++pos_;
        break;
      }
      if (c != '\\') {
        put(static_cast<unsigned char>(c), true);
        ++pos_;
        continue;
      }
      char e = peek(1);
      pos_ += 2;
      switch (e) {
        case 'a': put(7, true); break;
        case 'b': put(8, true); break;
        case 'e':
        case 'E': put(27, true); break;
        case 'f': put(12, true); break;
        case 'n': put(10, true); break;
        case 'r': put(13, true); break;
        case 't': put(9, true); break;
        case 'v': put(11, true); break;
        case '\\': put('\\', true); break;
        case '\'': put('\'', true); break;
        case '"': put('"', true); break;
        case '?': put('?', true); break;
        case 'c': {
          char x = peek();
          if (eof()) {
            put('\\', true);
            put('c', true);
            break;
          }
          ++pos_;
          put(static_cast<unsigned char>(x) & 0x1F, true);
          break;
        }
        case 'x':
        case 'u':
        case 'U': {
          int max = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          std::uint32_t v = 0;
          int n = 0;
          while (n < max && hex_value(peek()) >= 0) {
            v = v * 16 + static_cast<std::uint32_t>(hex_value(peek()));
            ++pos_;
            ++n;
          }
          if (n == 0) {
            put('\\', true);
            put(static_cast<unsigned char>(e), true);
          } else {
            put(v, e == 'x');
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            std::uint32_t v = static_cast<std::uint32_t>(e - '0');
            for (int n = 1; n < 3 && peek() >= '0' && peek() <= '7'; ++n) {
              v = v * 8 + static_cast<std::uint32_t>(peek() - '0');
              ++pos_;
            }
            put(v & 0xFF, true);
          } else {
            put('\\', true);
            if (e != '\0') put(static_cast<unsigned char>(e), true);
          }
      }
    }
    p.text = std::move(out);
    return p;
  }

  std::string_view src_;
  std::uint32_t base_;
  Shared& shared_;
  int depth_;
  std::size_t pos_ = 0;
  std::vector<int> pending_;
  std::unordered_set<std::size_t> failed_arith_;
};

void collect_static(const std::vector<WordPart>& parts, std::string& out, bool& ok) {
  for (const WordPart& p : parts) {
    switch (p.kind) {
      case WordPart::Kind::Literal:
      case WordPart::Kind::SingleQuoted:
      case WordPart::Kind::AnsiC: out += p.text; break;
      case WordPart::Kind::Tilde:
        out += '~';
        out += p.text;
        break;
      case WordPart::Kind::DoubleQuoted: collect_static(p.parts, out, ok); break;
      default: ok = false; return;
    }
    if (!ok) return;
  }
}

}  // namespace

std::optional<std::string> Word::static_value() const {
  std::string out;
  bool ok = true;
  collect_static(parts, out, ok);
  if (!ok) return std::nullopt;
  return out;
}

bool Word::has_quotes() const {
  for (const WordPart& p : parts) {
    if (p.kind == WordPart::Kind::SingleQuoted || p.kind == WordPart::Kind::DoubleQuoted ||
        p.kind == WordPart::Kind::AnsiC) {
      return true;
    }
  }
  return false;
}

bool Redirect::writes() const {
  if (op == ">" || op == ">>" || op == ">|" || op == "<>" || op == "&>" || op == "&>>") return true;
  if (op == ">&") {
    std::optional<std::string> v = target.static_value();
    if (!v) return true;  // >&$X: a file name or an fd, not known before run time
    if (*v == "-") return false;
    bool digits = !v->empty();
    for (char c : *v) digits = digits && is_digit(c);
    return !digits;
  }
  return false;
}

ParseResult parse(std::string_view source, const ParseLimits& limits) {
  if (source.size() > limits.max_bytes) {
    return ParseError{limits.max_bytes,
                      "command longer than " + std::to_string(limits.max_bytes) + " bytes"};
  }
  // bash reads its input as C strings: a NUL byte is dropped or ends the
  // text depending on how the command reaches bash, so what runs cannot be
  // known from the bytes given.
  if (std::size_t nul = source.find('\0'); nul != std::string_view::npos) {
    return ParseError{nul, "NUL byte in the command"};
  }
  Shared shared{limits, {}, 0};
  try {
    Parser p(source, 0, shared, 0);
    Parsed out;
    out.statements = p.parse_program();
    out.heredocs = std::move(shared.heredocs);
    return out;
  } catch (const Fail& f) {
    return ParseError{f.offset, f.message};
  }
}

}  // namespace cordon::shell
