// The table of exec-capable flags and the code that finds them in an argv.
// docs/shell.md carries the same rows; tests/unit/shell_analyze_test.cc
// checks that every row is in the document and that every row is hit by at
// least one command.
#include "shell/exec_flags.h"

#include <array>
#include <cctype>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "shell/analyze.h"

namespace cordon::shell {

namespace {

using E = Effect;
using M = FlagMatch;

// clang-format off
constexpr std::array kTable = {
  // rg
  ExecFlag{"rg", "", M::Long, "--pre", "", E::Exec, "runs the given program on every file searched"},
  // git, global options (before the sub-command)
  ExecFlag{"git", "", M::Value, "-c", "core.*", E::Exec, "core.pager, core.sshCommand, core.fsmonitor, core.editor, core.hooksPath name programs git runs"},
  ExecFlag{"git", "", M::Value, "-c", "alias.*", E::Exec, "an alias that starts with ! is a shell command"},
  ExecFlag{"git", "", M::Value, "-c", "credential.*", E::Exec, "credential.helper is a program git runs and hands credentials to"},
  ExecFlag{"git", "", M::Value, "-c", "diff.*|filter.*|merge.*|pager.*|sequence.*|gpg.*|ssh.*|uploadpack.*|remote.*|protocol.*|url.*|include.*|includeif.*|http.*", E::Exec, "these keys name programs (external diff, filters, merge drivers, pagers, signers) or redirect fetches and includes"},
  ExecFlag{"git", "", M::Long, "--config-env", "", E::Exec, "sets any configuration key, as -c does"},
  ExecFlag{"git", "", M::Long, "--exec-path", "", E::Exec, "git runs its sub-commands from the given directory"},
  // git, per sub-command
  ExecFlag{"git", "clone|fetch|pull|ls-remote|archive|submodule", M::Long, "--upload-pack", "", E::Exec, "the program run for the other side; for a local or ext:: remote it runs here"},
  ExecFlag{"git", "clone|fetch|pull|ls-remote", M::Short, "-u", "", E::Exec, "short for --upload-pack"},
  ExecFlag{"git", "push|send-pack", M::Long, "--receive-pack", "", E::Exec, "the program run for the other side; for a local remote it runs here"},
  ExecFlag{"git", "push|archive|send-pack|rebase", M::Long, "--exec", "", E::Exec, "push/archive: the remote program; rebase: a shell command after each commit"},
  ExecFlag{"git", "rebase", M::Short, "-x", "", E::Exec, "short for --exec: a shell command after each commit"},
  ExecFlag{"git", "bisect", M::Positional, "run", "", E::Exec, "runs a command on each commit tested"},
  ExecFlag{"git", "submodule", M::Positional, "foreach", "", E::Exec, "runs a shell command in each submodule"},
  ExecFlag{"git", "difftool|mergetool", M::Long, "--extcmd", "", E::Exec, "runs the given diff program"},
  ExecFlag{"git", "difftool", M::Short, "-x", "", E::Exec, "short for --extcmd"},
  ExecFlag{"git", "grep", M::Long, "--open-files-in-pager", "", E::Exec, "runs the pager, or the given program, on the matching files"},
  ExecFlag{"git", "grep", M::Short, "-O", "", E::Exec, "short for --open-files-in-pager"},
  ExecFlag{"git", "diff|log|show|format-patch|range-diff", M::Long, "--output", "", E::Write, "writes the output to the given file"},
  ExecFlag{"git", "config", M::Subcommand, "config", "", E::Write, "changes configuration that later git commands execute (pager, aliases, hooks path)"},
  ExecFlag{"git", "filter-branch", M::Subcommand, "filter-branch", "", E::Exec, "runs shell snippets on every commit"},
  ExecFlag{"git", "credential", M::Positional, "fill", "", E::ReadsSecrets, "prints stored credentials"},
  // find
  ExecFlag{"find", "", M::Word, "-exec", "", E::Exec, "runs a command on each file found"},
  ExecFlag{"find", "", M::Word, "-execdir", "", E::Exec, "runs a command on each file found"},
  ExecFlag{"find", "", M::Word, "-ok", "", E::Exec, "runs a command on each file found (after a prompt)"},
  ExecFlag{"find", "", M::Word, "-okdir", "", E::Exec, "runs a command on each file found (after a prompt)"},
  ExecFlag{"find", "", M::Word, "-delete", "", E::Write, "deletes the files found"},
  ExecFlag{"find", "", M::Word, "-fprint", "", E::Write, "writes the list to the given file"},
  ExecFlag{"find", "", M::Word, "-fprint0", "", E::Write, "writes the list to the given file"},
  ExecFlag{"find", "", M::Word, "-fprintf", "", E::Write, "writes the list to the given file"},
  ExecFlag{"find", "", M::Word, "-fls", "", E::Write, "writes the list to the given file"},
  // sed
  ExecFlag{"sed|gsed", "", M::Short, "-i", "", E::Write, "edits the files in place"},
  ExecFlag{"sed|gsed", "", M::Long, "--in-place", "", E::Write, "edits the files in place"},
  ExecFlag{"sed|gsed", "", M::SedScript, "e", "", E::Exec, "the e command and the s///e flag run text as a shell command"},
  ExecFlag{"sed|gsed", "", M::SedScript, "w", "", E::Write, "the w and W commands and the s///w flag write to a file"},
  ExecFlag{"sed|gsed", "", M::Short, "-f", "", E::Exec, "the script comes from a file the analyser does not read"},
  // awk
  ExecFlag{"awk|gawk|mawk|nawk", "", M::AwkProgram, "system(", "", E::Exec, "calls the shell"},
  ExecFlag{"awk|gawk|mawk|nawk", "", M::AwkProgram, "|", "", E::Exec, "print | \"cmd\" and \"cmd\" | getline run shell commands"},
  ExecFlag{"awk|gawk|mawk|nawk", "", M::AwkProgram, ">", "", E::Write, "print > \"file\" writes a file"},
  ExecFlag{"awk|gawk|mawk|nawk", "", M::Short, "-f", "", E::Exec, "the program comes from a file the analyser does not read"},
  // tar
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--to-command", "", E::Exec, "pipes every extracted file to a shell command"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--checkpoint-action", "", E::Exec, "exec=CMD runs a command at each checkpoint"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Short, "-I", "", E::Exec, "the compression program is any command"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--use-compress-program", "", E::Exec, "the compression program is any command"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--info-script", "", E::Exec, "runs a script at the end of each volume"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--new-volume-script", "", E::Exec, "runs a script at the end of each volume"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Short, "-F", "", E::Exec, "runs a script at the end of each volume"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--rsh-command", "", E::Exec, "the remote shell program for host:file archives"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Short, "-P", "", E::Write, "extracts absolute paths, outside the working directory"},
  ExecFlag{"tar|gtar|bsdtar", "", M::Long, "--absolute-names", "", E::Write, "extracts absolute paths, outside the working directory"},
  // zip
  ExecFlag{"zip", "", M::Word, "-TT", "", E::Exec, "the command that tests the archive"},
  ExecFlag{"zip", "", M::Long, "--unzip-command", "", E::Exec, "the command that tests the archive"},
  // pagers and editors
  ExecFlag{"man", "", M::Short, "-P", "", E::Exec, "the pager is any command"},
  ExecFlag{"man", "", M::Long, "--pager", "", E::Exec, "the pager is any command"},
  ExecFlag{"man", "", M::Long, "--html", "", E::Exec, "runs the given browser"},
  ExecFlag{"vim|vi|nvim|ex|view|gvim|vimdiff", "", M::Short, "-c", "", E::Exec, "an Ex command, which can run shell commands (:!)"},
  ExecFlag{"vim|vi|nvim|ex|view|gvim|vimdiff", "", M::Long, "--cmd", "", E::Exec, "an Ex command, which can run shell commands (:!)"},
  ExecFlag{"vim|vi|nvim|ex|view|gvim|vimdiff", "", M::Word, "+", "", E::Exec, "+cmd runs an Ex command, which can run shell commands (:!)"},
  ExecFlag{"vim|vi|nvim|ex|view|gvim|vimdiff", "", M::Short, "-S", "", E::Exec, "sources a script of Ex commands"},
  // remote shells and copies
  ExecFlag{"ssh|scp|sftp", "", M::Value, "-o", "proxycommand*|localcommand*|permitlocalcommand*|knownhostscommand*", E::Exec, "runs a local command"},
  ExecFlag{"ssh|scp|sftp", "", M::Short, "-F", "", E::Exec, "a configuration file can set ProxyCommand or LocalCommand"},
  ExecFlag{"scp|sftp", "", M::Short, "-S", "", E::Exec, "the program used for the connection"},
  ExecFlag{"rsync", "", M::Short, "-e", "", E::Exec, "the remote shell is any command"},
  ExecFlag{"rsync", "", M::Long, "--rsh", "", E::Exec, "the remote shell is any command"},
  ExecFlag{"rsync", "", M::Long, "--rsync-path", "", E::Exec, "the program run on the other side (here, for a local copy)"},
  // downloads and uploads
  ExecFlag{"curl", "", M::Short, "-o", "", E::Write, "writes the response to the given file"},
  ExecFlag{"curl", "", M::Long, "--output", "", E::Write, "writes the response to the given file"},
  ExecFlag{"curl", "", M::Short, "-O", "", E::Write, "writes the response to a file named from the URL"},
  ExecFlag{"curl", "", M::Long, "--remote-name", "", E::Write, "writes the response to a file named from the URL"},
  ExecFlag{"curl", "", M::Short, "-T", "", E::Network, "uploads a local file"},
  ExecFlag{"curl", "", M::Long, "--upload-file", "", E::Network, "uploads a local file"},
  ExecFlag{"curl", "", M::Value, "-d", "@*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "--data", "@*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "--data-binary", "@*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "--data-urlencode", "*@*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "--json", "@*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "-F", "*@*|*<*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Value, "--form", "*@*|*<*", E::Network, "sends the contents of a local file"},
  ExecFlag{"curl", "", M::Short, "-K", "", E::Write, "reads options (output files, uploads) from a file"},
  ExecFlag{"curl", "", M::Long, "--config", "", E::Write, "reads options (output files, uploads) from a file"},
  ExecFlag{"wget", "", M::Short, "-O", "", E::Write, "writes the download to the given file"},
  ExecFlag{"wget", "", M::Long, "--output-document", "", E::Write, "writes the download to the given file"},
  ExecFlag{"wget", "", M::Long, "--post-file", "", E::Network, "sends the contents of a local file"},
  ExecFlag{"wget", "", M::Long, "--body-file", "", E::Network, "sends the contents of a local file"},
  ExecFlag{"wget", "", M::Short, "-e", "", E::Write, "a .wgetrc command, which can set output files"},
  ExecFlag{"wget", "", M::Long, "--execute", "", E::Write, "a .wgetrc command, which can set output files"},
  ExecFlag{"wget", "", M::Long, "--use-askpass", "", E::Exec, "runs the given program for passwords"},
  // interpreters: code on the command line
  ExecFlag{"perl", "", M::Short, "-e", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"perl", "", M::Short, "-E", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"perl", "", M::Short, "-i", "", E::Write, "edits the files in place", true},
  ExecFlag{"python|python2|python3|pypy|pypy3", "", M::Short, "-c", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"node|nodejs|bun", "", M::Short, "-e", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"node|nodejs|bun", "", M::Long, "--eval", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"node|nodejs|bun", "", M::Short, "-p", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"node|nodejs|bun", "", M::Long, "--print", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"node|nodejs|bun", "", M::Short, "-r", "", E::Exec, "preloads a module", true},
  ExecFlag{"node|nodejs|bun", "", M::Long, "--require", "", E::Exec, "preloads a module", true},
  ExecFlag{"ruby", "", M::Short, "-e", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"php", "", M::Short, "-r", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"lua|luajit", "", M::Short, "-e", "", E::Exec, "runs the code given on the command line", true},
  ExecFlag{"Rscript", "", M::Short, "-e", "", E::Exec, "runs the code given on the command line", true},
  // writers by nature: reported as writes with their targets
  ExecFlag{"tee", "", M::Targets, "FILE...", "", E::Write, "writes its input to every file named"},
  ExecFlag{"cp|mv|install|ln|rsync", "", M::Targets, "DEST", "", E::Write, "writes the last operand (or -t DIR)"},
  ExecFlag{"dd", "", M::Operand, "of=", "", E::Write, "writes to the given file"},
  ExecFlag{"touch|mkdir|rm|rmdir|truncate|shred|chmod|chown|unlink", "", M::Targets, "FILE...", "", E::Write, "changes or removes every file named"},
  // package managers: code from the network runs here
  ExecFlag{"npm|pnpm|yarn|bun", "install|i|ci|add|update|upgrade|rebuild|exec|x|dlx", M::Subcommand, "install", "", E::Exec, "runs the packages' lifecycle scripts (preinstall, postinstall) or a package's binary"},
  ExecFlag{"pip|pip3", "install|download|wheel", M::Subcommand, "install", "", E::Exec, "runs the build backends (setup.py) of the packages"},
  ExecFlag{"cargo", "install", M::Subcommand, "install", "", E::Exec, "builds a downloaded crate and runs its build script"},
  // the environment
  ExecFlag{"env|printenv", "", M::NoArgs, "(no arguments)", "", E::ReadsSecrets, "prints the environment, which holds tokens and keys"},
  ExecFlag{"*", "", M::Env, "NAME=value", "", E::Exec, "the variable changes what the command runs or loads (PATH, LD_PRELOAD, GIT_*, PAGER, ... see the list)"},
};
// clang-format on

// Exact names, and prefixes (ending in _) for families.
constexpr std::array<std::string_view, 70> kDangerousEnv = {
    "PATH",
    "IFS",
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "HOME",
    "ZDOTDIR",
    "XDG_CONFIG_HOME",
    "PAGER",
    "MANPAGER",
    "MANOPT",
    "EDITOR",
    "VISUAL",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "LESS",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PYTHONINSPECT",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "RUBYOPT",
    "RUBYLIB",
    "GOFLAGS",
    "GOENV",
    "CC",
    "CXX",
    "LD",
    "AR",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKE",
    "SHELL",
    "TAR_OPTIONS",
    "GZIP",
    "ZIPOPT",
    "UNZIP",
    "RSYNC_RSH",
    "RSYNC_CONNECT_PROG",
    "CURL_HOME",
    "WGETRC",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "GCONV_PATH",
    "LOCPATH",
    "OPENSSL_CONF",
    "LD_",
    "DYLD_",
    "GIT_",
    "NPM_CONFIG_",
    "YARN_",
    "PIP_",
    "CARGO_",
    "RUSTC_",
    "BASH_FUNC_",
    "BUNDLE_",
    "UV_",
};

bool contains_alt(std::string_view alts, std::string_view x) {
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = alts.find('|', start);
    std::string_view alt =
        alts.substr(start, bar == std::string_view::npos ? alts.npos : bar - start);
    if (alt == x) return true;
    if (bar == std::string_view::npos) return false;
    start = bar + 1;
  }
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Case-insensitive glob, * only (option values: git keys, ssh options).
bool iglob(std::string_view pat, std::string_view s) {
  std::size_t p = 0;
  std::size_t i = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && lower(pat[p]) == lower(s[i])) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool iglob_any(std::string_view alts, std::string_view s) {
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = alts.find('|', start);
    std::string_view alt =
        alts.substr(start, bar == std::string_view::npos ? alts.npos : bar - start);
    if (iglob(alt, s)) return true;
    if (bar == std::string_view::npos) return false;
    start = bar + 1;
  }
}

// ---- sed ------------------------------------------------------------------

struct SedFound {
  bool exec = false;
  bool write = false;
};

// Walks a sed script command by command: addresses, then one command
// letter and its arguments. Anything it cannot follow counts as both exec
// and write (the question is cheaper than a wrong answer).
SedFound scan_sed(std::string_view s) {
  SedFound f;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == ';')) ++i;
  };
  auto skip_delimited = [&](char d) -> bool {  // past the next unescaped d
    while (i < s.size()) {
      if (s[i] == '\\') {
        i += 2;
        continue;
      }
      if (s[i] == d) {
        ++i;
        return true;
      }
      if (s[i] == '\n') return false;
      ++i;
    }
    return false;
  };
  auto to_line_end = [&] {
    while (i < s.size() && s[i] != '\n') ++i;
  };
  auto to_cmd_end = [&] {
    while (i < s.size() && s[i] != '\n' && s[i] != ';' && s[i] != '}') ++i;
  };
  auto skip_address = [&]() -> bool {
    for (int part = 0; part < 2; ++part) {
      if (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0)) {
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '~'))
          ++i;
      } else if (i < s.size() && s[i] == '$') {
        ++i;
      } else if (i < s.size() && s[i] == '/') {
        ++i;
        if (!skip_delimited('/')) return false;
        while (i < s.size() && (s[i] == 'I' || s[i] == 'M')) ++i;
      } else if (i + 1 < s.size() && s[i] == '\\') {
        char d = s[i + 1];
        i += 2;
        if (!skip_delimited(d)) return false;
        while (i < s.size() && (s[i] == 'I' || s[i] == 'M')) ++i;
      } else if (part == 1 && i < s.size() && (s[i] == '+' || s[i] == '~')) {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
      }
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      if (part == 0 && i < s.size() && s[i] == ',') {
        ++i;
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        continue;
      }
      break;
    }
    while (i < s.size() && (s[i] == '!' || s[i] == ' ' || s[i] == '\t')) ++i;
    return true;
  };
  while (true) {
    skip_ws();
    if (i >= s.size()) return f;
    if (s[i] == '#') {
      to_line_end();
      continue;
    }
    if (!skip_address()) return {true, true};
    if (i >= s.size()) return f;
    char c = s[i++];
    switch (c) {
      case '{':
      case '}':
      case '=':
      case 'd':
      case 'D':
      case 'g':
      case 'G':
      case 'h':
      case 'H':
      case 'n':
      case 'N':
      case 'p':
      case 'P':
      case 'x':
      case 'z':
      case 'F': break;
      case 'l':
      case 'L':
      case 'q':
      case 'Q':
      case 'b':
      case 't':
      case 'T':
      case ':':
      case 'r':
      case 'R': to_cmd_end(); break;
      case 'a':
      case 'i':
      case 'c':
        // Text to the end of the line (with \ continuations).
        while (i < s.size() && s[i] != '\n') {
          if (s[i] == '\\') ++i;
          ++i;
        }
        break;
      case 'e':
        f.exec = true;
        to_cmd_end();
        break;
      case 'w':
      case 'W':
        f.write = true;
        to_line_end();
        break;
      case 'v': to_cmd_end(); break;
      case 'y':
      case 's': {
        if (i >= s.size()) return {true, true};
        char d = s[i++];
        if (d == '\n' || d == '\\') return {true, true};
        bool pattern = skip_delimited(d);
        bool replacement = pattern && skip_delimited(d);  // s/pattern/replacement/
        if (!replacement) return {true, true};
        if (c == 'y') break;
        while (i < s.size() && s[i] != ';' && s[i] != '\n' && s[i] != '}') {
          char flag = s[i++];
          if (flag == 'e') f.exec = true;
          if (flag == 'w') {
            f.write = true;
            to_line_end();
            break;
          }
        }
        break;
      }
      default: return {true, true};
    }
  }
}

// ---- awk ------------------------------------------------------------------

struct AwkFound {
  bool system = false;
  bool pipe = false;
  bool redirect = false;
};

// Strings and regex literals are skipped (a | inside /a|b/ is alternation);
// a / starts a regex where an operand is expected.
AwkFound scan_awk(std::string_view s) {
  AwkFound f;
  char prev = '\0';  // previous significant character
  int parens = 0;
  bool in_print = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      prev = '"';
      continue;
    }
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && !(std::isalnum(static_cast<unsigned char>(prev)) != 0 || prev == ')' ||
                      prev == ']' || prev == '_' || prev == '"' || prev == '$')) {
      for (++i; i < s.size() && s[i] != '/'; ++i) {
        if (s[i] == '\\') ++i;
      }
      prev = '/';
      continue;
    }
    if (c == ' ' || c == '\t') continue;
    if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) != 0 || s[j] == '_')) {
        ++j;
      }
      std::string_view word = s.substr(i, j - i);
      if (word == "system") {
        std::size_t k = j;
        while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) ++k;
        if (k < s.size() && s[k] == '(') f.system = true;
      }
      if (word == "print" || word == "printf") {
        in_print = true;
        parens = 0;
      }
      i = j - 1;
      prev = s[i];
      continue;
    }
    if (c == '(') ++parens;
    if (c == ')' && parens > 0) --parens;
    if (c == ';' || c == '\n' || c == '}' || c == '{') in_print = false;
    if (c == '|') {
      if (i + 1 < s.size() && s[i + 1] == '|') {
        ++i;
      } else if (prev != '|') {
        f.pipe = true;
      }
    }
    if (c == '>' && in_print && parens == 0) f.redirect = true;
    prev = c;
  }
  return f;
}

// ---- argv helpers ---------------------------------------------------------

bool is_option(const Arg& a) { return a.text.size() > 1 && a.text[0] == '-'; }

// The sub-command: the first operand, past git's global options that take
// a value (-C dir, -c key=value, --git-dir dir ...).
std::size_t subcommand_index(const std::vector<Arg>& argv, std::string_view tool) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i].text;
    if (a == "--") return i + 1 < argv.size() ? i + 1 : argv.size();
    if (!is_option(argv[i])) return i;
    if (tool == "git" && (a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree" ||
                          a == "--namespace" || a == "--config-env" || a == "--super-prefix")) {
      ++i;
    }
  }
  return argv.size();
}

// Whether option text `a` carries short option letter `letter` (in a cluster
// such as -ni or -i.bak). Only single-dash arguments qualify.
bool has_short(std::string_view a, char letter) {
  if (a.size() < 2 || a[0] != '-' || a[1] == '-') return false;
  for (std::size_t k = 1; k < a.size(); ++k) {
    if (a[k] == letter) return true;
    if (std::isalnum(static_cast<unsigned char>(a[k])) == 0) return false;  // -i.bak: stop at .
  }
  return false;
}

// --name, --name=value, and unambiguous-prefix abbreviations (--in-pl).
bool has_long(std::string_view a, std::string_view flag) {
  if (a.size() < 3 || a.substr(0, 2) != "--") return false;
  std::string_view name = a.substr(2);
  if (std::size_t eq = name.find('='); eq != std::string_view::npos) name = name.substr(0, eq);
  std::string_view want = flag.substr(2);
  return !name.empty() && want.substr(0, name.size()) == name;
}

}  // namespace

std::string_view effect_name(Effect e) {
  switch (e) {
    case Effect::Exec: return "exec";
    case Effect::Write: return "write";
    case Effect::Network: return "network";
    case Effect::ReadsSecrets: return "reads-secrets";
  }
  return "exec";
}

std::string ExecFlag::display() const {
  std::string out;
  if (!sub.empty() && match != FlagMatch::Subcommand) {
    out += std::string(sub);
    out += ' ';
  }
  switch (match) {
    case FlagMatch::Value: out += std::string(flag) + ' ' + std::string(value); break;
    case FlagMatch::SedScript: out += "(script) " + std::string(flag); break;
    case FlagMatch::AwkProgram: out += "(program) " + std::string(flag); break;
    case FlagMatch::Word:
      out += std::string(flag);
      if (flag == "+") out += "cmd";
      break;
    case FlagMatch::Subcommand: out += std::string(sub); break;
    default: out += std::string(flag);
  }
  return out;
}

std::string ExecFlag::doc_row() const {
  auto esc = [](std::string_view in) {
    std::string out;
    for (char c : in) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  return "| `" + esc(tools) + "` | `" + esc(display()) + "` | " + std::string(effect_name(effect)) +
         " | " + esc(reason) + " |";
}

std::span<const ExecFlag> exec_flag_table() { return kTable; }
std::span<const std::string_view> dangerous_env_names() { return kDangerousEnv; }

bool is_dangerous_env(std::string_view name) {
  std::string upper;
  upper.reserve(name.size());
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view d : kDangerousEnv) {
    if (d.back() == '_' ? upper.starts_with(d) : upper == d) return true;
  }
  return false;
}

std::string_view basename_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

namespace {

// The rows each tool name can hit, built once from the table: a command's
// scan then looks at its own tool's rows instead of comparing the tool list
// of every row (which was most of the analysis time). Each list is in table
// order, as the scan over the whole table reported its hits.
struct RowIndex {
  // Per tool name in a row's `tools`: the rows naming it (Targets rows
  // excepted: write_targets() reports them) merged with the Env rows,
  // which apply to any command.
  std::unordered_map<std::string_view, std::vector<std::uint16_t>> by_tool;
  std::vector<std::uint16_t> any_tool;  // the Env rows: a tool no row names
  // Tools with a row of their own (not "*", not Targets): tool_has_flags().
  std::unordered_set<std::string_view> with_flags;
};

void for_each_alt(std::string_view alts, const std::function<void(std::string_view)>& f) {
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = alts.find('|', start);
    f(alts.substr(start, bar == std::string_view::npos ? alts.npos : bar - start));
    if (bar == std::string_view::npos) return;
    start = bar + 1;
  }
}

RowIndex build_row_index() {
  static_assert(kTable.size() < 0xffff);
  RowIndex idx;
  for (const ExecFlag& row : kTable) {
    for_each_alt(row.tools, [&](std::string_view tool) {
      idx.by_tool.try_emplace(tool);
      if (row.tools != "*" && row.match != FlagMatch::Targets) idx.with_flags.insert(tool);
    });
  }
  for (std::size_t r = 0; r < kTable.size(); ++r) {
    const ExecFlag& row = kTable[r];
    const auto at = static_cast<std::uint16_t>(r);
    if (row.match == FlagMatch::Env) {
      idx.any_tool.push_back(at);
      for (auto& [tool, rows] : idx.by_tool) rows.push_back(at);
      continue;
    }
    if (row.match == FlagMatch::Targets) continue;
    for_each_alt(row.tools, [&](std::string_view tool) {
      std::vector<std::uint16_t>& rows = idx.by_tool[tool];
      // A tool named twice in one row's list is still one row.
      if (rows.empty() || rows.back() != at) rows.push_back(at);
    });
  }
  return idx;
}

const RowIndex& row_index() {
  static const RowIndex idx = build_row_index();
  return idx;
}

const std::vector<std::uint16_t>& rows_for(std::string_view tool) {
  const RowIndex& idx = row_index();
  auto it = idx.by_tool.find(tool);
  return it != idx.by_tool.end() ? it->second : idx.any_tool;
}

}  // namespace

bool tool_has_flags(std::string_view tool) { return row_index().with_flags.contains(tool); }

std::vector<FlagHit> scan_exec_flags(const std::vector<Arg>& argv,
                                     const std::vector<std::string>& env) {
  std::vector<FlagHit> hits;
  if (argv.empty()) return hits;
  std::string_view tool = basename_of(argv[0].text);
  std::size_t sub_at = std::string::npos;
  std::string_view sub;
  const bool tar = tool == "tar" || tool == "gtar" || tool == "bsdtar";
  // Only the rows that name this tool (and the Env rows): see RowIndex.
  for (std::size_t r : rows_for(tool)) {
    const ExecFlag& row = kTable[r];
    if (row.match == FlagMatch::Operand) {
      // dd of=: a write, reported by write_targets(), and here as a flag
      for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i].text.starts_with(row.flag)) hits.push_back({r, argv[i].text});
      }
      continue;
    }
    if (row.match == FlagMatch::Env) {
      for (const std::string& name : env) {
        if (is_dangerous_env(name)) hits.push_back({r, name + "=..."});
      }
      continue;
    }
    // The range of arguments the row looks at.
    std::size_t begin = 1;
    std::size_t end = argv.size();
    if (tool == "git" || !row.sub.empty()) {
      if (sub_at == std::string::npos) {
        sub_at = subcommand_index(argv, tool);
        sub = sub_at < argv.size() ? std::string_view(argv[sub_at].text) : std::string_view{};
      }
      if (row.sub.empty()) {
        end = sub_at;  // git's global options come before the sub-command
      } else {
        if (sub.empty() || !contains_alt(row.sub, sub)) continue;
        begin = sub_at + 1;
      }
    }
    if (row.match == FlagMatch::Subcommand) {
      hits.push_back({r, std::string(sub)});
      continue;
    }
    if (row.match == FlagMatch::NoArgs) {
      if (argv.size() == 1) hits.push_back({r, std::string(tool)});
      continue;
    }
    // With -e or -f the script is given by option; operands are files.
    bool first_operand_seen = false;
    if (row.match == FlagMatch::SedScript || row.match == FlagMatch::AwkProgram) {
      for (std::size_t i = begin; i < end; ++i) {
        const std::string& a = argv[i].text;
        if (a == "--") break;
        if (a == "-e" || a == "-f" || a.starts_with("--expression") || a.starts_with("--file") ||
            (row.match == FlagMatch::AwkProgram && a.starts_with("--source"))) {
          first_operand_seen = true;
        }
      }
    }
    for (std::size_t i = begin; i < end; ++i) {
      const std::string& a = argv[i].text;
      if (a == "--" && row.match != FlagMatch::Word) break;
      bool option = is_option(argv[i]);
      // tar's first argument may be a bundle without the dash (tar xIf ...).
      bool tar_bundle = i == 1 && !option && row.match == FlagMatch::Short && tar && !a.empty() &&
                        a.find_first_of("/.") == std::string::npos;
      switch (row.match) {
        case FlagMatch::Short:
          if (has_short(a, row.flag[1]) || (tar_bundle && a.find(row.flag[1]) != a.npos)) {
            hits.push_back({r, a});
          }
          break;
        case FlagMatch::Long:
          if (has_long(a, row.flag)) hits.push_back({r, a});
          break;
        case FlagMatch::Word:
          if (row.flag == "+" ? (a.size() > 1 && a[0] == '+') : a == row.flag) {
            hits.push_back({r, a});
          }
          break;
        case FlagMatch::Positional:
          if (!option && a == row.flag) hits.push_back({r, a});
          break;
        case FlagMatch::Value: {
          std::string_view value;
          bool found = false;
          if (row.flag.starts_with("--")) {
            if (a == row.flag && i + 1 < end) {
              value = argv[i + 1].text;
              found = true;
            } else if (a.starts_with(std::string(row.flag) + "=")) {
              value = std::string_view(a).substr(row.flag.size() + 1);
              found = true;
            }
          } else if (a == row.flag && i + 1 < end) {
            value = argv[i + 1].text;
            found = true;
          } else if (a.size() > 2 && a.starts_with(row.flag)) {
            value = std::string_view(a).substr(2);  // -ccore.pager=x, -oProxyCommand=x
            found = true;
          }
          if (found && iglob_any(row.value, value)) {
            hits.push_back({r, a + (a.size() == row.flag.size() ? " " + std::string(value) : "")});
          }
          break;
        }
        case FlagMatch::SedScript:
        case FlagMatch::AwkProgram: {
          // The script: every -e/--expression value, else the first operand.
          bool is_script = false;
          std::string_view script;
          if (a == "-e" || a == "--expression" || (tool != "sed" && a == "--source")) {
            if (i + 1 < end) {
              script = argv[i + 1].text;
              is_script = true;
              ++i;
            }
          } else if (a.starts_with("--expression=")) {
            script = std::string_view(a).substr(13);
            is_script = true;
          } else if (option) {
            // Options that take a value: skip it so it is not read as the script.
            if (row.match == FlagMatch::AwkProgram && (a == "-F" || a == "-v" || a == "-f")) ++i;
            if (row.match == FlagMatch::SedScript && (a == "-f" || a == "-l")) ++i;
            if (a == "-f" || a.starts_with("--file")) first_operand_seen = true;
          } else if (!first_operand_seen) {
            first_operand_seen = true;
            script = a;
            is_script = true;
          }
          if (!is_script) break;
          if (row.match == FlagMatch::SedScript) {
            SedFound f = scan_sed(script);
            if ((row.flag == "e" && f.exec) || (row.flag == "w" && f.write)) {
              hits.push_back({r, std::string(script)});
            }
          } else {
            AwkFound f = scan_awk(script);
            if ((row.flag == "system(" && f.system) || (row.flag == "|" && f.pipe) ||
                (row.flag == ">" && f.redirect)) {
              hits.push_back({r, std::string(script)});
            }
          }
          break;
        }
        default: break;
      }
      if (!option && !tar_bundle && row.stop_at_operand) break;
    }
  }
  return hits;
}

std::vector<ArgWrite> write_targets(const std::vector<Arg>& argv) {
  std::vector<ArgWrite> out;
  if (argv.empty()) return out;
  std::string_view tool = basename_of(argv[0].text);
  auto operands = [&](std::size_t from) {
    std::vector<std::size_t> ops;
    bool after_dashdash = false;
    for (std::size_t i = from; i < argv.size(); ++i) {
      if (!after_dashdash && argv[i].text == "--") {
        after_dashdash = true;
        continue;
      }
      if (!after_dashdash && is_option(argv[i])) continue;
      ops.push_back(i);
    }
    return ops;
  };
  if (tool == "tee") {
    for (std::size_t i : operands(1)) out.push_back({i, 0, "tee"});
  } else if (contains_alt("cp|mv|install|ln|rsync", tool)) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i].text;
      if ((a == "-t" || a == "--target-directory") && i + 1 < argv.size()) {
        out.push_back({i + 1, 0, tool});
        return out;
      }
      if (a.starts_with("--target-directory=")) {
        out.push_back({i, 19, tool});
        return out;
      }
    }
    std::vector<std::size_t> ops = operands(1);
    if (ops.size() >= 2 || (tool == "ln" && !ops.empty())) out.push_back({ops.back(), 0, tool});
  } else if (contains_alt("touch|mkdir|rm|rmdir|truncate|shred|chmod|chown|unlink", tool)) {
    std::vector<std::size_t> ops = operands(1);
    std::size_t skip_first = (tool == "chmod" || tool == "chown") ? 1 : 0;
    for (std::size_t k = skip_first; k < ops.size(); ++k) out.push_back({ops[k], 0, tool});
  } else if (tool == "dd") {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      if (argv[i].text.starts_with("of=")) out.push_back({i, 3, "dd of="});
    }
  } else if (tool == "curl" || tool == "wget") {
    std::string_view shrt = tool == "curl" ? "-o" : "-O";
    std::string_view lng = tool == "curl" ? "--output" : "--output-document";
    for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i].text == shrt || argv[i].text == lng) out.push_back({i + 1, 0, tool});
    }
  }
  return out;
}

}  // namespace cordon::shell
