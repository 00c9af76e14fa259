#include "sandbox/sweep.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cordon::sandbox {
namespace {

bool newer(const struct stat& st, struct timespec since) {
  return st.st_ctim.tv_sec > since.tv_sec ||
         (st.st_ctim.tv_sec == since.tv_sec && st.st_ctim.tv_nsec >= since.tv_nsec);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string quarantine_name(const std::string& path) {
  return path + ".cordon-quarantined-" + std::to_string(::time(nullptr));
}

void disarm_hooks(const std::string& hooks, struct timespec since,
                  std::vector<SweepFinding>& out) {
  DIR* d = opendir(hooks.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n.size() > 7 && n.compare(n.size() - 7, 7, ".sample") == 0)
      continue;
    names.push_back(n);
  }
  closedir(d);
  for (const auto& n : names) {
    std::string p = hooks + "/" + n;
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0 || !newer(st, since)) continue;
    if (n.find(".cordon-quarantined-") != std::string::npos) continue;
    // A hook is any file git would run by name; aside and non-executable.
    std::string aside = quarantine_name(p);
    if (rename(p.c_str(), aside.c_str()) == 0) {
      if (S_ISREG(st.st_mode)) chmod(aside.c_str(), st.st_mode & 0666);
      out.push_back({p, "git hook created during the run", "renamed to " + aside + ", not executable"});
    } else {
      out.push_back({p, "git hook created during the run",
                     std::string("could NOT be neutralised: ") + std::strerror(errno)});
    }
  }
}

void check_config(const std::string& config, struct timespec since,
                  std::vector<SweepFinding>& out) {
  struct stat st {};
  if (lstat(config.c_str(), &st) != 0 || !newer(st, since)) return;
  std::string key;
  bool dangerous = true;
  if (S_ISREG(st.st_mode)) {
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    dangerous = git_config_is_dangerous(ss.str(), &key);
  } else {
    key = "(not a regular file)";
  }
  if (!dangerous) return;
  std::string aside = quarantine_name(config);
  if (rename(config.c_str(), aside.c_str()) == 0)
    out.push_back({config, "git config changed during the run sets " + key, "renamed to " + aside});
  else
    out.push_back({config, "git config changed during the run sets " + key,
                   std::string("could NOT be neutralised: ") + std::strerror(errno)});
}

void check_gitdir(const std::string& gitdir, struct timespec since,
                  std::vector<SweepFinding>& out) {
  disarm_hooks(gitdir + "/hooks", since, out);
  check_config(gitdir + "/config", since, out);
  // Submodules keep their own git directories under modules/.
  std::string modules = gitdir + "/modules";
  DIR* d = opendir(modules.c_str());
  if (d == nullptr) return;
  std::vector<std::string> subs;
  while (struct dirent* e = readdir(d))
    if (e->d_name[0] != '.') subs.push_back(modules + "/" + e->d_name);
  closedir(d);
  for (const auto& s : subs) check_gitdir(s, since, out);
}

void walk(const std::string& dir, struct timespec since, int depth,
          std::vector<SweepFinding>& out) {
  if (depth > 64) return;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> subdirs;
  bool bare_markers[3] = {};
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
      if (n == "HEAD") bare_markers[0] = true;
      continue;
    }
    std::string p = dir + "/" + n;
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (n == ".git") {
      check_gitdir(p, since, out);
      continue;
    }
    if (n == "objects") bare_markers[1] = true;
    if (n == "refs") bare_markers[2] = true;
    subdirs.push_back(p);
  }
  closedir(d);
  // A directory with HEAD, objects/ and refs/ is a bare repository: git
  // run inside it would read its config and hooks.
  if (bare_markers[0] && bare_markers[1] && bare_markers[2]) check_gitdir(dir, since, out);
  for (const auto& s : subdirs) walk(s, since, depth + 1, out);
}

}  // namespace

Result<PlaceholderLease> PlaceholderLease::acquire(const std::string& workspace,
                                                   const std::vector<Placeholder>& candidates) {
  PlaceholderLease lease;
  lease.candidates_ = candidates;
  lease.lock_.reset(open(workspace.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lease.lock_) return sys_error("open workspace " + workspace);
  // Blocks only while another run is removing placeholders (a moment).
  while (flock(lease.lock_.get(), LOCK_SH) != 0)
    if (errno != EINTR) return sys_error("lock workspace " + workspace);
  for (const auto& p : candidates) {
    if (!p.missing) continue;
    int rc;
    if (p.directory) {
      rc = mkdir(p.path.c_str(), 0755);
    } else {
      int fd = open(p.path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      rc = fd >= 0 ? 0 : -1;
      if (fd >= 0) close(fd);
    }
    if (rc != 0 && errno != EEXIST) return sys_error("create placeholder " + p.path);
    if (rc == 0) {
      lease.made_.push_back(p.path);
      lsetxattr(p.path.c_str(), kPlaceholderXattr, "1", 1, 0);  // best effort: see release()
    }
  }
  return lease;
}

void PlaceholderLease::release() {
  if (!lock_) return;
  // Exclusive only when no other run holds the workspace.
  if (flock(lock_.get(), LOCK_EX | LOCK_NB) == 0) {
    for (auto it = candidates_.rbegin(); it != candidates_.rend(); ++it) {
      char mark[4];
      bool marked = lgetxattr(it->path.c_str(), kPlaceholderXattr, mark, sizeof mark) > 0;
      bool ours = std::find(made_.begin(), made_.end(), it->path) != made_.end();
      if (!marked && !ours) continue;
      struct stat st {};
      if (lstat(it->path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        rmdir(it->path.c_str());  // fails, harmlessly, unless still empty
      } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
        unlink(it->path.c_str());
      }
    }
  }
  lock_.reset();
}

bool git_config_is_dangerous(const std::string& text, std::string* key) {
  // Allow-list: what `git init` and `git clone` write, and identity. Any
  // other key might run a program (core.hooksPath, core.fsmonitor,
  // core.sshCommand, core.pager, filter.*.clean, diff.*.textconv, alias.*,
  // credential.helper, include.path, ...), so it is treated as dangerous.
  static const char* const kSafe[] = {
      "core.repositoryformatversion", "core.filemode", "core.bare", "core.logallrefupdates",
      "core.ignorecase", "core.precomposeunicode", "core.symlinks", "core.autocrlf",
      "core.eol", "remote.*.url", "remote.*.fetch", "remote.*.pushurl", "branch.*.remote",
      "branch.*.merge", "branch.*.rebase", "user.name", "user.email", "init.defaultbranch",
      "extensions.objectformat", "extensions.worktreeconfig", "pull.rebase", "submodule.*.url",
      "submodule.*.active", "gc.auto"};
  std::string section, subsection;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      size_t close = t.find(']');
      std::string inner = t.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      size_t q = inner.find('"');
      if (q != std::string::npos) {
        section = lower(trim(inner.substr(0, q)));
        subsection = "*";
      } else {
        size_t dot = inner.find('.');
        section = lower(trim(inner.substr(0, dot)));
        subsection = dot == std::string::npos ? "" : "*";
      }
      if (close == std::string::npos || close + 1 >= t.size()) continue;
      t = trim(t.substr(close + 1));  // "[core] hooksPath = x" on one line
      if (t.empty()) continue;
    }
    std::string name = lower(trim(t.substr(0, t.find('='))));
    std::string full = section + (subsection.empty() ? "" : "." + subsection) + "." + name;
    bool safe = std::any_of(std::begin(kSafe), std::end(kSafe),
                            [&](const char* s) { return full == s; });
    if (!safe) {
      if (key != nullptr) *key = full;
      return true;
    }
  }
  return false;
}

std::vector<SweepFinding> sweep_workspace(const std::string& workspace, struct timespec since) {
  std::vector<SweepFinding> out;
  walk(workspace, since, 0, out);
  return out;
}

}  // namespace cordon::sandbox
