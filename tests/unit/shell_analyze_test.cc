// The analyser: which commands run, through what, with which flags and
// writes; the exec-capable flag table, checked against docs/shell.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <variant>

#include "shell/analyze.h"
#include "shell/exec_flags.h"

namespace cordon::shell {
namespace {

Analysis analysis(std::string_view src) {
  AnalyzeResult r = analyze(src);
  if (const auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << src << ": " << e->what();
    return {};
  }
  return std::get<Analysis>(r);
}

// "name(parent,via,flags)" per command.
std::string tree(std::string_view src) {
  Analysis a = analysis(src);
  std::string out;
  for (const Command& c : a.commands) {
    if (!out.empty()) out += ' ';
    out += c.dynamic_command ? "?" : c.name();
    std::string marks;
    if (c.parent >= 0) marks += "^" + std::to_string(c.parent);
    if (c.dynamic_args) marks += "+args";
    if (c.privileged) marks += "+root";
    if (c.transparent) marks += "+t";
    if (!c.opaque.empty()) marks += "+opaque";
    if (!c.flags.empty()) marks += "+flag";
    if (!marks.empty()) out += "(" + marks + ")";
  }
  return out;
}

TEST(ShellAnalyze, WrappersAreUnwrapped) {
  struct Case {
    const char* src;
    const char* expected;
  };
  const Case cases[] = {
      {"env A=1 B=2 rm x", "env(+t) rm(^0)"},
      {"env -u X -C /tmp rm x", "env(+t) rm(^0)"},
      {"env", "env(+flag)"},
      {"nice -n 5 rm", "nice(+t) rm(^0)"},
      {"nice -5 rm", "nice(+t) rm(^0)"},
      {"nohup rm", "nohup(+t) rm(^0)"},
      {"timeout 5 rm", "timeout(+t) rm(^0)"},
      {"timeout -k 1 -s TERM 5s rm", "timeout(+t) rm(^0)"},
      {"/usr/bin/time -o x.txt rm", "/usr/bin/time(+t) rm(^0)"},
      {"command rm", "command(+t) rm(^0)"},
      {"command -v rm", "command"},
      {"builtin cd x", "builtin(+t) cd(^0)"},
      {"exec -a name rm", "exec(+t) rm(^0)"},
      {"exec", "exec"},
      {"sudo -u root -E rm", "sudo(+root) rm(^0+root)"},
      {"sudo FOO=1 rm", "sudo(+root) rm(^0+root)"},
      {"doas -u root rm", "doas(+root) rm(^0+root)"},
      {"sudo -e /etc/x", "sudo(+root+opaque)"},
      {"stdbuf -oL -e0 rm", "stdbuf(+t) rm(^0)"},
      {"ionice -c 3 rm", "ionice(+t) rm(^0)"},
      {"ionice -p 12", "ionice"},
      {"chrt -f 10 rm", "chrt(+t) rm(^0)"},
      {"taskset -c 0,1 rm", "taskset(+t) rm(^0)"},
      {"taskset 0x3 rm", "taskset(+t) rm(^0)"},
      {"setsid rm", "setsid(+t) rm(^0)"},
      {"xargs rm", "xargs(+t) rm(^0+args)"},
      {"xargs -I{} -n 1 -P 4 rm {}", "xargs(+t) rm(^0+args)"},
      {"find . -name x -exec rm {} \\; -print", "find(+flag) rm(^0+args)"},
      {"find . -execdir a {} + -ok b {} \\;", "find(+flag) a(^0+args) b(^0+args)"},
      {"bash -c 'a; b | c'", "bash(+t) a(^0) b(^0) c(^0)"},
      {"bash -euo pipefail -c 'a'", "bash(+t) a(^0)"},
      {"sh -c \"$X\"", "sh(+t) ?(^0)"},
      {"bash x.sh", "bash(+opaque)"},
      {"bash", "bash(+opaque)"},
      {"bash -ic a", "bash(+t+opaque) a(^0)"},
      {"eval 'a; b'", "eval(+opaque) a(^0) b(^0)"},
      {"eval \"$X\"", "eval(+opaque)"},
      {"source x", "source(+opaque)"},
      {". x", ".(+opaque)"},
      {"watch -n 2 'a | b'", "watch(+t) a(^0) b(^0)"},
      {"watch -x a b", "watch(+t) a(^0)"},
      {"parallel 'a {}' ::: 1 2", "parallel(+t) a(^0+args)"},
      {"su -c 'a' root", "su(+root) a(^0+root)"},
      {"su", "su(+root+opaque)"},
      {"busybox rm x", "busybox(+t) rm(^0)"},
      {"sudo env nice bash -c 'a'",
       "sudo(+root) env(^0+root+t) nice(^1+root+t) "
       "bash(^2+root+t) a(^3+root)"},
      {"trap 'a' EXIT", "trap(+opaque) a(^0)"},
      {"env -S 'a b'", "env(+opaque) a(^0)"},
      {"nice $X rm", "nice(+t) ?(^0)"},
  };
  for (const Case& c : cases) EXPECT_EQ(tree(c.src), c.expected) << c.src;
}

TEST(ShellAnalyze, ReparseIsDepthLimited) {
  std::string s = "a";
  for (int i = 0; i < 8; ++i) {
    std::string quoted;
    for (char ch : s) {
      if (ch == '\'') {
        quoted += "'\\''";
      } else {
        quoted += ch;
      }
    }
    s = "bash -c '" + quoted + "'";
  }
  Analysis a = analysis(s);
  bool opaque = false;
  for (const Command& c : a.commands) opaque = opaque || !c.opaque.empty();
  EXPECT_TRUE(opaque);
}

TEST(ShellAnalyze, DynamicCommandNames) {
  for (const char* src : {"$X a", "${X} a", "\"$X\" a", "$(a) b", "`a` b", "${X:-rm} a", "r{m,} a",
                          "/bin/r? a", "$'\\x72'$X a"}) {
    Analysis a = analysis(src);
    ASSERT_FALSE(a.commands.empty()) << src;
    EXPECT_TRUE(a.commands.back().dynamic_command) << src;
  }
  for (const char* src : {"'rm' a", "r''m a", "\\rm a", "$'\\x72m' a"}) {
    Analysis a = analysis(src);
    ASSERT_EQ(a.commands.size(), 1U) << src;
    EXPECT_EQ(a.commands[0].name(), "rm") << src;
    EXPECT_FALSE(a.commands[0].dynamic_command) << src;
  }
}

TEST(ShellAnalyze, FunctionsResolveToTheirBodies) {
  EXPECT_EQ(tree("f() { a; }; f; f"), "a");
  EXPECT_EQ(tree("f; f() { a; }"), "f a");  // called before it exists: a program
  EXPECT_EQ(tree("(f() { a; }); f"), "a f");
  EXPECT_EQ(tree("x | f() { a; }; f"), "x a f");  // a pipeline stage is a subshell
  EXPECT_EQ(tree("if c; then f() { a; }; fi; f"), "c a f");
  EXPECT_EQ(tree("f() { a; }; unset -f f; f"), "a unset f");
  EXPECT_EQ(tree("f() { a; }; command f"), "a command(+t) f(^1)");
}

TEST(ShellAnalyze, WritesAndTheirTargets) {
  Analysis a = analysis(
      "a > x >> ~/y 2>&1 &> /z >| \"$W\" <> v 2>/dev/null >&3 >&- >&f; tee p q; cp a b c; "
      "dd if=x of=/dev/sda; mv -t dir a; curl -o out u; { b; } > grp");
  std::vector<std::string> got;
  for (const Write& w : a.writes) {
    got.push_back(w.how + " " + (w.is_static ? "" : "?") + w.target);
  }
  std::vector<std::string> want = {">&3 ",       "> x",      ">> ~/y",      "&> /z",
                                   ">| ?\"$W\"", "<> v",     "> /dev/null", ">& f",
                                   "tee p",      "tee q",    "cp c",        "dd of= /dev/sda",
                                   "mv dir",     "curl out", "> grp"};
  // >&3 and >&- are fd duplications, not writes.
  want.erase(want.begin());
  EXPECT_EQ(got, want);
}

TEST(ShellAnalyze, UnseeableConstructs) {
  for (const char* src : {"PATH=/tmp:$PATH", "export LD_PRELOAD=/x.so", "declare -x GIT_DIR=/x",
                          "cat <(ls)", "coproc a", "IFS=x"}) {
    EXPECT_FALSE(analysis(src).unseeable.empty()) << src;
  }
  for (const char* src : {"X=1", "export NODE_ENV=test", "local y=2"}) {
    EXPECT_TRUE(analysis(src).unseeable.empty()) << src;
  }
}

// ---- the exec-capable flag table ---------------------------------------------

// One command at least per row: dropping a row, or breaking its matcher,
// fails here.
const char* const kExamples[] = {
    "rg --pre=sh x",
    "git -c core.pager=sh log",
    "git -c alias.x=!sh x",
    "git -c credential.helper=sh fetch",
    "git -c diff.external=sh diff",
    "git --config-env=core.pager=V log",
    "git --exec-path=/tmp status",
    "git clone --upload-pack=sh x",
    "git fetch -u sh origin",
    "git push --receive-pack=sh origin",
    "git rebase --exec 'make' HEAD~1",
    "git rebase -x make HEAD~1",
    "git bisect run make",
    "git submodule foreach make",
    "git difftool --extcmd=sh",
    "git difftool -x sh",
    "git grep --open-files-in-pager=sh x",
    "git grep -O x",
    "git diff --output=/tmp/x",
    "git config core.pager sh",
    "git filter-branch --tree-filter make",
    "git credential fill",
    "find . -exec a \\;",
    "find . -execdir a \\;",
    "find . -ok a \\;",
    "find . -okdir a \\;",
    "find . -delete",
    "find . -fprint x",
    "find . -fprint0 x",
    "find . -fprintf x %p",
    "find . -fls x",
    "sed -i s/a/b/ f",
    "sed --in-place s/a/b/ f",
    "sed s/a/id/e f",
    "sed 'w out' f",
    "sed -f script.sed f",
    "awk '{system(\"id\")}'",
    "awk '{print | \"sh\"}'",
    "awk '{print > \"x\"}'",
    "awk -f prog.awk",
    "tar --to-command=sh -xf a",
    "tar --checkpoint-action=exec=sh -cf a .",
    "tar -I sh -xf a",
    "tar --use-compress-program=sh -xf a",
    "tar --info-script=sh -cf a .",
    "tar --new-volume-script=sh -cf a .",
    "tar -F sh -cf a .",
    "tar --rsh-command=sh -xf h:a",
    "tar -xPf a",
    "tar --absolute-names -xf a",
    "zip -TT sh a.zip x",
    "zip --unzip-command=sh a.zip x",
    "man -P sh ls",
    "man --pager=sh ls",
    "man --html=sh ls",
    "vim -c '!id' f",
    "vim --cmd '!id' f",
    "vim +!id f",
    "vim -S x.vim",
    "ssh -o ProxyCommand=sh h",
    "ssh -F cfg h",
    "scp -S sh a h:b",
    "rsync -e sh a h:b",
    "rsync --rsh=sh a h:b",
    "rsync --rsync-path=sh a b",
    "curl -o x u",
    "curl --output x u",
    "curl -O u",
    "curl --remote-name u",
    "curl -T f u",
    "curl --upload-file f u",
    "curl -d @f u",
    "curl --data @f u",
    "curl --data-binary @f u",
    "curl --data-urlencode a@f u",
    "curl --json @f u",
    "curl -F a=@f u",
    "curl --form 'a=<f' u",
    "curl -K cfg",
    "curl --config cfg",
    "wget -O x u",
    "wget --output-document=x u",
    "wget --post-file=f u",
    "wget --body-file=f u",
    "wget -e robots=off u",
    "wget --execute robots=off u",
    "wget --use-askpass=sh u",
    "perl -e 1",
    "perl -E 1",
    "perl -pi -e 1 f",
    "python3 -c 1",
    "node -e 1",
    "node --eval 1",
    "node -p 1",
    "node --print 1",
    "node -r x y.js",
    "node --require x y.js",
    "ruby -e 1",
    "php -r 1",
    "lua -e 1",
    "Rscript -e 1",
    "dd of=x",
    "npm install",
    "pip install x",
    "cargo install x",
    "printenv",
    "LD_PRELOAD=x ls",
};

TEST(ShellExecFlags, EveryRowIsHitByAnExample) {
  std::set<std::size_t> hit;
  for (const char* ex : kExamples) {
    Analysis a = analysis(ex);
    ASSERT_FALSE(a.commands.empty()) << ex;
    std::size_t before = hit.size();
    for (const Command& c : a.commands) {
      for (const FlagHit& h : c.flags) hit.insert(h.row);
    }
    EXPECT_GT(hit.size(), before) << ex << " hits no new row";
  }
  auto table = exec_flag_table();
  for (std::size_t r = 0; r < table.size(); ++r) {
    if (table[r].match == FlagMatch::Targets) continue;  // writes, tested above
    EXPECT_TRUE(hit.contains(r)) << "no example hits " << table[r].tools << " "
                                 << table[r].display();
  }
}

TEST(ShellExecFlags, ReadOnlyUsesAreNotFlagged) {
  for (const char* src : {"rg --pretty x",
                          "rg -p x",
                          "git diff --stat",
                          "git commit -c HEAD",
                          "git add -u",
                          "git -C sub log",
                          "git -c color.ui=never log",
                          "sed -n 1p f",
                          "sed 's/a/b/g;s/c/d/' f",
                          "sed -e 's/x/y/' -e '/^$/d' f",
                          "sed -E 's/(a|b)/c/' f",
                          "awk '{print $1}'",
                          "awk '/a|b/ {n++} END {print n}'",
                          "awk '$1 > 5 {print $2}'",
                          "awk '{x = a || b; print x}'",
                          "tar -czf a.tgz src",
                          "tar xzf a.tgz",
                          "curl -s u",
                          "find . -name '*.c' -print",
                          "find . -type f -newer x",
                          "python3 x.py -c 1",
                          "python3 -m pytest -c cfg",
                          "perl x.pl -e",
                          "node app.js -e",
                          "npm test",
                          "npm run build",
                          "pip list",
                          "cargo test",
                          "ssh -o ConnectTimeout=5 h",
                          "env A=1 ls",
                          "ls -i"}) {
    Analysis a = analysis(src);
    for (const Command& c : a.commands) {
      for (const FlagHit& h : c.flags) {
        ADD_FAILURE() << src << ": flagged " << exec_flag_table()[h.row].display() << " on "
                      << h.arg;
      }
    }
  }
}

TEST(ShellExecFlags, DangerousEnvironment) {
  for (const char* n : {"PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "GIT_SSH_COMMAND", "PAGER",
                        "BASH_ENV", "npm_config_script_shell", "NODE_OPTIONS", "TAR_OPTIONS"}) {
    EXPECT_TRUE(is_dangerous_env(n)) << n;
  }
  for (const char* n : {"NODE_ENV", "CI", "RUST_BACKTRACE", "DEBUG", "FORCE_COLOR", "LANG"}) {
    EXPECT_FALSE(is_dangerous_env(n)) << n;
  }
}

// docs/shell.md lists the same rows (ExecFlag::doc_row()).
TEST(ShellExecFlags, DocumentationListsEveryRow) {
  std::filesystem::path doc =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "docs" / "shell.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // The rows of the section "## Exec-capable flags".
  std::set<std::string> rows;
  std::istringstream lines(text);
  bool in_section = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("## ")) in_section = line == "## Exec-capable flags";
    if (in_section && line.starts_with("| `")) rows.insert(line);
  }
  std::size_t table_rows = 0;
  for (const ExecFlag& row : exec_flag_table()) {
    std::string want = row.doc_row();
    EXPECT_TRUE(rows.contains(want)) << "docs/shell.md lacks the row:\n" << want;
    ++table_rows;
  }
  EXPECT_EQ(rows.size(), table_rows) << "docs/shell.md has rows the table does not";
  for (std::string_view name : dangerous_env_names()) {
    EXPECT_NE(text.find("`" + std::string(name) + "`"), std::string::npos)
        << "docs/shell.md lacks the variable " << name;
  }
}

}  // namespace
}  // namespace cordon::shell
