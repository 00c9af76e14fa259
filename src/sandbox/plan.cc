#include "sandbox/plan.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <unordered_set>

#include "base/unique_fd.h"
#include "policy/load.h"
#include "sandbox/sweep.h"
#include "sandbox/workspace.h"

namespace cordon::sandbox {
namespace {

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

// Every existing path a pattern names, as written (not yet canonical).
std::vector<std::string> expand(const std::string& abs_pattern) {
  std::vector<std::string> out;
  if (!has_glob(abs_pattern)) {
    struct stat st {};
    if (lstat(abs_pattern.c_str(), &st) == 0) out.push_back(abs_pattern);
    return out;
  }
  glob_t g{};
  // GLOB_PERIOD: "~/.config/*" must match dot-directories too, or a
  // credential store named ".something" would slip past a deny pattern.
  if (glob(abs_pattern.c_str(), GLOB_NOSORT | GLOB_PERIOD, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      auto parts = split(p);
      if (!parts.empty() && (parts.back() == "." || parts.back() == "..")) continue;
      out.push_back(p);
    }
  }
  globfree(&g);
  return out;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The mount points of this mount namespace, from /proc/self/mountinfo
// (field 5, with its octal escapes undone).
std::vector<std::string> mount_points() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, fs_root, point;
    if (!(fields >> id >> parent >> devno >> fs_root >> point)) continue;
    std::string path;
    for (std::size_t i = 0; i < point.size(); ++i) {
      auto octal = [&](std::size_t k) { return point[k] >= '0' && point[k] <= '7'; };
      if (point[i] == '\\' && i + 3 < point.size() && octal(i + 1) && octal(i + 2) &&
          octal(i + 3)) {
        path += static_cast<char>((point[i + 1] - '0') * 64 + (point[i + 2] - '0') * 8 +
                                  (point[i + 3] - '0'));
        i += 3;
      } else {
        path += point[i];
      }
    }
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

// A filesystem mounted inside a writable tree travels with it (the bind is
// recursive, and Landlock's rule for the tree covers it too) and would be
// writable in the sandbox under a name no path rule mentions: `mount --bind
// ~/.aws proj/aws` would show, and let the command change, the very
// credentials the policy hides. Each mount below one of `roots` must be
// `named` by the policy (writable, read-only where the mode can make it so,
// or hidden), or the run is refused.
Status require_named_mounts(
    const std::vector<std::string>& roots,
    const std::function<bool(const std::string& root, const std::string& mount)>& named,
    bool read_only_remedy) {
  const auto points = mount_points();
  for (const auto& r : roots) {
    for (const auto& m : points) {
      if (!is_under(m, r) || named(r, m)) continue;
      return plain_error(m + " is a mount point inside the writable tree " + r +
                         ": what is mounted there would be writable in the sandbox, beyond the "
                         "policy's path rules. Name it: --allow-write " +
                         m + " (writable)" +
                         (read_only_remedy ? ", --deny-write " + m + " (read-only) or " : " or ") +
                         "--deny-read " + m + " (hidden)");
    }
  }
  return {};
}

int rank(MountKind k) {
  // At one path, the stronger restriction wins.
  switch (k) {
    case MountKind::HideDir:
    case MountKind::HideFile: return 5;
    case MountKind::Protected: return 4;
    case MountKind::Tmpfs: return 3;
    case MountKind::ReadWrite: return 2;
    case MountKind::Pin: return 1;
    case MountKind::ReadOnly: return 0;
  }
  return 0;
}

bool writable(MountKind k) {
  return k == MountKind::ReadWrite || k == MountKind::Tmpfs || k == MountKind::Pin;
}

// [resources] into cgroup limits and rlimits.
void plan_resources(const policy::Policy& policy, Spec& spec) {
  const auto& r = policy.resources;
  if (r.tmpfs_bytes) spec.tmpfs_bytes = static_cast<uint64_t>(r.tmpfs_bytes->value);
  if (r.memory_bytes) spec.limits.memory_bytes = static_cast<uint64_t>(r.memory_bytes->value);
  if (r.pids) spec.limits.pids = static_cast<uint64_t>(r.pids->value);
  if (r.cpus) spec.limits.cpus = r.cpus->value;
  spec.rlimits.core = 0;
  if (r.file_size_bytes) spec.rlimits.file_size = static_cast<rlim_t>(r.file_size_bytes->value);
  if (r.open_files) spec.rlimits.open_files = static_cast<rlim_t>(r.open_files->value);
}

}  // namespace

std::vector<MountEntry> order_mounts(const std::vector<MountEntry>& entries) {
  // One entry per path: the strongest restriction.
  std::map<std::vector<std::string>, MountEntry> by_path;
  for (const auto& e : entries) {
    auto key = split(e.path);
    auto it = by_path.find(key);
    if (it == by_path.end() || rank(e.kind) > rank(it->second.kind)) by_path[key] = e;
  }
  // std::map over component vectors sorts ancestors before descendants.
  std::vector<MountEntry> out;
  std::vector<const MountEntry*> stack;  // mounted ancestors of the current entry
  for (auto& [key, e] : by_path) {
    while (!stack.empty() && !is_under(e.path, stack.back()->path)) stack.pop_back();
    const MountEntry* parent = stack.empty() ? nullptr : stack.back();
    if (parent != nullptr) {
      bool parent_hidden = parent->kind == MountKind::HideDir;
      bool parent_ro = !writable(parent->kind);
      // Nothing but a re-allowed read makes sense inside a hidden tree.
      if (parent_hidden && e.kind != MountKind::ReadOnly) continue;
      // Read-only inside read-only (not hidden) changes nothing.
      if (!parent_hidden && parent_ro &&
          (e.kind == MountKind::ReadOnly || e.kind == MountKind::Protected))
        continue;
      // Writable inside a protected tree: deny wins.
      if (parent->kind == MountKind::Protected && writable(e.kind)) continue;
      // Same kind nested in same kind is redundant.
      if (e.kind == parent->kind && e.kind != MountKind::HideDir && e.kind != MountKind::Tmpfs)
        continue;
    } else if (e.kind == MountKind::Protected || e.kind == MountKind::Pin) {
      continue;  // protecting what is not mounted writable at all: nothing to do
    }
    out.push_back(e);
    stack.push_back(&e);
  }
  return out;
}

Result<Spec> plan(const policy::Policy& policy, const PlanInput& in) {
  Spec spec;
  spec.argv = in.argv;
  spec.envp = in.environ;
  spec.workspace = in.workspace;
  spec.home = in.home;
  spec.cwd = in.cwd;
  if (policy.process.timeout_seconds) spec.timeout_seconds = policy.process.timeout_seconds->value;
  plan_resources(policy, spec);

  std::vector<MountEntry> entries;
  auto add_all = [&](const policy::PatternList& list, auto&& on_match) {
    for (const auto& entry : list) {
      std::string pattern = policy::absolute_pattern(entry.value, in.home, in.workspace);
      for (const auto& match : expand(pattern)) on_match(entry.value, match);
    }
  };
  auto reject_special = [](const std::string& p) {
    return is_at_or_under(p, "/proc") || is_at_or_under(p, "/dev") || p == "/";
  };

  // Readable trees. A top-level symlink (/bin -> usr/bin) is recreated as a
  // link; its target must be readable in its own right.
  add_all(policy.filesystem.allow_read, [&](const std::string&, const std::string& match) {
    struct stat st {};
    if (lstat(match.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && split(match).size() == 1) {
      char target[PATH_MAX];
      ssize_t n = readlink(match.c_str(), target, sizeof target - 1);
      if (n > 0) spec.symlinks.push_back({match, std::string(target, static_cast<size_t>(n))});
      return;
    }
    std::string c = canonical(match);
    if (!c.empty() && !reject_special(c)) entries.push_back({MountKind::ReadOnly, c});
  });
  // The workspace is always writable; allow_write adds more.
  entries.push_back({MountKind::ReadWrite, in.workspace});
  add_all(policy.filesystem.allow_write, [&](const std::string&, const std::string& match) {
    std::string c = canonical(match);
    if (!c.empty() && !reject_special(c)) entries.push_back({MountKind::ReadWrite, c});
  });
  // Private scratch space, unless the policy binds the host's own.
  for (const char* t : {"/tmp", "/run", "/var/tmp"}) {
    bool explicit_bind = std::any_of(entries.begin(), entries.end(), [&](const MountEntry& e) {
      return e.path == t && e.kind == MountKind::ReadWrite;
    });
    bool parent_visible = std::string(t) != "/var/tmp" ||
                          std::any_of(entries.begin(), entries.end(),
                                      [](const MountEntry& e) { return e.path == "/var"; });
    if (!explicit_bind && parent_visible) entries.push_back({MountKind::Tmpfs, t});
  }
  // Denied reads: the canonical target, so a symlink cannot dodge it.
  std::string hidden_workspace;
  add_all(policy.filesystem.deny_read, [&](const std::string&, const std::string& match) {
    std::string c = canonical(match);
    if (c.empty() || reject_special(c)) return;
    if (is_at_or_under(in.workspace, c)) hidden_workspace = c;
    entries.push_back({is_dir(c) ? MountKind::HideDir : MountKind::HideFile, c});
  });
  if (!hidden_workspace.empty())
    return plain_error("the workspace " + in.workspace + " lies inside the denied path " +
                       hidden_workspace + "; choose another workspace");

  // Protected paths. These live where the agent writes, so they are taken
  // as written (no canonicalisation through a symlink the agent planted):
  // a protected name that is a symlink is refused outright.
  std::vector<std::string> writable_roots;
  for (const auto& e : entries)
    if (e.kind == MountKind::ReadWrite &&
        std::find(writable_roots.begin(), writable_roots.end(), e.path) == writable_roots.end())
      writable_roots.push_back(e.path);
  // A writable root inside another is walked with its parent already.
  std::vector<std::string> walk_roots;
  for (const auto& r : writable_roots)
    if (std::none_of(writable_roots.begin(), writable_roots.end(),
                     [&](const std::string& o) { return is_under(r, o); }))
      walk_roots.push_back(r);
  for (const auto& entry : policy.filesystem.deny_write) {
    std::string pattern = policy::absolute_pattern(entry.value, in.home, in.workspace);
    // Placeholders are always empty directories, even for file names: git
    // ignores an empty directory, so an agent's `git add -A` inside cannot
    // commit them, and a directory blocks creating a file of that name just
    // as well (EEXIST / EISDIR).
    const bool want_dir = true;
    auto root = std::find_if(writable_roots.begin(), writable_roots.end(),
                             [&](const std::string& r) { return is_under(pattern, r); });
    // Every directory between the writable root and the protected name must
    // be a real directory: a symlinked ".git" could become a real one after
    // we looked (and then have no protection), or lead a placeholder out.
    if (root != writable_roots.end()) {
      std::string cur = *root;
      std::string rest = pattern.substr(root->size());
      size_t pos = 1;
      while (true) {
        size_t next = rest.find('/', pos);
        if (next == std::string::npos) break;
        cur = *root + rest.substr(0, next);
        struct stat cst {};
        if (!has_glob(cur) && lstat(cur.c_str(), &cst) == 0 && S_ISLNK(cst.st_mode))
          return plain_error(cur + " is a symbolic link, so the protected path " + pattern +
                             " below it cannot be protected in place. Replace the link with "
                             "the directory it points to and run again");
        pos = next + 1;
      }
    }
    auto matches = expand(pattern);
    for (const auto& m : matches) {
      struct stat st {};
      if (lstat(m.c_str(), &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        if (std::any_of(writable_roots.begin(), writable_roots.end(),
                        [&](const std::string& r) { return is_under(m, r); }))
          return plain_error("protected path " + m +
                             " is a symbolic link; cordon cannot protect it in place. Remove "
                             "the link (or replace it with what it points to) and run again");
        continue;
      }
      if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) entries.push_back({MountKind::Protected, m});
    }
    // A protected name that does not exist yet gets a placeholder to mount
    // over, but only where its parent is a real directory in a writable
    // tree (".git/hooks" in a directory with no ".git" is left to the
    // sweep when the run ends).
    // No placeholder for HEAD: a path named HEAD at the top would make every
    // `git log HEAD` there ambiguous. Creating one (to turn the workspace
    // into a bare repository) is caught by the sweep after the run.
    const bool placeholder_ok = pattern != in.workspace + "/HEAD";
    if (placeholder_ok && !has_glob(pattern) && root != writable_roots.end()) {
      std::string parent = pattern.substr(0, pattern.rfind('/'));
      struct stat pst {};
      // Seen as a symlink now (it may have been a directory a moment ago):
      // refuse rather than leave the name without a placeholder.
      if (lstat(parent.c_str(), &pst) == 0 && S_ISLNK(pst.st_mode))
        return plain_error(parent + " is a symbolic link, so the protected path " + pattern +
                           " below it cannot be protected in place; refusing to run");
      if (lstat(parent.c_str(), &pst) == 0 && S_ISDIR(pst.st_mode) &&
          (parent == *root || is_under(parent, *root))) {
        spec.placeholders.push_back({pattern, want_dir, matches.empty()});
        if (matches.empty()) entries.push_back({MountKind::Protected, pattern});
      }
    }
  }
  // Each directory between a writable root and a protected path becomes a
  // mount point of its own (a pin): renaming ".git" away and making a new
  // one with fresh hooks then fails with EBUSY.
  std::vector<MountEntry> pins;
  for (const auto& e : entries) {
    if (e.kind != MountKind::Protected) continue;
    for (const auto& r : writable_roots) {
      if (!is_under(e.path, r)) continue;
      std::string p = e.path.substr(0, e.path.rfind('/'));
      while (p.size() > r.size()) {
        pins.push_back({MountKind::Pin, p});
        p = p.substr(0, p.rfind('/'));
      }
    }
  }
  entries.insert(entries.end(), pins.begin(), pins.end());

  // Mounts inside the writable trees: named by an entry of their own, or
  // inside a read-only or hidden one.
  CORDON_TRY(require_named_mounts(
      walk_roots,
      [&](const std::string& r, const std::string& m) {
        return std::any_of(entries.begin(), entries.end(), [&](const MountEntry& e) {
          if (e.kind == MountKind::Pin || !is_under(e.path, r)) return false;
          return e.path == m || (is_under(m, e.path) && !writable(e.kind));
        });
      },
      true));

  // Trees inside a writable one that are read-only or hidden in the sandbox
  // as a whole: a hard link below them cannot be written through, so the
  // walk need not look at their files (a deny_write on a pnpm node_modules,
  // whose files are all links into pnpm's store, keeps it under the limit
  // below). Their directories are still read: a git directory among them
  // belongs in the baseline, or the sweep would take its hooks for new.
  // Taken from the mounts as they will be made (order_mounts drops what a
  // stronger entry covers), and never a tree with a writable mount below it.
  // Only entries inside a walked tree can be asked about: the system trees
  // outside them are not even looked at (no lstat on the start-up path).
  std::unordered_set<std::string> not_writable;
  const auto planned = order_mounts(entries);
  for (const auto& e : planned) {
    if (writable(e.kind) || e.kind == MountKind::HideFile ||
        std::none_of(walk_roots.begin(), walk_roots.end(),
                     [&](const std::string& r) { return is_under(e.path, r); }))
      continue;
    struct stat est {};
    if (lstat(e.path.c_str(), &est) != 0 || !S_ISDIR(est.st_mode)) continue;
    if (std::none_of(planned.begin(), planned.end(), [&](const MountEntry& w) {
          return writable(w.kind) && is_under(w.path, e.path);
        }))
      not_writable.insert(e.path);
  }

  // One walk over each writable tree. Hard-linked files become read-only,
  // file by file: a link made before the run can point at a file outside
  // every writable tree, and a write through it would change that file (new
  // links cannot cross the mount: link(2) across mounts is EXDEV). And the
  // git hooks and configs are recorded, so the sweep after the run can tell
  // what the run created or changed.
  for (const auto& r : walk_roots) {
    std::vector<std::string> linked;
    bool overflow = false;
    WalkVisitor v;
    v.on_file = [&](const std::string& path, const struct stat& st) {
      if (st.st_nlink < 2) return;
      if (linked.size() >= kMaxHardLinkedFiles)
        overflow = true;
      else
        linked.push_back(path);
    };
    v.on_git_item = [&](const GitItem& item) { record_git_item(item, spec.git_baseline); };
    v.no_files_below = [&](const std::string& path) { return not_writable.count(path) != 0; };
    std::string unread;  // the first directory that could not be read
    v.on_error = [&](const std::string& path, int err) {
      if (unread.empty()) unread = path + ": " + std::strerror(err);
    };
    walk_workspace(r, v);
    if (!unread.empty())
      return plain_error("cannot read " + unread +
                         "; cordon must see every file of a writable tree to keep hard links "
                         "to files outside it read-only. Refusing to run");
    if (overflow)
      return plain_error("more than " + std::to_string(kMaxHardLinkedFiles) +
                         " hard-linked files under " + r +
                         "; each would have to be made read-only. Make the tree that holds them "
                         "read-only as a whole (--deny-write DIR; a pnpm node_modules is such a "
                         "tree) or narrow the writable tree");
    for (auto& f : linked) entries.push_back({MountKind::Protected, f});
  }

  spec.mounts = order_mounts(entries);

  // Landlock mirrors the mount tree: what is mounted read-only is readable,
  // what is mounted writable is writable, and nothing else exists. Inside a
  // network namespace of our own, TCP needs no Landlock rule (loopback is
  // the sandbox's own), so only the scopes are added.
  auto& ll = spec.landlock_rules;
  ll.read_paths = {"/proc", "/dev"};
  ll.device_paths = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                     "/dev/urandom", "/dev/tty",  "/dev/pts"};
  ll.write_paths = {"/dev/shm"};
  for (const auto& e : spec.mounts) {
    if (writable(e.kind))
      ll.write_paths.push_back(e.path);
    else
      ll.read_paths.push_back(e.path);
  }
  ll.restrict_tcp = false;
  ll.scope_abstract_unix = true;
  ll.scope_signals = true;
  spec.seccomp.kill_on_violation =
      policy.sandbox.on_violation && policy.sandbox.on_violation->value == "kill";
  spec.seccomp.allow_unix_pathname_sockets =
      !(policy.sandbox.unix_sockets && policy.sandbox.unix_sockets->value == "deny");
  return spec;
}

std::vector<std::string> split_around(
    const std::string& tree, const std::vector<std::string>& denied,
    const std::function<std::vector<std::string>(const std::string&)>& list) {
  std::vector<std::string> out;
  std::vector<std::string> todo{tree};
  while (!todo.empty()) {
    std::string t = todo.back();
    todo.pop_back();
    if (std::any_of(denied.begin(), denied.end(),
                    [&](const std::string& d) { return is_at_or_under(t, d); }))
      continue;
    if (std::none_of(denied.begin(), denied.end(),
                     [&](const std::string& d) { return is_under(d, t); })) {
      out.push_back(t);
      continue;
    }
    for (const auto& name : list(t)) todo.push_back((t == "/" ? "" : t) + "/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Guarantees guarantees(Mode mode, int abi) {
  Guarantees g;
  auto give = [&](const char* name, bool ok, const char* why) {
    if (ok)
      g.given.emplace_back(name);
    else
      g.missing.emplace_back(name, why);
  };
  const bool full = mode == Mode::Full;
  give("filesystem-isolation", full,
       "without a mount namespace the host's tree is the sandbox's (only Landlock limits it), "
       "and /tmp and /dev/shm are the host's own, with the other programs' temporary files "
       "and shared memory in them");
  give("protected-paths", full,
       "Landlock can only allow: protected names inside the workspace are checked and undone "
       "after the run, not refused during it");
  give("credential-hiding", full || abi >= 1, "the kernel has no Landlock");
  give("network-isolation", full || abi >= 6,
       "Landlock ABI 6 (TCP rules and abstract-socket scoping) is needed without a network "
       "namespace");
  give("process-isolation", full,
       "without a pid namespace the host's processes are visible in /proc (Landlock still "
       "refuses ptrace and signals to them)");
  give("landlock", abi >= 1, "the kernel has no Landlock (see `cordon doctor`)");
  give("seccomp", true, "");
  // Whether a cgroup can be had is found out when one is created: a policy
  // with limits that the host cannot enforce is refused then.
  give("resource-limits", true, "");
  return g;
}

std::vector<std::pair<std::string, std::string>> unmet(const policy::Policy& policy,
                                                       const Guarantees& g) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : policy.sandbox.require)
    for (const auto& m : g.missing)
      if (m.first == r.value) out.push_back(m);
  return out;
}

Result<Spec> plan_landlock(const policy::Policy& policy, const PlanInput& in) {
  Spec spec;
  spec.mode = Mode::Landlock;
  plan_resources(policy, spec);
  spec.argv = in.argv;
  spec.envp = in.environ;
  spec.workspace = in.workspace;
  spec.home = in.home;
  spec.cwd = in.cwd;
  if (policy.process.timeout_seconds) spec.timeout_seconds = policy.process.timeout_seconds->value;

  auto canon_all = [&](const policy::PatternList& list) {
    std::vector<std::string> out;
    for (const auto& e : list)
      for (const auto& m : expand(policy::absolute_pattern(e.value, in.home, in.workspace))) {
        std::string c = canonical(m);
        if (!c.empty()) out.push_back(c);
      }
    return out;
  };
  const auto denied = canon_all(policy.filesystem.deny_read);
  for (const auto& d : denied)
    if (is_at_or_under(in.workspace, d))
      return plain_error("the workspace " + in.workspace + " lies inside the denied path " + d +
                         "; choose another workspace");
  auto list = [](const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
      while (struct dirent* e = readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
          names.emplace_back(e->d_name);
      closedir(d);
    }
    return names;
  };
  auto& ll = spec.landlock_rules;
  for (const auto& r : canon_all(policy.filesystem.allow_read))
    for (auto& p : split_around(r, denied, list)) ll.read_paths.push_back(p);
  // allow_read inside a denied tree re-allows it (the deeper rule wins).
  for (const auto& r : canon_all(policy.filesystem.allow_read))
    if (std::any_of(denied.begin(), denied.end(),
                    [&](const std::string& d) { return is_under(r, d); }))
      ll.read_paths.push_back(r);
  ll.read_paths.push_back("/proc");
  ll.read_paths.push_back("/dev");
  std::vector<std::string> writable = {in.workspace};
  const auto allowed_writes = canon_all(policy.filesystem.allow_write);
  for (const auto& w : allowed_writes) writable.push_back(w);
  // Mounts inside the workspace or an allow_write tree: allowed for writing
  // themselves, or hidden (deny_write is not enforced in this mode).
  CORDON_TRY(require_named_mounts(
      writable,
      [&](const std::string&, const std::string& m) {
        return std::find(allowed_writes.begin(), allowed_writes.end(), m) != allowed_writes.end() ||
               std::any_of(denied.begin(), denied.end(),
                           [&](const std::string& d) { return is_at_or_under(m, d); });
      },
      false));
  for (const char* t : {"/tmp", "/dev/shm", "/var/tmp"}) writable.emplace_back(t);
  for (const auto& w : writable)
    for (auto& p : split_around(w, denied, list)) ll.write_paths.push_back(p);
  // Not /dev/pts unless the policy says so: that is the host's devpts,
  // where every terminal of the user's is (the caller's among them), and
  // opening one by path would read the keystrokes typed into it and set its
  // modes. The command's own pty is added by the child once it has opened
  // it (contain.cc). Without /dev/pts, /dev/ptmx would make ptys whose
  // other end cannot be opened: it goes too.
  ll.device_paths = {"/dev/null",   "/dev/zero",    "/dev/full",
                     "/dev/random", "/dev/urandom", "/dev/tty"};
  if (policy.sandbox.host_ptys && policy.sandbox.host_ptys->value == "allow")
    ll.device_paths.insert(ll.device_paths.end(), {"/dev/ptmx", "/dev/pts"});
  // No network namespace: TCP connect and bind are refused on every port
  // (the egress proxy's port will be the exception), UDP and every other
  // inet protocol by seccomp, abstract unix sockets and signals by scope.
  ll.restrict_tcp = true;
  ll.scope_abstract_unix = true;
  ll.scope_signals = true;
  const bool want_network_isolation =
      std::any_of(policy.sandbox.require.begin(), policy.sandbox.require.end(),
                  [](const auto& r) { return r.value == "network-isolation"; });
  ll.min_abi = want_network_isolation ? 6 : 1;
  spec.seccomp.allow_udp = false;
  // No IPC namespace either: System V IPC and message queues are the host's.
  spec.seccomp.allow_ipc = false;
  // A pathname socket of the host (docker.sock, the session bus) is
  // reachable here and Landlock does not mediate connect(): without
  // unix sockets there is no such way out.
  spec.seccomp.allow_unix_pathname_sockets =
      !want_network_isolation &&
      !(policy.sandbox.unix_sockets && policy.sandbox.unix_sockets->value == "deny");
  spec.seccomp.kill_on_violation =
      policy.sandbox.on_violation && policy.sandbox.on_violation->value == "kill";

  // Protected names cannot be refused here: record them, so the sweep can
  // find and undo what the run changed.
  for (const auto& e : policy.filesystem.deny_write) {
    std::string p = policy::absolute_pattern(e.value, in.home, in.workspace);
    if (has_glob(p) || !is_under(p, in.workspace)) continue;
    spec.protected_roots.push_back(p);
  }
  record_protected(spec.protected_roots, spec.protected_baseline);
  WalkVisitor v;
  v.on_git_item = [&](const GitItem& item) { record_git_item(item, spec.git_baseline); };
  walk_workspace(in.workspace, v);
  return spec;
}

}  // namespace cordon::sandbox
