#include "sandbox/sweep.h"

#include "sandbox/mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace cordon::sandbox {
namespace {

bool same_state(const FileState& a, const struct stat& st) {
  return a.dev == st.st_dev && a.ino == st.st_ino && a.ctime_sec == st.st_ctim.tv_sec &&
         a.ctime_nsec == st.st_ctim.tv_nsec;
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

std::string quarantine_suffix() { return ".cordon-quarantined-" + std::to_string(::time(nullptr)); }

// The entry names of the directory `name` under `dirfd`, never through a
// symlink; with an fd of that directory for the caller to act in.
std::vector<std::string> list_dir_at(int dirfd, const char* name, UniqueFd* dir_out) {
  std::vector<std::string> names;
  UniqueFd dir(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return names;
  int copy = dup(dir.get());
  if (copy < 0) return names;
  DIR* d = fdopendir(copy);
  if (d == nullptr) {
    close(copy);
    return names;
  }
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  *dir_out = std::move(dir);
  return names;
}

// Every file in a git directory that can make a later git command run code:
// its hooks (but the inert *.sample ones git init writes), its config, and
// the same in each submodule's git directory under modules/. Everything is
// reached fd-relative with O_NOFOLLOW: the sweep runs outside the sandbox,
// and a symlink planted for it (".git/hooks -> ~/elsewhere") must never
// lead it out of the workspace.
void for_each_git_item(int gitdir_fd, const std::string& gitdir,
                       const std::function<void(const GitItem&)>& fn, int depth = 0) {
  if (depth > 8) return;
  UniqueFd hooks;
  for (const auto& n : list_dir_at(gitdir_fd, "hooks", &hooks)) {
    if (n.size() > 7 && n.compare(n.size() - 7, 7, ".sample") == 0) continue;
    if (n.find(".cordon-quarantined-") != std::string::npos) continue;
    fn({gitdir + "/hooks/" + n, hooks.get(), n, true, false});
  }
  fn({gitdir + "/config", gitdir_fd, "config", false, false});
  UniqueFd modules;
  for (const auto& n : list_dir_at(gitdir_fd, "modules", &modules)) {
    if (n[0] == '.') continue;
    UniqueFd sub(openat(modules.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub) for_each_git_item(sub.get(), gitdir + "/modules/" + n, fn, depth + 1);
  }
}

void set_aside(const GitItem& item, const std::string& what, bool disarm,
               std::vector<SweepFinding>& out) {
  std::string aside = item.name + quarantine_suffix();
  if (renameat(item.dirfd, item.name.c_str(), item.dirfd, aside.c_str()) != 0) {
    out.push_back(
        {item.path, what, std::string("could NOT be neutralised: ") + std::strerror(errno)});
    return;
  }
  if (disarm) {
    // Not executable either; opened without following, so a symlink that
    // raced in cannot redirect the chmod.
    UniqueFd f(openat(item.dirfd, aside.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (f && fstat(f.get(), &st) == 0 && S_ISREG(st.st_mode)) fchmod(f.get(), st.st_mode & 0666);
  }
  std::string where = item.path.substr(0, item.path.size() - item.name.size()) + aside;
  out.push_back({item.path, what, "renamed to " + where + (disarm ? ", not executable" : "")});
}

void judge(const GitItem& item, const std::unordered_map<std::string, FileState>& baseline,
           std::vector<SweepFinding>& out) {
  struct stat st {};
  if (fstatat(item.dirfd, item.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  auto it = baseline.find(item.path);
  if (it != baseline.end() && same_state(it->second, st)) return;  // untouched by the run
  if (item.marker) {
    // HEAD beside objects/ and refs/ makes the directory a bare repository
    // that a later git command outside would use, with its config and hooks.
    set_aside(item, "bare-repository marker created or changed during the run", false, out);
    return;
  }
  if (item.hook) {
    // A hook is any file git would run by name: aside, and not executable.
    set_aside(item, "git hook created or changed during the run", true, out);
    return;
  }
  std::string key;
  bool dangerous = true;
  if (S_ISREG(st.st_mode)) {
    std::string text;
    UniqueFd f(openat(item.dirfd, "config", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    char buf[8192];
    ssize_t n;
    while (f && (n = read(f.get(), buf, sizeof buf)) > 0 && text.size() < (1u << 20))
      text.append(buf, static_cast<size_t>(n));
    dangerous = !f || git_config_is_dangerous(text, &key);
    if (!f) key = "(unreadable)";
  } else {
    key = "(not a regular file)";
  }
  if (!dangerous) return;
  set_aside(item, "git config created or changed during the run sets " + key, false, out);
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
  // Each placeholder is created in its parent opened from "/" with no
  // symlink allowed anywhere on the way: a parent that has just been swapped
  // for a symlink (".git" -> elsewhere) fails instead of leading outside.
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  // Most placeholders are at the workspace's top: it is opened once for
  // them. A parent inside the workspace (.git) is opened again for each
  // one, so that one swapped or moved meanwhile is seen as it is now.
  const std::string workspace_rel = workspace.substr(1);
  std::string parent_rel_open;
  UniqueFd parent;
  for (const auto& p : candidates) {
    if (!p.missing) continue;
    size_t slash = p.path.rfind('/');
    std::string parent_rel = p.path.substr(1, slash == 0 ? 0 : slash - 1);
    std::string name = p.path.substr(slash + 1);
    if (!parent || parent_rel != parent_rel_open || parent_rel != workspace_rel) {
      auto opened = open_beneath(root.get(), parent_rel.empty() ? "." : parent_rel,
                                 O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (!opened.ok())
        return Error{opened.error().err, "open the parent of placeholder " + p.path};
      parent = std::move(opened.value());
      parent_rel_open = parent_rel;
    }
    int rc = mkdirat(parent.get(), name.c_str(), 0755);
    if (rc != 0 && errno != EEXIST) return sys_error("create placeholder " + p.path);
    if (rc == 0) {
      lease.made_.push_back(p.path);
      // Best effort (see release()); through /proc/self/fd so it cannot
      // follow a link either.
      std::string at = "/proc/self/fd/" + std::to_string(parent.get()) + "/" + name;
      lsetxattr(at.c_str(), kPlaceholderXattr, "1", 1, 0);
    }
  }
  return lease;
}

void PlaceholderLease::release() {
  if (!lock_) return;
  // Exclusive only when no other run holds the workspace.
  if (flock(lock_.get(), LOCK_EX | LOCK_NB) == 0) {
    for (auto it = candidates_.rbegin(); it != candidates_.rend(); ++it) {
      bool ours = std::find(made_.begin(), made_.end(), it->path) != made_.end();
      char mark[4];
      if (!ours && lgetxattr(it->path.c_str(), kPlaceholderXattr, mark, sizeof mark) <= 0) continue;
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
  static const char* const kSafe[] = {"core.repositoryformatversion",
                                      "core.filemode",
                                      "core.bare",
                                      "core.logallrefupdates",
                                      "core.ignorecase",
                                      "core.precomposeunicode",
                                      "core.symlinks",
                                      "core.autocrlf",
                                      "core.eol",
                                      "remote.*.url",
                                      "remote.*.fetch",
                                      "remote.*.pushurl",
                                      "branch.*.remote",
                                      "branch.*.merge",
                                      "branch.*.rebase",
                                      "user.name",
                                      "user.email",
                                      "init.defaultbranch",
                                      "extensions.objectformat",
                                      "extensions.worktreeconfig",
                                      "pull.rebase",
                                      "submodule.*.url",
                                      "submodule.*.active",
                                      "gc.auto"};
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
    bool safe =
        std::any_of(std::begin(kSafe), std::end(kSafe), [&](const char* s) { return full == s; });
    if (!safe) {
      if (key != nullptr) *key = full;
      return true;
    }
  }
  return false;
}

namespace {

// A directory the walk has found and not yet read. It is opened relative to
// its parent, which stays open (shared) until the last of its children has
// been opened: fd-relative all the way down, without one open descriptor per
// pending directory (a directory with thousands of subdirectories, such as a
// node_modules, would otherwise exhaust RLIMIT_NOFILE and be skipped).
struct PendingDir {
  std::shared_ptr<DIR> parent;  // null for the root
  std::string name;             // in parent
  std::string path;
  int depth = 0;
  bool no_files = false;  // below a no_files_below directory
};

// Directories read by one thread before a second one is started: a small
// tree is walked by the caller alone, without the cost of a thread.
constexpr std::size_t kWalkAloneDirs = 64;
constexpr unsigned kWalkMaxThreads = 4;

class TreeWalk {
 public:
  explicit TreeWalk(const WalkVisitor& visit) : visit_(visit) {}

  void run(const std::string& root) {
    queue_.push_back({nullptr, root, root, 0});
    std::vector<std::thread> helpers;
    work(&helpers);
    for (auto& t : helpers) t.join();
  }

 private:
  // Takes directories from the queue until the whole tree is read. The
  // caller's thread (helpers != null) starts helpers once the tree has
  // proved big enough to be worth them.
  void work(std::vector<std::thread>* helpers) {
    std::unique_lock lock(queue_m_);
    for (;;) {
      cv_.wait(lock, [&] { return !queue_.empty() || busy_ == 0; });
      if (queue_.empty()) {
        cv_.notify_all();  // nothing left and nobody reading: the walk is over
        return;
      }
      PendingDir d = std::move(queue_.back());
      queue_.pop_back();
      ++busy_;
      lock.unlock();
      std::vector<PendingDir> found;
      read_dir(d, found);
      d.parent.reset();  // the parent closes once its last child is open
      lock.lock();
      --busy_;
      ++read_;
      for (auto& f : found) queue_.push_back(std::move(f));
      cv_.notify_all();
      if (helpers != nullptr && helpers->empty() && read_ >= kWalkAloneDirs && queue_.size() > 1) {
        const unsigned cpus =
            std::max(1U, std::min(std::thread::hardware_concurrency(), kWalkMaxThreads));
        lock.unlock();
        try {
          for (unsigned i = 1; i < cpus; ++i) helpers->emplace_back([this] { work(nullptr); });
        } catch (const std::system_error&) {
          // No thread to be had: this one walks on alone.
        }
        lock.lock();
      }
    }
  }

  void report_error(const std::string& path, int err) {
    if (!visit_.on_error) return;
    const std::lock_guard guard(visit_m_);
    visit_.on_error(path, err);
  }

  // Opens d and reads it: its files go to the visitor, its subdirectories
  // (on the root's filesystem) to `found`.
  void read_dir(const PendingDir& d, std::vector<PendingDir>& found) {
    const int fd = d.parent ? openat(dirfd(d.parent.get()), d.name.c_str(),
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                            : open(d.path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      // Gone, or no longer a directory: nothing to read. Not readable and
      // not searchable either: nothing below it can be reached by the
      // caller, contained or not. Anything else (EMFILE, ENOMEM, a
      // directory that can be entered but not listed) leaves the tree
      // unchecked, which the visitor must hear.
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) return;
      if (err == EACCES && d.parent &&
          faccessat(dirfd(d.parent.get()), d.name.c_str(), X_OK, AT_SYMLINK_NOFOLLOW) != 0)
        return;
      report_error(d.path, err);
      return;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      report_error(d.path, errno);
      close(fd);
      return;
    }
    if (!d.parent) {
      root_dev_ = st.st_dev;
    } else if (st.st_dev != root_dev_) {
      close(fd);  // another filesystem mounted here: not walked
      return;
    }
    std::shared_ptr<DIR> dir(fdopendir(fd), [](DIR* p) { closedir(p); });
    if (!dir) {
      report_error(d.path, errno);
      close(fd);
      return;
    }
    bool bare[3] = {};  // HEAD, objects/, refs/: a bare repository
    for (;;) {
      errno = 0;
      const struct dirent* e = readdir(dir.get());
      if (e == nullptr) {
        if (errno != 0) report_error(d.path, errno);
        break;
      }
      const char* n = e->d_name;
      if (std::strcmp(n, ".") == 0 || std::strcmp(n, "..") == 0) continue;
      unsigned char type = e->d_type;
      if (type != DT_DIR && type != DT_REG && type != DT_UNKNOWN) continue;
      struct stat est {};
      const bool want_files = visit_.on_file && !d.no_files;
      const bool want_stat = type == DT_UNKNOWN || (type == DT_REG && want_files);
      if (want_stat) {
        if (fstatat(dirfd(dir.get()), n, &est, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISREG(est.st_mode) ? DT_REG : S_ISDIR(est.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
      if (type == DT_REG) {
        // The sweep looks at directories and at names only: no stat for
        // the files of the tree, which are most of it.
        if (std::strcmp(n, "HEAD") == 0) bare[0] = true;
        if (want_files) {
          const std::lock_guard guard(visit_m_);
          visit_.on_file(d.path + "/" + n, est);
        }
        continue;
      }
      if (type != DT_DIR || d.depth > 256) continue;
      std::string child = d.path + "/" + n;
      if (std::strcmp(n, ".git") == 0 && visit_.on_git_item) {
        UniqueFd git(openat(dirfd(dir.get()), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (git) {
          const std::lock_guard guard(visit_m_);
          for_each_git_item(git.get(), child, visit_.on_git_item);
        }
      }
      if (std::strcmp(n, "objects") == 0) bare[1] = true;
      if (std::strcmp(n, "refs") == 0) bare[2] = true;
      const bool no_files = d.no_files || (visit_.no_files_below && visit_.no_files_below(child));
      found.push_back({dir, n, std::move(child), d.depth + 1, no_files});
    }
    // A ".git" directory (and a submodule's git directory below one) has
    // HEAD, objects/ and refs/ too: it is handled as a git directory above,
    // not as a bare repository in the work tree.
    const bool in_gitdir =
        d.path.size() >= 5 && (d.path.compare(d.path.size() - 5, 5, "/.git") == 0 ||
                               d.path.find("/.git/") != std::string::npos);
    if (!visit_.on_git_item) return;
    const std::lock_guard guard(visit_m_);
    if (bare[0] && bare[1] && bare[2] && !in_gitdir) {
      visit_.on_git_item({d.path + "/HEAD", dirfd(dir.get()), "HEAD", false, true});
      for_each_git_item(dirfd(dir.get()), d.path, visit_.on_git_item);
    } else if (bare[0] && d.depth == 0) {
      // HEAD at the top of the workspace has no placeholder (it would make
      // `git log HEAD` ambiguous); one the run made is set aside all the same.
      visit_.on_git_item({d.path + "/HEAD", dirfd(dir.get()), "HEAD", false, true});
    }
  }

  const WalkVisitor& visit_;
  std::mutex visit_m_;  // the visitor is called by one thread at a time
  std::mutex queue_m_;
  std::condition_variable cv_;
  std::vector<PendingDir> queue_;  // LIFO: depth first, few directories open
  int busy_ = 0;                   // directories being read
  std::size_t read_ = 0;
  dev_t root_dev_ = 0;  // written before the first subdirectory is queued
};

}  // namespace

void walk_workspace(const std::string& root, const WalkVisitor& visit) {
  TreeWalk(visit).run(root);
}

void record_git_item(const GitItem& item, std::vector<FileState>& baseline) {
  struct stat st {};
  if (fstatat(item.dirfd, item.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  baseline.push_back({item.path, st.st_dev, st.st_ino, st.st_ctim.tv_sec, st.st_ctim.tv_nsec});
}

std::vector<SweepFinding> sweep_workspace(const std::string& workspace,
                                          const std::vector<FileState>& baseline) {
  std::unordered_map<std::string, FileState> by_path;
  for (const auto& b : baseline) by_path.emplace(b.path, b);
  std::vector<SweepFinding> out;
  WalkVisitor v;
  v.on_git_item = [&](const GitItem& item) { judge(item, by_path, out); };
  v.on_error = [&](const std::string& path, int err) {
    out.push_back({path, std::string("could not be read: ") + std::strerror(err),
                   "git hooks and configs below it were NOT checked"});
  };
  walk_workspace(workspace, v);
  // The walk is concurrent: the report is in path order, the same every time.
  std::sort(out.begin(), out.end(),
            [](const SweepFinding& a, const SweepFinding& b) { return a.path < b.path; });
  return out;
}

namespace {

// The path itself and, for a directory, everything below it (no symlinks
// followed), with its stat.
void each_below(const std::string& root,
                const std::function<void(const std::string&, const struct stat&)>& fn) {
  struct stat st {};
  if (lstat(root.c_str(), &st) != 0) return;
  fn(root, st);
  if (!S_ISDIR(st.st_mode)) return;
  WalkVisitor v;
  v.on_file = fn;
  walk_workspace(root, v);
}

}  // namespace

void record_protected(const std::vector<std::string>& roots, std::vector<FileState>& baseline) {
  for (const auto& r : roots)
    each_below(r, [&](const std::string& p, const struct stat& st) {
      baseline.push_back({p, st.st_dev, st.st_ino, st.st_ctim.tv_sec, st.st_ctim.tv_nsec});
    });
}

std::vector<SweepFinding> sweep_protected(const std::vector<std::string>& roots,
                                          const std::vector<FileState>& baseline) {
  std::unordered_map<std::string, FileState> by_path;
  for (const auto& b : baseline) by_path.emplace(b.path, b);
  std::vector<SweepFinding> out;
  auto aside = [&](const std::string& path, const std::string& what) {
    std::string to = path + quarantine_suffix();
    if (rename(path.c_str(), to.c_str()) == 0)
      out.push_back({path, what, "renamed to " + to});
    else
      out.push_back({path, what, std::string("could NOT be neutralised: ") + std::strerror(errno)});
  };
  for (const auto& r : roots) {
    struct stat st {};
    if (lstat(r.c_str(), &st) != 0) continue;
    if (by_path.find(r) == by_path.end()) {
      aside(r, "protected path created during the run");
      continue;
    }
    std::vector<std::string> changed;
    each_below(r, [&](const std::string& p, const struct stat& s2) {
      if (p == r && S_ISDIR(s2.st_mode)) return;  // a directory's own ctime moves with its entries
      auto it = by_path.find(p);
      if (it == by_path.end() || !same_state(it->second, s2)) changed.push_back(p);
    });
    for (const auto& c : changed) aside(c, "protected path created or changed during the run");
  }
  return out;
}

}  // namespace cordon::sandbox
