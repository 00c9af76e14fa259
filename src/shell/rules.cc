// Bash rules: parsing, matching on argv, and the decision over a whole
// command.
#include "shell/rules.h"

#include <algorithm>
#include <variant>

#include "shell/exec_flags.h"

namespace cordon::shell {

namespace {

constexpr char kSep = BashPattern::kSep;
constexpr char kStar = BashPattern::kStar;
// Stands for an argument whose value is computed at run time: no literal
// byte of a pattern equals it, only a wildcard covers it.
constexpr char kDynamic = '\x1d';

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// argv as the matcher sees it: arguments separated by kSep, into `s`.
void subject_into(std::string& s, const std::vector<Arg>& argv, std::size_t from,
                  std::string_view first) {
  s.clear();
  for (std::size_t i = from; i < argv.size(); ++i) {
    if (i > from) s += kSep;
    if (i == from && !first.empty()) {
      s += first;
    } else if (argv[i].is_static) {
      s += argv[i].text;
    } else {
      s += kDynamic;
    }
  }
}

std::string subject(const std::vector<Arg>& argv, std::size_t from, std::string_view first) {
  std::string s;
  subject_into(s, argv, from, first);
  return s;
}

// Glob over the compiled program: kStar matches any run of bytes
// (separators and computed arguments included), every other byte itself.
bool run(std::string_view prog, std::string_view s) {
  std::size_t p = 0;
  std::size_t i = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (i < s.size()) {
    if (p < prog.size() && prog[p] == kStar) {
      star = p++;
      mark = i;
    } else if (p < prog.size() && prog[p] == s[i] && s[i] != kDynamic) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < prog.size() && prog[p] == kStar) ++p;
  return p == prog.size();
}

bool matches(const BashPattern& p, std::string_view s) {
  if (p.any) return true;
  if (run(p.program, s)) return true;
  // "ls *" also matches "ls": the program without its trailing sep+star.
  return p.optional_tail && run(std::string_view(p.program).substr(0, p.program.size() - 2), s);
}

bool non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
}

std::string show_argv(const Command& c) {
  std::string out;
  for (std::size_t i = 0; i < c.argv.size(); ++i) {
    if (i > 0) out += ' ';
    out += c.argv[i].text;
    if (out.size() > 80) {
      out.resize(77);
      out += "...";
      break;
    }
  }
  return out;
}

std::string origin_of(const BashPattern& p) {
  return p.origin.empty() ? p.rule : p.rule + " (" + p.origin + ")";
}

// Whether an allow rule names the flag of a hit: its literal text holds the
// argument that carries the flag (or, for options, the option itself as a
// word). An exact rule names everything it matches.
bool names_flag(const BashPattern& p, const FlagHit& hit) {
  if (p.any || p.exact) return true;
  const ExecFlag& row = exec_flag_table()[hit.row];
  std::string_view spec = p.rule;
  if (std::size_t open = spec.find('('); open != std::string_view::npos) {
    spec = spec.substr(open + 1);
  }
  auto word_starts_with = [&](std::string_view what) {
    for (std::size_t at = spec.find(what); at != std::string_view::npos;
         at = spec.find(what, at + 1)) {
      if (at == 0 || spec[at - 1] == ' ') return true;
    }
    return false;
  };
  switch (row.match) {
    case FlagMatch::Short:
    case FlagMatch::Long:
    case FlagMatch::Word:
    case FlagMatch::Value:
    case FlagMatch::Operand:
    case FlagMatch::Positional: return word_starts_with(row.flag) || word_starts_with(hit.arg);
    case FlagMatch::Subcommand: return word_starts_with(hit.arg);
    case FlagMatch::SedScript:
    case FlagMatch::AwkProgram: return spec.find(hit.arg) != std::string_view::npos;
    default: return false;
  }
}

bool default_write_allowed(const Write& w) {
  const std::string& t = w.target;
  if (t == "/dev/null" || t == "/dev/stdout" || t == "/dev/stderr" || t == "/dev/tty") return true;
  if (t.empty() || t[0] == '/' || t[0] == '~' || t[0] == '-') return false;
  // No `..` component.
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = t.find('/', start);
    std::string_view part =
        std::string_view(t).substr(start, slash == std::string::npos ? t.npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

std::optional<BashPattern> parse_bash_rule(std::string_view rule, std::string origin,
                                           std::string* error) {
  auto failed = [&](std::string why) -> std::optional<BashPattern> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  std::string_view r = trim(rule);
  BashPattern p;
  p.rule = std::string(r);
  p.origin = std::move(origin);
  if (r == "Bash") {
    p.any = true;
    return p;
  }
  if (!r.starts_with("Bash(") || !r.ends_with(")")) {
    return failed("not a Bash rule (expected Bash or Bash(...)): " + std::string(r));
  }
  std::string_view spec = trim(r.substr(5, r.size() - 6));
  for (char c : spec) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return failed("control character in rule " + std::string(r));
    }
  }
  if (spec.empty() || spec == "*") {
    p.any = true;
    return p;
  }
  bool legacy_prefix = spec.size() > 2 && spec.ends_with(":*");
  if (legacy_prefix) spec = trim(spec.substr(0, spec.size() - 2));
  int stars = 0;
  bool space = false;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    char c = spec[i];
    if (c == '\\' && i + 1 < spec.size() && (spec[i + 1] == '*' || spec[i + 1] == '\\')) {
      if (space) p.program += kSep;
      space = false;
      p.program += spec[++i];
      continue;
    }
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) p.program += kSep;
    space = false;
    if (c == '*') {
      ++stars;
      p.program += kStar;
    } else {
      p.program += c;
    }
  }
  if (legacy_prefix) {
    // Bash(npm run test:*) is Bash(npm run test *): a word boundary.
    p.program += kSep;
    p.program += kStar;
    ++stars;
  }
  p.exact = stars == 0;
  p.optional_tail = stars == 1 && p.program.size() >= 2 &&
                    p.program[p.program.size() - 2] == kSep && p.program.back() == kStar;
  std::size_t sep = p.program.find(kSep);
  std::string_view first = std::string_view(p.program).substr(0, sep);
  if (first.find(kStar) == std::string_view::npos) p.first_word = std::string(first);
  return p;
}

bool pattern_matches(const BashPattern& p, const std::vector<Arg>& argv) {
  if (p.any) return true;
  if (argv.empty()) return false;
  return matches(p, subject(argv, 0, {}));
}

std::optional<std::string> BashRules::add(RuleList which, std::string_view rule,
                                          std::string origin) {
  std::string error;
  std::optional<BashPattern> p = parse_bash_rule(rule, std::move(origin), &error);
  if (!p) return error;
  List& l = which == RuleList::Allow ? allow_ : (which == RuleList::Ask ? ask_ : deny_);
  auto idx = static_cast<std::uint32_t>(l.patterns.size());
  if (p->any) {
    l.any = true;
    l.generic.push_back(idx);
  } else if (!p->first_word.empty()) {
    l.by_first[p->first_word].push_back(idx);
  } else {
    l.generic.push_back(idx);
  }
  l.patterns.push_back(std::move(*p));
  return std::nullopt;
}

const BashRules::List& BashRules::list(RuleList l) const {
  switch (l) {
    case RuleList::Allow: return allow_;
    case RuleList::Ask: return ask_;
    case RuleList::Deny: return deny_;
  }
  return allow_;
}

const std::vector<BashPattern>& BashRules::rules(RuleList l) const { return list(l).patterns; }
bool BashRules::has_any(RuleList l) const { return list(l).any; }

const BashPattern* BashRules::match(RuleList which, const Command& c) const {
  const List& l = list(which);
  if (l.patterns.empty()) return nullptr;
  if (c.argv.empty() || c.dynamic_command) {
    for (std::uint32_t i : l.generic) {
      if (l.patterns[i].any) return &l.patterns[i];
    }
    return nullptr;
  }
  // The subject is built in a buffer kept per thread: a lookup allocates
  // nothing once it has grown (a decision makes three per command).
  thread_local std::string s;
  auto try_name = [&](std::string_view name) -> const BashPattern* {
    auto it = l.by_first.find(name);
    if (it == l.by_first.end() && l.generic.empty()) return nullptr;
    subject_into(s, c.argv, 0, name);
    const BashPattern* best = nullptr;
    std::uint32_t best_idx = 0;
    if (it != l.by_first.end()) {
      for (std::uint32_t i : it->second) {
        if (matches(l.patterns[i], s)) {
          best = &l.patterns[i];
          best_idx = i;
          break;
        }
      }
    }
    for (std::uint32_t i : l.generic) {
      if (best != nullptr && i > best_idx) break;
      if (matches(l.patterns[i], s)) return &l.patterns[i];
    }
    return best;
  };
  const std::string& name = c.argv[0].text;
  if (const BashPattern* p = try_name(name)) return p;
  if (which != RuleList::Allow && name.find('/') != std::string::npos) {
    // /bin/rm, ./node_modules/.bin/x: a deny or ask rule for the base name
    // applies to it too.
    std::string_view base = basename_of(name);
    if (!base.empty()) return try_name(base);
  }
  return nullptr;
}

std::string_view verdict_name(ShellVerdict::Kind k) {
  switch (k) {
    case ShellVerdict::Allow: return "allow";
    case ShellVerdict::Ask: return "ask";
    case ShellVerdict::Deny: return "deny";
  }
  return "ask";
}

ShellVerdict judge(std::string_view command, const BashRules& rules) {
  AnalyzeResult r = analyze(command);
  if (const auto* err = std::get_if<ParseError>(&r)) {
    ShellVerdict v;
    v.kind = rules.deny_unparseable ? ShellVerdict::Deny : ShellVerdict::Ask;
    v.reason = "cannot parse the command " + err->what();
    return v;
  }
  return judge(std::get<Analysis>(r), rules);
}

ShellVerdict judge(const Analysis& a, const BashRules& rules) {
  auto verdict = [](ShellVerdict::Kind k, std::string reason, std::string rule = {}) {
    return ShellVerdict{k, std::move(reason), std::move(rule)};
  };
  // Deny, then ask, on every command, whatever it is reached through.
  for (RuleList l : {RuleList::Deny, RuleList::Ask}) {
    auto kind = l == RuleList::Deny ? ShellVerdict::Deny : ShellVerdict::Ask;
    std::string_view what = l == RuleList::Deny ? "denied" : "asked";
    if (rules.has_any(l) && a.commands.empty()) {
      const BashPattern& p = *rules.match(l, Command{});
      return verdict(kind, "every command is " + std::string(what) + " by " + origin_of(p), p.rule);
    }
    for (const Command& c : a.commands) {
      if (const BashPattern* p = rules.match(l, c)) {
        std::string via = c.via.empty() ? "" : " (run by " + c.via + ")";
        return verdict(
            kind,
            "`" + show_argv(c) + "`" + via + " is " + std::string(what) + " by " + origin_of(*p),
            p->rule);
      }
    }
  }
  if (rules.has_any(RuleList::Allow)) {
    const BashPattern& p = *rules.match(RuleList::Allow, Command{});
    return verdict(ShellVerdict::Allow, "every command is allowed by " + origin_of(p), p.rule);
  }
  if (!a.unseeable.empty()) return verdict(ShellVerdict::Ask, a.unseeable.front());

  std::vector<const BashPattern*> allowed_by(a.commands.size(), nullptr);
  std::vector<std::string> used;
  for (std::size_t i = 0; i < a.commands.size(); ++i) {
    const Command& c = a.commands[i];
    if (c.dynamic_command) {
      std::string how = c.via.empty() ? "" : " (run by " + c.via + ")";
      return verdict(ShellVerdict::Ask, "cannot see what `" + c.name() + "`" + how +
                                            " runs: the command name is computed when it runs");
    }
    // The nearest ancestor allowed by a rule of its own covers what it runs.
    const BashPattern* cover = nullptr;
    for (int p = c.parent; p >= 0; p = a.commands[static_cast<std::size_t>(p)].parent) {
      const Command& pc = a.commands[static_cast<std::size_t>(p)];
      if (!pc.transparent && allowed_by[static_cast<std::size_t>(p)] != nullptr) {
        cover = allowed_by[static_cast<std::size_t>(p)];
        break;
      }
    }
    if (c.transparent && c.flags.empty() && c.opaque.empty()) continue;  // judged by its children
    const BashPattern* own = rules.match(RuleList::Allow, c);
    const BashPattern* rule = own != nullptr ? own : cover;
    if (rule == nullptr) {
      std::string how = c.via.empty() ? "" : " (run by " + c.via + ")";
      std::string hint = non_ascii(c.name()) ? " (its name has non-ASCII characters)" : "";
      if (!c.opaque.empty()) {
        return verdict(ShellVerdict::Ask, "`" + show_argv(c) + "`" + how + ": " + c.opaque);
      }
      return verdict(ShellVerdict::Ask, "no rule allows `" + show_argv(c) + "`" + how + hint);
    }
    if (!c.opaque.empty() && !rule->exact) {
      return verdict(ShellVerdict::Ask,
                     "`" + show_argv(c) + "`: " + c.opaque + " (only an exact rule allows it)");
    }
    if (c.dynamic_args && cover == nullptr) {
      return verdict(ShellVerdict::Ask, c.via + " adds arguments to `" + show_argv(c) +
                                            "` that cannot be seen before it runs");
    }
    for (const FlagHit& hit : c.flags) {
      if (names_flag(*rule, hit)) continue;
      const ExecFlag& row = exec_flag_table()[hit.row];
      return verdict(ShellVerdict::Ask,
                     "`" + hit.arg + "` in `" + show_argv(c) + "`: " + std::string(row.reason) +
                         " (" + std::string(effect_name(row.effect)) + "; " + origin_of(*rule) +
                         " does not name " + row.display() + ")");
    }
    const std::string name = c.name();
    std::string_view tool = basename_of(name);
    if (!rule->exact && tool_has_flags(tool)) {
      for (std::size_t k = 1; k < c.argv.size(); ++k) {
        const Arg& arg = c.argv[k];
        bool option_glob = arg.glob && !arg.text.empty() &&
                           (arg.text[0] == '*' || arg.text[0] == '?' || arg.text[0] == '[');
        // git commit -m "$(cat <<'EOF' ... EOF)": the message, not an option.
        bool message = !arg.is_static && tool == "git" && k >= 2 && c.argv[k - 1].is_static &&
                       (c.argv[k - 1].text == "-m" || c.argv[k - 1].text == "--message") &&
                       arg.quoted;
        if ((!arg.is_static && !arg.option_safe && !message) || option_glob) {
          return verdict(ShellVerdict::Ask, "cannot see what `" + arg.text + "` becomes in `" +
                                                show_argv(c) + "`, and " + std::string(tool) +
                                                " has flags that run programs or write files");
        }
      }
    }
    if (own != nullptr) {
      allowed_by[i] = own;
      if (std::find(used.begin(), used.end(), own->rule) == used.end()) used.push_back(own->rule);
    }
  }
  for (const Write& w : a.writes) {
    if (!w.is_static) {
      return verdict(ShellVerdict::Ask,
                     "cannot see where `" + w.how + " " + w.target + "` writes before it runs");
    }
    bool ok = rules.write_allowed ? rules.write_allowed(w) : default_write_allowed(w);
    if (!ok) {
      return verdict(ShellVerdict::Ask,
                     "writes outside the working directory: `" + w.how + " " + w.target + "`");
    }
  }
  if (used.empty()) {
    return verdict(ShellVerdict::Allow, "runs no command");
  }
  std::string joined;
  for (const std::string& r : used) {
    if (!joined.empty()) joined += ", ";
    joined += r;
  }
  return verdict(ShellVerdict::Allow, "every command is allowed (" + joined + ")", joined);
}

}  // namespace cordon::shell
