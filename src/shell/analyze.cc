// From the syntax tree to the list of simple commands that will run.
//
// The walk follows bash's order of evaluation closely enough for judging:
// substitutions in a command's words run before the command (and are not
// its children: allowing `echo` must not allow what `echo $(...)` runs), a
// wrapper's inner command is its child (allowing `bash -c` explicitly allows
// what it runs), function definitions are scoped like bash's (a definition
// in a subshell or a pipeline stage does not outlive it).
#include "shell/analyze.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace cordon::shell {

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::string raw_text(std::string_view src, const Word& w) {
  if (w.begin >= src.size() || w.end <= w.begin) return "<computed>";
  return std::string(src.substr(w.begin, std::min<std::size_t>(w.end, src.size()) - w.begin));
}

bool has_brace(const std::vector<WordPart>& parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [](const WordPart& p) { return p.kind == WordPart::Kind::Brace; });
}

bool has_glob(const std::vector<WordPart>& parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [](const WordPart& p) { return p.kind == WordPart::Kind::Literal && p.glob; });
}

// Options of a wrapper, skipped to find the command it runs. `with_arg`
// lists the short options that take a value, `long_with_arg` the long ones
// (--name value; --name=value needs no entry). Returns the index of the
// first operand, or nullopt when an argument in option position is not
// static (what follows cannot be known).
std::optional<std::size_t> skip_options(const std::vector<Arg>& argv, std::size_t i,
                                        std::string_view with_arg,
                                        std::initializer_list<std::string_view> long_with_arg) {
  for (; i < argv.size(); ++i) {
    const Arg& a = argv[i];
    if (!a.is_static) return std::nullopt;
    const std::string& t = a.text;
    if (t == "--") return i + 1;
    if (t.size() < 2 || t[0] != '-') return i;
    if (t[1] == '-') {
      if (t.find('=') == std::string::npos &&
          std::find(long_with_arg.begin(), long_with_arg.end(), std::string_view(t).substr(2)) !=
              long_with_arg.end()) {
        ++i;
      }
      continue;
    }
    for (std::size_t k = 1; k < t.size(); ++k) {
      if (with_arg.find(t[k]) != std::string_view::npos) {
        if (k + 1 == t.size()) ++i;  // the value is the next argument
        break;                       // else the rest of the cluster is the value
      }
    }
  }
  return argv.size();
}

bool is_name(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// NAME=value (or NAME+=value) in an argument: the NAME, or empty.
std::string_view assigned_name(std::string_view arg) {
  std::size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) return {};
  std::string_view name = arg.substr(0, eq);
  if (name.back() == '+') name.remove_suffix(1);
  if (std::size_t br = name.find('['); br != std::string_view::npos) name = name.substr(0, br);
  return is_name(name) ? name : std::string_view{};
}

class Walker {
 public:
  Walker(Analysis& out, std::string_view src, const AnalyzeOptions& options, int reparse,
         std::optional<std::uint32_t> fixed_offset)
      : out_(out), src_(src), options_(options), reparse_(reparse), fixed_offset_(fixed_offset) {
    scopes_.emplace_back();
  }

  void list(const std::vector<Node>& nodes, int parent, std::string_view via,
            const std::vector<Heredoc>& heredocs) {
    heredocs_ = &heredocs;
    walk_list(nodes, parent, via);
  }

 private:
  using Scope = std::map<std::string, bool, std::less<>>;  // function name -> defined for sure

  struct Conditional {
    explicit Conditional(Walker& w) : w_(w) { ++w_.conditional_; }
    ~Conditional() { --w_.conditional_; }
    Conditional(const Conditional&) = delete;
    Conditional& operator=(const Conditional&) = delete;

   private:
    Walker& w_;
  };
  // A subshell's definitions do not outlive it.
  struct Subshell {
    explicit Subshell(Walker& w) : w_(w) { w_.scopes_.push_back(w_.scopes_.back()); }
    ~Subshell() { w_.scopes_.pop_back(); }
    Subshell(const Subshell&) = delete;
    Subshell& operator=(const Subshell&) = delete;

   private:
    Walker& w_;
  };

  std::uint32_t at(std::uint32_t offset) const { return fixed_offset_.value_or(offset); }

  void walk_list(const std::vector<Node>& nodes, int parent, std::string_view via) {
    for (const Node& n : nodes) walk(n, parent, via);
  }

  void walk(const Node& n, int parent, std::string_view via) {
    switch (n.kind) {
      case Node::Kind::Simple: simple(n, parent, via); return;
      case Node::Kind::Pipeline:
        for (const Node& c : n.children) {
          if (n.children.size() > 1) {
            Subshell s(*this);
            walk(c, parent, via);
          } else {
            walk(c, parent, via);
          }
        }
        break;
      case Node::Kind::AndOr:
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          if (i == 0) {
            walk(n.children[i], parent, via);
          } else {
            Conditional c(*this);
            walk(n.children[i], parent, via);
          }
        }
        break;
      case Node::Kind::Subshell: {
        Subshell s(*this);
        walk_list(n.children, parent, via);
        break;
      }
      case Node::Kind::Group: walk_list(n.children, parent, via); break;
      case Node::Kind::If:
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          if (i == 0) {
            walk(n.children[i], parent, via);
          } else {
            Conditional c(*this);
            walk(n.children[i], parent, via);
          }
        }
        break;
      case Node::Kind::While:
        if (!n.children.empty()) walk(n.children[0], parent, via);
        for (std::size_t i = 1; i < n.children.size(); ++i) {
          Conditional c(*this);
          walk(n.children[i], parent, via);
        }
        break;
      case Node::Kind::For:
      case Node::Kind::Select:
      case Node::Kind::ArithFor: {
        for (const Word& w : n.words) substitutions(w);
        Conditional c(*this);
        walk_list(n.children, parent, via);
        break;
      }
      case Node::Kind::Case: {
        for (const Word& w : n.words) substitutions(w);
        Conditional c(*this);
        for (const CaseItem& item : n.items) {
          for (const Word& w : item.patterns) substitutions(w);
          walk_list(item.body, parent, via);
        }
        break;
      }
      case Node::Kind::Function: {
        // The body is judged where it is defined (it may be called from
        // anywhere, trap included); a call by name is then resolved to it.
        scopes_.back()[n.name] = conditional_ == 0;
        Conditional c(*this);
        std::string v = "function " + n.name;
        walk_list(n.children, -1, v);
        break;
      }
      case Node::Kind::Arith:
      case Node::Kind::Cond:
        for (const Word& w : n.words) substitutions(w);
        break;
      case Node::Kind::Coproc: {
        out_.unseeable.push_back(
            "coproc runs a command in the background with its input and output "
            "connected to the shell");
        Subshell s(*this);
        walk_list(n.children, parent, via);
        break;
      }
    }
    redirects(n.redirects, -1);
  }

  // ---- words ---------------------------------------------------------------

  void substitutions(const Word& w) { substitutions(w.parts); }
  void substitutions(const std::vector<WordPart>& parts) {
    for (const WordPart& p : parts) {
      switch (p.kind) {
        case WordPart::Kind::CommandSub: {
          Subshell s(*this);
          if (p.backtick) {
            // The body was parsed from the text with its escapes removed.
            std::string_view outer = src_;
            std::optional<std::uint32_t> outer_offset = fixed_offset_;
            src_ = p.text;
            fixed_offset_ = at(p.offset);
            walk_list(p.body, -1, "`...`");
            src_ = outer;
            fixed_offset_ = outer_offset;
          } else {
            walk_list(p.body, -1, "$(...)");
          }
          break;
        }
        case WordPart::Kind::ProcessSub: {
          out_.unseeable.push_back("process substitution " + p.text +
                                   "(...): a command's input or output is another command");
          Subshell s(*this);
          walk_list(p.body, -1, p.text + "(...)");
          break;
        }
        case WordPart::Kind::DoubleQuoted:
        case WordPart::Kind::Param:
        case WordPart::Kind::Arith: substitutions(p.parts); break;
        default: break;
      }
    }
  }

  Arg to_arg(const Word& w) const {
    Arg a;
    std::optional<std::string> v = w.static_value();
    if (v && !has_brace(w.parts)) {
      a.text = std::move(*v);
      a.glob = has_glob(w.parts);
    } else {
      a.text = raw_text(src_, w);
      a.is_static = false;
      a.option_safe = option_safe(w);
      a.quoted = !w.parts.empty() && quoted_rest(w, &w.parts.front());
    }
    return a;
  }

  static bool option_safe(const Word& w) {
    std::string prefix;
    for (const WordPart& p : w.parts) {
      switch (p.kind) {
        case WordPart::Kind::Literal:
          if (p.glob) return false;
          [[fallthrough]];
        case WordPart::Kind::SingleQuoted:
        case WordPart::Kind::AnsiC: prefix += p.text; break;
        case WordPart::Kind::DoubleQuoted: {
          for (const WordPart& q : p.parts) {
            if (q.kind != WordPart::Kind::Literal) {
              return !prefix.empty() &&
                     (prefix[0] != '-' || prefix.find('=') != std::string::npos) &&
                     quoted_rest(w, &p);
            }
            prefix += q.text;
          }
          break;
        }
        default: return false;  // an unquoted expansion: word splitting
      }
    }
    return false;
  }
  // Whether every part from `from` on is quoted or plain text.
  static bool quoted_rest(const Word& w, const WordPart* from) {
    bool seen = false;
    for (const WordPart& p : w.parts) {
      if (&p == from) seen = true;
      if (!seen) continue;
      bool ok = p.kind == WordPart::Kind::DoubleQuoted || p.kind == WordPart::Kind::SingleQuoted ||
                p.kind == WordPart::Kind::AnsiC || (p.kind == WordPart::Kind::Literal && !p.glob);
      if (!ok) return false;
    }
    return true;
  }

  // Redirection targets and here-documents are expanded before the command runs.
  void redirect_substitutions(const std::vector<Redirect>& rs) {
    for (const Redirect& r : rs) {
      substitutions(r.target);
      if (r.heredoc >= 0 && heredocs_ != nullptr &&
          static_cast<std::size_t>(r.heredoc) < heredocs_->size()) {
        substitutions((*heredocs_)[static_cast<std::size_t>(r.heredoc)].body);
      }
    }
  }

  void redirects(const std::vector<Redirect>& rs, int command) {
    redirect_substitutions(rs);
    record_writes(rs, command);
  }

  void record_writes(const std::vector<Redirect>& rs, int command) {
    for (const Redirect& r : rs) {
      if (!r.writes()) continue;
      Write w;
      Arg a = to_arg(r.target);
      w.target = a.text;
      w.is_static = a.is_static && !a.glob;
      w.how = r.op;
      w.command = command;
      w.offset = at(r.offset);
      out_.writes.push_back(std::move(w));
    }
  }

  // ---- simple commands -----------------------------------------------------

  void simple(const Node& n, int parent, std::string_view via) {
    for (const Assignment& a : n.assignments) {
      substitutions(a.value);
      for (const Word& w : a.array) substitutions(w);
    }
    for (const Word& w : n.words) substitutions(w);
    redirect_substitutions(n.redirects);
    if (n.words.empty()) {
      for (const Assignment& a : n.assignments) env_assignment(a.name);
      record_writes(n.redirects, -1);
      return;
    }
    std::vector<Arg> argv;
    argv.reserve(n.words.size());
    for (const Word& w : n.words) argv.push_back(to_arg(w));
    std::vector<std::string> env;
    for (const Assignment& a : n.assignments) env.push_back(a.name);
    if (argv[0].is_static && !argv[0].glob) {
      auto f = scopes_.back().find(argv[0].text);
      if (f != scopes_.back().end() && f->second) {
        // A call of a function defined for sure: its body was judged at the
        // definition; the name is not a program.
        record_writes(n.redirects, -1);
        return;
      }
    }
    int idx = emit(std::move(argv), std::move(env), parent, via, at(n.offset), false, false);
    record_writes(n.redirects, idx);
  }

  void env_assignment(std::string_view name) {
    if (is_dangerous_env(name)) {
      out_.unseeable.push_back("assigning " + std::string(name) +
                               " changes what later commands run or load");
    }
  }

  int emit_unknown(int parent, std::string_view via, std::string text, bool privileged) {
    Command c;
    c.argv.push_back(Arg{std::move(text), false, false});
    c.parent = parent;
    c.via = std::string(via);
    c.dynamic_command = true;
    c.privileged = privileged;
    c.offset = parent >= 0 ? out_.commands[static_cast<std::size_t>(parent)].offset : 0;
    out_.commands.push_back(std::move(c));
    return static_cast<int>(out_.commands.size() - 1);
  }

  // Records one command and what it runs in turn (wrappers, shells, eval).
  int emit(std::vector<Arg> argv, std::vector<std::string> env, int parent, std::string_view via,
           std::uint32_t offset, bool dynamic_args, bool privileged) {
    auto idx = static_cast<int>(out_.commands.size());
    {
      Command c;
      c.argv = std::move(argv);
      c.env = std::move(env);
      c.parent = parent;
      c.via = std::string(via);
      c.offset = offset;
      c.dynamic_args = dynamic_args;
      c.privileged = privileged;
      c.dynamic_command = c.argv.empty() || !c.argv[0].is_static || c.argv[0].glob;
      out_.commands.push_back(std::move(c));
    }
    auto cmd = [this, idx]() -> Command& { return out_.commands[static_cast<std::size_t>(idx)]; };
    if (cmd().dynamic_command) return idx;
    cmd().flags = scan_exec_flags(cmd().argv, cmd().env);
    for (const ArgWrite& w : write_targets(cmd().argv)) {
      const Arg& a = cmd().argv[w.arg];
      Write wr;
      wr.target = a.text.substr(std::min(w.skip, a.text.size()));
      wr.is_static = a.is_static && !a.glob;
      wr.how = std::string(w.how);
      wr.command = idx;
      wr.offset = offset;
      out_.writes.push_back(std::move(wr));
    }
    const std::vector<Arg> args = cmd().argv;  // copy: emit() below grows out_.commands
    std::string tool(basename_of(args[0].text));
    bool builtin_name = args[0].text.find('/') == std::string::npos;

    auto run = [&](std::size_t from, std::string_view how, bool dyn_args, bool priv,
                   std::vector<std::string> inner_env = {}) {
      cmd().transparent = !priv;
      if (from >= args.size()) {
        cmd().transparent = false;  // nothing to run: the wrapper alone
        return;
      }
      std::vector<Arg> inner(args.begin() + static_cast<std::ptrdiff_t>(from), args.end());
      emit(std::move(inner), std::move(inner_env), idx, how, offset, dyn_args || dynamic_args,
           priv || privileged);
    };
    auto run_opts = [&](std::optional<std::size_t> from, std::string_view how, bool dyn_args,
                        bool priv) {
      if (!from) {
        cmd().transparent = !priv;
        emit_unknown(idx, how, "<computed>", priv || privileged);
        return;
      }
      run(*from, how, dyn_args, priv);
    };

    if (builtin_name) {
      if (tool == "eval") {
        cmd().opaque = "eval runs its arguments as shell code";
        std::string code;
        bool all_static = true;
        for (std::size_t i = 1; i < args.size(); ++i) {
          all_static = all_static && args[i].is_static;
          if (i > 1) code += ' ';
          code += args[i].text;
        }
        if (all_static) reparse(code, idx, "eval", false, false);
        return idx;
      }
      if (tool == "source" || tool == ".") {
        cmd().opaque = "runs the commands in " + (args.size() > 1 ? args[1].text : "a file");
        return idx;
      }
      if (tool == "alias") {
        cmd().opaque = "alias changes what a command name runs";
        return idx;
      }
      if (tool == "trap") {
        if (args.size() >= 3 && args[1].text != "-" && !args[1].text.empty()) {
          cmd().opaque = "trap runs its argument as shell code later";
          if (args[1].is_static) reparse(args[1].text, idx, "trap", false, false);
        }
        return idx;
      }
      if (tool == "fc") {
        cmd().opaque = "fc runs commands from the history";
        return idx;
      }
      if ((tool == "enable" || tool == "hash" || tool == "mapfile" || tool == "readarray")) {
        std::string_view bad = tool == "enable" ? "-f" : (tool == "hash" ? "-p" : "-C");
        for (const Arg& a : args) {
          if (!a.is_static || (a.text.starts_with(bad) && a.text.size() <= bad.size() + 1)) {
            cmd().opaque = tool + " " + std::string(bad) + " makes a name run other code";
          }
        }
        return idx;
      }
      if (tool == "export" || tool == "declare" || tool == "typeset" || tool == "local" ||
          tool == "readonly") {
        for (std::size_t i = 1; i < args.size(); ++i) {
          std::string_view name = assigned_name(args[i].text);
          if (!name.empty()) env_assignment(name);
          if (!args[i].is_static && name.empty()) {
            out_.unseeable.push_back(tool + " with a computed argument may assign any variable");
          }
        }
        return idx;
      }
      if (tool == "unset") {
        for (std::size_t i = 1; i < args.size(); ++i) {
          if (!args[i].text.starts_with('-')) {
            for (Scope& s : scopes_) s.erase(args[i].text);
          }
        }
        return idx;
      }
      if (tool == "builtin") {
        run(1, "builtin", false, false);
        return idx;
      }
      if (tool == "command") {
        for (std::size_t i = 1; i < args.size() && args[i].text.starts_with('-'); ++i) {
          if (args[i].text.find_first_of("vV") != std::string::npos) return idx;  // a lookup
        }
        run_opts(skip_options(args, 1, "", {}), "command", false, false);
        return idx;
      }
      if (tool == "exec") {
        run_opts(skip_options(args, 1, "a", {}), "exec", false, false);
        return idx;
      }
    }

    if (tool == "env") {
      std::optional<std::size_t> from =
          skip_options(args, 1, "uCS", {"unset", "chdir", "split-string"});
      for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& t = args[i].text;
        if (t == "-S" || t == "--split-string" || t.starts_with("--split-string=") ||
            (t.starts_with("-S") && t.size() > 2)) {
          cmd().opaque = "env -S splits a string into a command";
          std::string s = t.size() > 2 && t[1] == 'S' ? t.substr(2)
                          : t.find('=') != std::string::npos
                              ? t.substr(t.find('=') + 1)
                              : (i + 1 < args.size() ? args[i + 1].text : std::string());
          reparse(s, idx, "env -S", false, false);
          return idx;
        }
      }
      if (!from) {
        run_opts(from, "env", false, false);
        return idx;
      }
      std::vector<std::string> names;
      std::size_t i = *from;
      for (; i < args.size(); ++i) {
        std::string_view name = assigned_name(args[i].text);
        if (name.empty() && args[i].is_static) break;
        if (name.empty()) {
          // A computed argument: an assignment or the command, unknown.
          emit_unknown(idx, "env", args[i].text, privileged);
          cmd().transparent = true;
          return idx;
        }
        names.emplace_back(name);
      }
      // env's own assignments are flags of env (the dangerous ones).
      for (const FlagHit& h : scan_exec_flags({args[0]}, names)) {
        if (exec_flag_table()[h.row].match == FlagMatch::Env) cmd().flags.push_back(h);
      }
      run(i, "env", false, false, names);
      return idx;
    }
    if (tool == "nice") {
      run_opts(skip_options(args, 1, "n", {"adjustment"}), "nice", false, false);
    } else if (tool == "nohup" || tool == "setsid") {
      run_opts(skip_options(args, 1, "", {}), tool, false, false);
    } else if (tool == "timeout") {
      std::optional<std::size_t> from = skip_options(args, 1, "sk", {"signal", "kill-after"});
      if (from) ++*from;  // the duration
      run_opts(from, "timeout", false, false);
    } else if (tool == "time") {
      run_opts(skip_options(args, 1, "fo", {"format", "output"}), "time", false, false);
    } else if (tool == "stdbuf") {
      run_opts(skip_options(args, 1, "ioe", {"input", "output", "error"}), "stdbuf", false, false);
    } else if (tool == "ionice") {
      for (const Arg& a : args) {
        if (a.text == "-p" || a.text == "-P" || a.text == "--pid" || a.text == "--pgid") return idx;
      }
      run_opts(skip_options(args, 1, "cnu", {"class", "classdata", "uid"}), "ionice", false, false);
    } else if (tool == "chrt") {
      for (const Arg& a : args) {
        if (a.text == "-p" || a.text == "--pid" || a.text == "-m" || a.text == "--max") return idx;
      }
      std::optional<std::size_t> from =
          skip_options(args, 1, "TPD", {"sched-runtime", "sched-period", "sched-deadline"});
      if (from) ++*from;  // the priority
      run_opts(from, "chrt", false, false);
    } else if (tool == "taskset") {
      for (const Arg& a : args) {
        if (a.text.starts_with("-") && !a.text.starts_with("--") &&
            a.text.find('p') != std::string::npos) {
          return idx;  // -p: an existing process
        }
      }
      std::optional<std::size_t> from = skip_options(args, 1, "", {});
      if (from) ++*from;  // the mask or cpu list
      run_opts(from, "taskset", false, false);
    } else if (tool == "busybox") {
      run(1, "busybox", false, false);
    } else if (tool == "sudo" || tool == "doas") {
      cmd().privileged = true;
      for (const Arg& a : args) {
        if (a.text == "-e" || a.text == "--edit") {
          cmd().opaque = "sudo -e edits files as root";
          return idx;
        }
      }
      std::optional<std::size_t> from =
          tool == "sudo" ? skip_options(args, 1, "ugpCDhrtTUR",
                                        {"user", "group", "prompt", "close-from", "chdir", "host",
                                         "role", "type", "command-timeout", "other-user", "chroot"})
                         : skip_options(args, 1, "uC", {});
      std::vector<std::string> names;
      if (from) {
        while (*from < args.size() && !assigned_name(args[*from].text).empty()) {
          names.emplace_back(assigned_name(args[*from].text));
          ++*from;
        }
      }
      cmd().privileged = true;
      if (!from) {
        emit_unknown(idx, tool, "<computed>", true);
      } else if (*from < args.size()) {
        std::vector<Arg> inner(args.begin() + static_cast<std::ptrdiff_t>(*from), args.end());
        emit(std::move(inner), std::move(names), idx, tool, offset, dynamic_args, true);
      }
    } else if (tool == "su") {
      cmd().privileged = true;
      for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& t = args[i].text;
        std::optional<std::string> code;
        bool computed = false;
        if ((t == "-c" || t == "--command") && i + 1 < args.size()) {
          code = args[i + 1].text;
          computed = !args[i + 1].is_static;
        } else if (t.starts_with("--command=")) {
          code = t.substr(10);
          computed = !args[i].is_static;
        }
        if (code) {
          if (computed) {
            emit_unknown(idx, "su -c", *code, true);
          } else {
            reparse(*code, idx, "su -c", false, true);
          }
          return idx;
        }
      }
      cmd().opaque = "su starts a shell that reads commands from its input";
    } else if (tool == "xargs") {
      run_opts(skip_options(args, 1, "aEdILnPs",
                            {"arg-file", "delimiter", "max-lines", "max-args", "max-procs",
                             "max-chars", "process-slot-var", "eof"}),
               "xargs", true, false);
    } else if (tool == "find") {
      for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& t = args[i].text;
        if (t != "-exec" && t != "-execdir" && t != "-ok" && t != "-okdir") continue;
        std::size_t j = i + 1;
        while (j < args.size() && args[j].text != ";" && args[j].text != "+") ++j;
        std::vector<Arg> inner(args.begin() + static_cast<std::ptrdiff_t>(i + 1),
                               args.begin() + static_cast<std::ptrdiff_t>(j));
        if (!inner.empty()) {
          emit(std::move(inner), {}, idx, "find " + t, offset, true, privileged);
        }
        i = j;
      }
    } else if (tool == "watch") {
      bool exec = false;
      for (std::size_t i = 1; i < args.size() && args[i].text.starts_with('-'); ++i) {
        if (args[i].text == "-x" || args[i].text == "--exec") exec = true;
      }
      std::optional<std::size_t> from = skip_options(args, 1, "nq", {"interval", "equexit"});
      if (exec || !from) {
        run_opts(from, "watch", false, false);
      } else {
        run_joined(idx, *from, args.size(), "watch", false);
      }
    } else if (tool == "parallel") {
      std::optional<std::size_t> from =
          skip_options(args, 1, "jSadEICnNLP",
                       {"jobs", "sshlogin", "arg-file", "delimiter", "colsep", "joblog", "results",
                        "tmpdir", "workdir", "timeout", "retries", "max-args", "max-replace-args"});
      std::size_t end = args.size();
      if (from) {
        for (std::size_t i = *from; i < args.size(); ++i) {
          if (args[i].text.starts_with(":::")) {
            end = i;
            break;
          }
        }
        run_joined(idx, *from, end, "parallel", true);
      } else {
        run_opts(from, "parallel", true, false);
      }
    } else if (tool == "bash" || tool == "sh" || tool == "dash" || tool == "zsh" || tool == "ksh" ||
               tool == "mksh" || tool == "ash" || tool == "yash" || tool == "posh" ||
               tool == "fish") {
      shell(idx, args, tool);
    }
    return idx;
  }

  // `bash [options] -c 'string' [$0 args...]`, or a script file, or stdin.
  void shell(int idx, const std::vector<Arg>& args, const std::string& tool) {
    auto cmd = [this, idx]() -> Command& { return out_.commands[static_cast<std::size_t>(idx)]; };
    bool has_c = false;
    std::size_t i = 1;
    for (; i < args.size(); ++i) {
      const Arg& a = args[i];
      if (!a.is_static) {
        emit_unknown(idx, tool, a.text, cmd().privileged);
        cmd().transparent = true;
        return;
      }
      const std::string& t = a.text;
      if (t == "--") {
        ++i;
        break;
      }
      if (t.starts_with("--")) {
        if (t == "--rcfile" || t == "--init-file") ++i;
        if (t == "--command") has_c = true;  // fish
        continue;
      }
      if ((t[0] == '-' || t[0] == '+') && t.size() > 1) {
        for (std::size_t k = 1; k < t.size(); ++k) {
          if (t[k] == 'c') has_c = true;
          if (t[k] == 'i' && t[0] == '-') {
            cmd().opaque = "an interactive " + tool + " reads its rc files and expands aliases";
          }
          if (t[k] == 'o' || t[k] == 'O') ++i;  // -o pipefail
        }
        continue;
      }
      break;
    }
    if (!has_c) {
      cmd().opaque = i < args.size() ? "runs the script file " + args[i].text
                                     : tool + " runs commands read from its input";
      return;
    }
    cmd().transparent = true;
    if (i >= args.size()) return;
    if (!args[i].is_static) {
      emit_unknown(idx, tool + " -c", args[i].text, cmd().privileged);
      return;
    }
    reparse(args[i].text, idx, tool + " -c", false, cmd().privileged);
  }

  // watch and parallel join their arguments with spaces and hand them to sh -c.
  void run_joined(int idx, std::size_t from, std::size_t end, std::string_view how, bool dyn_args) {
    Command& c = out_.commands[static_cast<std::size_t>(idx)];
    c.transparent = true;
    if (from >= end) {
      c.transparent = false;
      return;
    }
    std::string code;
    for (std::size_t i = from; i < end; ++i) {
      if (!c.argv[i].is_static) {
        emit_unknown(idx, how, c.argv[i].text, c.privileged);
        return;
      }
      if (i > from) code += ' ';
      code += c.argv[i].text;
    }
    reparse(code, idx, how, dyn_args, c.privileged);
  }

  // Text that a command runs as shell code: parsed and walked as a script of
  // its own (a fresh shell: no functions carried over), its commands the
  // children of `parent`.
  void reparse(const std::string& code, int parent, std::string_view how, bool dyn_args,
               bool privileged) {
    auto& p = out_.commands[static_cast<std::size_t>(parent)];
    if (reparse_ >= options_.max_reparse) {
      p.opaque = std::string(how) + " nested more than " + std::to_string(options_.max_reparse) +
                 " levels deep";
      return;
    }
    ParseResult r = parse(code, options_.limits);
    if (const auto* err = std::get_if<ParseError>(&r)) {
      p.opaque = "cannot parse the code given to " + std::string(how) + " (" + err->what() + ")";
      return;
    }
    const Parsed& parsed = std::get<Parsed>(r);
    std::size_t first = out_.commands.size();
    Walker sub(out_, code, options_, reparse_ + 1, p.offset);
    sub.list(parsed.statements, parent, how, parsed.heredocs);
    for (std::size_t i = first; i < out_.commands.size(); ++i) {
      Command& c = out_.commands[i];
      c.dynamic_args = c.dynamic_args || dyn_args;
      c.privileged = c.privileged || privileged;
    }
  }

  Analysis& out_;
  std::string_view src_;
  const AnalyzeOptions& options_;
  int reparse_;
  std::optional<std::uint32_t> fixed_offset_;
  const std::vector<Heredoc>* heredocs_ = nullptr;
  std::vector<Scope> scopes_;
  int conditional_ = 0;
};

}  // namespace

Analysis analyze(const Parsed& parsed, std::string_view source, const AnalyzeOptions& options) {
  Analysis out;
  Walker w(out, source, options, 0, std::nullopt);
  w.list(parsed.statements, -1, "", parsed.heredocs);
  return out;
}

AnalyzeResult analyze(std::string_view command, const AnalyzeOptions& options) {
  ParseResult r = parse(command, options.limits);
  if (auto* err = std::get_if<ParseError>(&r)) return *err;
  return analyze(std::get<Parsed>(r), command, options);
}

}  // namespace cordon::shell
