// What the escape suites share: a scene (workspace, home, a directory
// "outside" the sandbox, and the probe staged where the sandbox can run it),
// the probe run bare and inside `cordon run`, and snapshots that show that
// something outside did not change.
//
// Every escape test runs the same probe steps twice: once uncontained, where
// they must work (so the test can fail), and once contained, where each must
// fail with its exact errno. Steps are joined with "+" and the probe answers
// on one line, one word per step (see probe.c).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::test::escape {

// The first line the probe printed, or what went wrong instead (cordon's own
// failure, a signal, no output), so that a mismatch explains itself.
inline std::string outcome(const RunResult& r) {
  if (r.exit_code == 0 && r.term_signal == 0 && !r.out.empty() && r.out.back() == '\n' &&
      r.out.find('\n') == r.out.size() - 1)
    return r.out.substr(0, r.out.size() - 1);
  std::string why = "<no probe outcome: exit " + std::to_string(r.exit_code);
  if (r.term_signal) why += ", signal " + std::to_string(r.term_signal);
  if (r.timed_out) why += ", timed out";
  return why + "; stdout: " + r.out + "; stderr: " + r.err + ">";
}

// probe argv from steps: {{"unlink", "a"}, {"create", "a"}} ->
// probe unlink a + create a
inline std::vector<std::string> probe_argv(const std::string& probe,
                                           const std::vector<std::vector<std::string>>& steps) {
  std::vector<std::string> argv{probe};
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i) argv.push_back("+");
    argv.insert(argv.end(), steps[i].begin(), steps[i].end());
  }
  return argv;
}

inline std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "ERRNO_" + std::to_string(err);
}

// Copies a file, keeping it executable; owned by the test user when asked.
inline void copy_executable(const std::string& from, const std::string& to, bool for_unprivileged) {
  const std::string data = read_file(from);
  if (data.empty()) throw std::runtime_error("cannot read " + from + ": build the probe target");
  int fd = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (fd < 0) throw std::runtime_error("create " + to + ": " + errno_name(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w <= 0) {
      close(fd);
      throw std::runtime_error("write " + to + ": " + errno_name(errno));
    }
    off += static_cast<size_t>(w);
  }
  fchmod(fd, 0755);
  close(fd);
  if (for_unprivileged && is_root() && chown(to.c_str(), test_uid(), test_gid()) != 0)
    throw std::runtime_error("chown " + to + ": " + errno_name(errno));
}

// A workspace, a home, and a directory outside both (which the sandbox does
// not see unless a flag shows it), all owned by whoever the run is.
//
// The probe is copied into the workspace: the default policy shows the
// system directories and the workspace, not the build tree.
class Scene {
 public:
  explicit Scene(bool unprivileged)
      : unprivileged_(unprivileged), ws(unprivileged), home(unprivileged), outside(unprivileged) {
    probe = ws.file("probe");
    copy_executable(probe_bin(), probe, unprivileged);
  }

  bool unprivileged() const { return unprivileged_; }

  // A run as this scene's user, in the workspace, with HOME = home.
  RunOptions opts() const {
    RunOptions o;
    o.cwd = ws.path();
    o.unprivileged = unprivileged_;
    o.extra_env = {"HOME=" + home.path(), "LC_ALL=C", "LANG=C"};
    return o;
  }

  // The probe, uncontained.
  RunResult bare_run(const std::vector<std::vector<std::string>>& steps) const {
    return run(probe_argv(probe, steps), opts());
  }
  std::string bare(const std::vector<std::vector<std::string>>& steps) const {
    return outcome(bare_run(steps));
  }

  // The probe inside `cordon run FLAGS -- probe STEPS`.
  RunResult inside_run(const std::vector<std::vector<std::string>>& steps,
                       const std::vector<std::string>& flags = {}) const {
    return cordon(run_args(flags, probe_argv(probe, steps)), opts());
  }
  std::string inside(const std::vector<std::vector<std::string>>& steps,
                     const std::vector<std::string>& flags = {}) const {
    return outcome(inside_run(steps, flags));
  }

  // Makes `outside` visible (read-only) inside the sandbox.
  std::vector<std::string> show_outside() const { return {"--allow-read", outside.path()}; }

 private:
  bool unprivileged_;

 public:
  TempDir ws;
  TempDir home;
  TempDir outside;
  std::string probe;  // absolute; the same path inside the sandbox
};

// Everything under a directory, without following symlinks: relative path ->
// type, mode, owner, size and content (or link target). Two equal snapshots
// mean nothing in the tree was written, created, removed or replaced.
inline void snapshot_into(const std::string& root, const std::string& rel,
                          std::map<std::string, std::string>& out) {
  const std::string abs = rel.empty() ? root : root + "/" + rel;
  struct stat st {};
  if (lstat(abs.c_str(), &st) != 0) return;
  std::string desc = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " " +
                     std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " ";
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(abs.c_str(), target, sizeof target);
    desc += "-> " + std::string(target, n > 0 ? static_cast<size_t>(n) : 0);
  } else if (S_ISREG(st.st_mode)) {
    desc += read_file(abs);
  }
  out[rel.empty() ? "." : rel] = desc;
  if (!S_ISDIR(st.st_mode)) return;
  std::vector<std::string> names;
  if (DIR* d = opendir(abs.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  for (const auto& n : names) snapshot_into(root, rel.empty() ? n : rel + "/" + n, out);
}

inline std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  snapshot_into(root, "", out);
  return out;
}

// "caller_dot_git_hooks"-style names for parameterised tests.
inline std::string identifier(const std::string& text) {
  std::string id;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      id += c;
    else if (c == '.')
      id += "dot_";
    else
      id += '_';
  }
  return id;
}

}  // namespace cordon::test::escape
