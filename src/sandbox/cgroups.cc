#include "sandbox/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cordon::sandbox {
namespace {

// The CFS period cpu.max / cpu.cfs_period_us are written with: the quota is
// a share of it. 100 ms is the kernel's default; the kernel refuses quotas
// below 1 ms, hence the 1% floor of validate_limits().
constexpr uint64_t kCpuPeriodUs = 100000;
constexpr uint64_t kMinCpuQuotaUs = 1000;

std::optional<std::string> read_text_at(int dirfd, const std::string& path) {
  UniqueFd fd(openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::optional<std::string> read_text(const std::string& path) {
  return read_text_at(AT_FDCWD, path);
}

bool exists_at(int dirfd, const std::string& name) {
  return faccessat(dirfd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}
bool exists(const std::string& path) { return exists_at(AT_FDCWD, path); }

// Writable by us as we are now (effective ids, as the kernel will check).
bool writable(const std::string& path) {
  return faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0;
}

// One write(2) per interface file: cgroupfs parses each write as a whole,
// and a short write would be a different value.
Status write_at(int dirfd, const std::string& dir_path, const std::string& name,
                std::string_view value, bool fake) {
  int flags = O_WRONLY | O_CLOEXEC;
  // A fake tree has no kernel to provide the interface files.
  if (fake) flags |= O_CREAT | O_TRUNC;
  UniqueFd fd(openat(dirfd, name.c_str(), flags, 0644));
  if (!fd) return sys_error("open " + dir_path + "/" + name);
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(value.size()))
    return sys_error("write \"" + std::string(value) + "\" to " + dir_path + "/" + name);
  return {};
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<pid_t> parse_pids(std::string_view text) {
  std::vector<pid_t> out;
  for (const auto& w : split_words(text)) {
    char* end = nullptr;
    long v = std::strtol(w.c_str(), &end, 10);
    if (end != nullptr && *end == '\0' && v > 0) out.push_back(static_cast<pid_t>(v));
  }
  return out;
}

// "oom_kill 3" in a flat-keyed file (memory.events, pids.events,
// memory.oom_control): the number after `key`, 0 when absent.
uint64_t keyed_value(std::string_view text, std::string_view key) {
  auto words = split_words(text);
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == key) return std::strtoull(words[i + 1].c_str(), nullptr, 10);
  }
  return 0;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, std::string_view s) {
  return std::find(items.begin(), items.end(), s) != items.end();
}

std::vector<std::string> missing_from(const std::vector<std::string>& needed,
                                      const std::vector<std::string>& have) {
  std::vector<std::string> out;
  for (const auto& n : needed) {
    if (!contains(have, n)) out.push_back(n);
  }
  return out;
}

bool is_cgroupfs(const std::string& path) {
  struct statfs st {};
  if (statfs(path.c_str(), &st) != 0) return false;
  return st.f_type == CGROUP2_SUPER_MAGIC || st.f_type == CGROUP_SUPER_MAGIC;
}

// In a fake tree (tests) the interface files are ordinary files that we
// created by writing them: remove them so that rmdir can succeed. Only ever
// called on a directory this process created itself.
void clear_fake_files(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    if (e->d_type == DT_REG) unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

// rmdir, retried while the kernel still counts exiting processes in it
// (EBUSY): a SIGKILLed process leaves its cgroup only once it has exited.
Status remove_dir(const std::string& dir, bool fake) {
  if (fake) clear_fake_files(dir);
  for (int attempt = 0;; ++attempt) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    // Up to 2 s, in small steps: a run's end waits on this.
    if (errno != EBUSY || attempt >= 2000) return sys_error("remove cgroup " + dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

const char* cgroup_fix_advice() {
  return "To get resource limits: run cordon in a cgroup delegated to you, e.g. "
         "`systemd-run --user --scope -p Delegate=yes cordon run ...` (your user@.service must "
         "offer memory, pids and cpu: see cgroup.controllers of "
         "/sys/fs/cgroup/user.slice/user-$UID.slice/user@$UID.service), or run cordon as root; "
         "inside a container, give it a private, writable cgroup (podman does; Docker: "
         "--cgroupns=private with a writable /sys/fs/cgroup); or remove the [resources] limits "
         "from the policy. `cordon doctor` shows what this host offers";
}

namespace {

// The leaf that holds cordon itself when it had to leave its own cgroup to
// enable controllers there (v2's no-internal-processes rule). Shared by every
// Cgroup of this process; undone when the last one goes.
struct SupervisorLeaf {
  std::mutex mu;
  int users = 0;
  std::string parent;   // our original cgroup directory
  std::string leaf;     // parent/cordon-<pid>-supervisor
  std::string enabled;  // "memory pids" as enabled by us in parent's subtree_control
  bool fake = false;
};
SupervisorLeaf& supervisor_leaf() {
  static SupervisorLeaf s;
  return s;
}

std::string supervisor_leaf_name() { return "cordon-" + std::to_string(getpid()) + "-supervisor"; }

// True when `dir` has a subdirectory other than `except`.
bool has_other_children(const std::string& dir, const std::string& except) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return true;  // unknown: assume the worst
  bool found = false;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (e->d_type != DT_DIR || name == "." || name == ".." || name == except) continue;
    found = true;
    break;
  }
  closedir(d);
  return found;
}

// Undoes what enable_v2_controllers() did; called with the lock held, by
// the last user.
void release_leaf_locked(SupervisorLeaf& s) {
  std::string parent_dir = std::exchange(s.parent, {});
  std::string leaf = std::exchange(s.leaf, {});
  std::string enabled = std::exchange(s.enabled, {});
  s.users = 0;
  UniqueFd parent(open(parent_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return;
  // Turn off only what we turned on, and only while nothing else has started
  // to rely on it: a cgroup created under our original one since then (a
  // second cordon in the same scope) would lose its limits.
  if (!enabled.empty() && !has_other_children(parent_dir, supervisor_leaf_name())) {
    std::string off;
    for (const auto& c : split_words(enabled)) off += (off.empty() ? "-" : " -") + c;
    (void)write_at(parent.get(), parent_dir, "cgroup.subtree_control", off, s.fake);
  }
  // Back to where we started; only then can the leaf go. If the kernel
  // refuses (controllers still enabled for someone else), we stay in the
  // leaf, which goes with our scope.
  if (write_at(parent.get(), parent_dir, "cgroup.procs", std::to_string(getpid()), s.fake))
    (void)remove_dir(leaf, s.fake);
}

void release_supervisor_leaf() {
  auto& s = supervisor_leaf();
  std::lock_guard lock(s.mu);
  if (s.users == 0 || --s.users > 0) return;
  release_leaf_locked(s);
}

// Makes the needed controllers available to children of our v2 cgroup.
// Sets *holds_leaf when the caller must call release_supervisor_leaf().
Status enable_v2_controllers(const CgroupV2Info& v2, const std::vector<std::string>& needed,
                             bool fake, bool* holds_leaf) {
  auto& s = supervisor_leaf();
  std::lock_guard lock(s.mu);
  // Already in our leaf (an earlier run of this process put us there): this
  // run needs it too, until it ends.
  const bool in_leaf = s.users > 0 && s.parent == v2.dir;
  auto missing = missing_from(needed, v2.subtree_control);
  if (missing.empty()) {
    if (in_leaf) {
      ++s.users;
      *holds_leaf = true;
    }
    return {};
  }
  bool created_leaf = false;
  // The no-internal-processes rule: a cgroup other than the root may enable
  // controllers for its children only while no process lives in it. We were
  // checked to be alone here (choose_cgroup_version); step into a leaf of
  // our own so that the cgroup we came from becomes an inner node.
  if (!in_leaf && !v2.is_root && !v2.procs.empty()) {
    std::string leaf = v2.dir + "/" + supervisor_leaf_name();
    if (mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST)
      return sys_error("create cgroup " + leaf + " to hold cordon itself");
    UniqueFd leaf_fd(open(leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    Status moved =
        leaf_fd ? write_at(leaf_fd.get(), leaf, "cgroup.procs", std::to_string(getpid()), fake)
                : Status(sys_error("open " + leaf));
    if (!moved) {
      (void)remove_dir(leaf, fake);
      return moved.error();
    }
    s.parent = v2.dir;
    s.leaf = leaf;
    s.fake = fake;
    created_leaf = true;
  }
  std::string on;
  for (const auto& c : missing) on += (on.empty() ? "+" : " +") + c;
  UniqueFd dir(open(v2.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  Status enabled = dir ? write_at(dir.get(), v2.dir, "cgroup.subtree_control", on, fake)
                       : Status(sys_error("open " + v2.dir));
  if (!enabled) {
    if (created_leaf) release_leaf_locked(s);  // put everything back as it was
    return Error{enabled.error().err, enabled.error().message + " (enabling the " + join(missing) +
                                          " controller(s) for cordon's cgroups)"};
  }
  if (created_leaf || in_leaf) {
    ++s.users;
    *holds_leaf = true;
    for (const auto& c : missing) s.enabled += (s.enabled.empty() ? "" : " ") + c;
  }
  return {};
}

}  // namespace

const char* cgroup_version_name(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::None: return "none";
    case CgroupVersion::V1: return "v1";
    case CgroupVersion::V2: return "v2";
  }
  return "none";
}

Result<SelfCgroup> parse_self_cgroup(std::string_view text) {
  SelfCgroup out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    // ID:CONTROLLERS:PATH, where PATH may itself contain ':'.
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos)
      return plain_error("unexpected line in /proc/self/cgroup: \"" + std::string(line) + "\"");
    std::string_view id = line.substr(0, c1);
    std::string_view hierarchy = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path(line.substr(c2 + 1));
    // Inside a cgroup namespace, a cgroup outside the namespace's root shows
    // as "/../..": we could not create anything "under" it that we can see.
    if (path.empty() || path[0] != '/' || path == "/.." || path.find("/../") != std::string::npos ||
        path.ends_with("/.."))
      return plain_error("our cgroup \"" + path + "\" is outside our cgroup namespace");
    if (id == "0" && hierarchy.empty()) {
      out.v2_path = path;
      continue;
    }
    size_t start = 0;
    while (start <= hierarchy.size()) {
      size_t comma = hierarchy.find(',', start);
      if (comma == std::string_view::npos) comma = hierarchy.size();
      std::string_view controller = hierarchy.substr(start, comma - start);
      if (!controller.empty() && !controller.starts_with("name="))
        out.v1.push_back({std::string(controller), std::string(hierarchy), path});
      start = comma + 1;
    }
  }
  return out;
}

const CgroupV1Info* CgroupHost::v1_controller(std::string_view name) const {
  for (const auto& c : v1) {
    if (c.controller == name) return &c;
  }
  return nullptr;
}

CgroupHost read_cgroup_host(const CgroupOptions& options) {
  CgroupHost host;
  host.fs_root = options.fs_root;
  std::string text;
  if (options.self_cgroup) {
    text = *options.self_cgroup;
  } else if (auto t = read_text("/proc/self/cgroup")) {
    text = *t;
  } else {
    host.error = "cannot read /proc/self/cgroup";
    return host;
  }
  auto self = parse_self_cgroup(text);
  if (!self.ok()) {
    host.error = self.error().what();
    return host;
  }

  if (self->v2_path) {
    for (const std::string& root : {options.fs_root, options.fs_root + "/unified"}) {
      if (!exists(root + "/cgroup.controllers")) continue;
      auto& v2 = host.v2;
      v2.mounted = true;
      v2.root = root;
      v2.path = *self->v2_path;
      // Our own supervisor leaf (see enable_v2_controllers) is not where we
      // belong: its parent is.
      std::string leaf_suffix = "/" + supervisor_leaf_name();
      if (v2.path.ends_with(leaf_suffix)) {
        v2.path.resize(v2.path.size() - leaf_suffix.size());
        if (v2.path.empty()) v2.path = "/";
      }
      v2.dir = v2.path == "/" ? root : root + v2.path;
      v2.controllers = split_words(read_text(v2.dir + "/cgroup.controllers").value_or(""));
      v2.subtree_control = split_words(read_text(v2.dir + "/cgroup.subtree_control").value_or(""));
      v2.procs = parse_pids(read_text(v2.dir + "/cgroup.procs").value_or(""));
      // Only non-root cgroups have cgroup.type.
      v2.is_root = exists(v2.dir) && !exists(v2.dir + "/cgroup.type");
      v2.writable = writable(v2.dir) && writable(v2.dir + "/cgroup.procs") &&
                    writable(v2.dir + "/cgroup.subtree_control");
      break;
    }
  }

  for (const auto& entry : self->v1) {
    if (host.v1_controller(entry.controller) != nullptr) continue;
    // Co-mounted hierarchies ("cpu,cpuacct") usually have a symlink per
    // controller; try that name first, then the hierarchy's own.
    for (const std::string& mount : {entry.controller, entry.hierarchy}) {
      std::string dir = options.fs_root + "/" + mount + (entry.path == "/" ? "" : entry.path);
      struct stat st {};
      if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      host.v1.push_back({entry.controller, dir, writable(dir) && writable(dir + "/cgroup.procs")});
      break;
    }
  }
  return host;
}

std::vector<std::string> needed_controllers(const ResourceLimits& limits) {
  std::vector<std::string> out;
  if (limits.memory_bytes) out.emplace_back("memory");
  if (limits.pids) out.emplace_back("pids");
  if (limits.cpus) out.emplace_back("cpu");
  return out;
}

Status validate_limits(const ResourceLimits& limits) {
  if (limits.memory_bytes && *limits.memory_bytes < (1u << 20))
    return plain_error("memory limit of " + std::to_string(*limits.memory_bytes) +
                       " bytes is below 1 MiB: nothing would start");
  if (limits.pids && *limits.pids == 0)
    return plain_error("pids limit of 0: not even the command could run");
  if (limits.cpus && (!std::isfinite(*limits.cpus) || *limits.cpus * kCpuPeriodUs < kMinCpuQuotaUs))
    return plain_error("cpu limit must be at least 0.01 (1% of one CPU)");
  return {};
}

CgroupAssessment assess_cgroups(const CgroupHost& host, const ResourceLimits& limits, pid_t self) {
  if (self == 0) self = getpid();
  auto needed = needed_controllers(limits);
  CgroupAssessment out;

  const auto& v2 = host.v2;
  if (!host.error.empty()) {
    out.v2_why = host.error;
  } else if (!v2.mounted) {
    out.v2_why = "cgroup v2 is not mounted at " + host.fs_root + " or " + host.fs_root + "/unified";
  } else if (!v2.writable) {
    out.v2_why = "cgroup v2: our cgroup " + v2.path + " (" + v2.dir +
                 ") is not writable by us: it is not delegated to this user";
  } else if (auto missing = missing_from(needed, v2.controllers); !missing.empty()) {
    out.v2_why = "cgroup v2: our cgroup " + v2.path + " does not offer the " + join(missing) +
                 " controller(s) (its cgroup.controllers: " +
                 (v2.controllers.empty() ? std::string("none") : join(v2.controllers, " ")) + ")";
  } else if (!v2.is_root && !missing_from(needed, v2.subtree_control).empty()) {
    std::vector<std::string> others;
    for (pid_t p : v2.procs) {
      if (p != self) others.push_back(std::to_string(p));
    }
    if (!others.empty())
      out.v2_why = "cgroup v2: the " + join(missing_from(needed, v2.subtree_control)) +
                   " controller(s) must be enabled in " + v2.dir +
                   "/cgroup.subtree_control, which the kernel allows only when no process lives "
                   "in " +
                   v2.path + " itself, and other processes do (" + join(others, " ") +
                   "); cordon does not move processes that are not its own";
  }

  if (!host.error.empty()) {
    out.v1_why = host.error;
  } else if (host.v1.empty()) {
    out.v1_why = "cgroup v1: no controller hierarchy is mounted";
  } else if (needed.empty()) {
    // Any writable hierarchy can hold and track the processes.
    if (std::none_of(host.v1.begin(), host.v1.end(), [](const auto& c) { return c.writable; }))
      out.v1_why = "cgroup v1: none of the mounted hierarchies is writable by us";
  } else {
    for (const auto& c : needed) {
      const auto* info = host.v1_controller(c);
      if (info == nullptr) {
        out.v1_why = "cgroup v1: the " + c + " controller is not mounted";
        break;
      }
      if (!info->writable) {
        out.v1_why = "cgroup v1: " + info->dir +
                     " is not writable by us (v1 is not delegated to users: root only)";
        break;
      }
    }
  }
  return out;
}

Result<CgroupVersion> choose_cgroup_version(const CgroupHost& host, const ResourceLimits& limits,
                                            CgroupVersion only, pid_t self) {
  auto a = assess_cgroups(host, limits, self);
  auto needed = needed_controllers(limits);
  std::string what =
      needed.empty() ? "a cgroup" : "a cgroup with the " + join(needed) + " controller(s)";
  auto refuse = [&](const std::string& why) -> Error {
    return plain_error("cannot create " + what + ": " + why + ". " + cgroup_fix_advice());
  };
  switch (only) {
    case CgroupVersion::V2:
      if (a.v2_why.empty()) return CgroupVersion::V2;
      return refuse(a.v2_why);
    case CgroupVersion::V1:
      if (a.v1_why.empty()) return CgroupVersion::V1;
      return refuse(a.v1_why);
    case CgroupVersion::None: break;
  }
  if (a.v2_why.empty()) return CgroupVersion::V2;
  if (a.v1_why.empty()) return CgroupVersion::V1;
  return refuse(a.v2_why + "; " + a.v1_why);
}

// ---- Cgroup ------------------------------------------------------------------

Result<Cgroup> Cgroup::create(const ResourceLimits& limits, const CgroupOptions& options) {
  CORDON_TRY(validate_limits(limits));
  CgroupHost host = read_cgroup_host(options);
  auto version = choose_cgroup_version(host, limits, options.only);
  if (!version.ok()) return version.error();

  static std::atomic<unsigned> counter{0};
  const std::string name = "cordon-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  auto needed = needed_controllers(limits);

  Cgroup cg;
  cg.version_ = *version;
  // From here on, a failure returns and `cg`'s destructor removes whatever
  // was created.
  auto make = [&](const std::string& parent, const std::string& controller) -> Status {
    std::string path = parent + "/" + name;
    if (mkdir(path.c_str(), 0755) != 0) return sys_error("create cgroup " + path);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      Error e = sys_error("open cgroup " + path);
      rmdir(path.c_str());
      return e;
    }
    cg.dirs_.push_back({controller, path, std::move(fd)});
    return {};
  };
  auto set = [&](const Dir& d, const std::string& file, const std::string& value) {
    return write_at(d.fd.get(), d.path, file, value, cg.fake_);
  };
  const uint64_t cpu_quota =
      limits.cpus ? static_cast<uint64_t>(std::llround(*limits.cpus * kCpuPeriodUs)) : 0;

  if (cg.version_ == CgroupVersion::V2) {
    cg.fake_ = !is_cgroupfs(host.v2.root);
    CORDON_TRY(enable_v2_controllers(host.v2, needed, cg.fake_, &cg.holds_supervisor_leaf_));
    CORDON_TRY(make(host.v2.dir, ""));
    const Dir& d = cg.dirs_.back();
    if (limits.memory_bytes) {
      CORDON_TRY(set(d, "memory.max", std::to_string(*limits.memory_bytes)));
      // Without this the limit counts RAM only and the rest goes to swap:
      // the run could use its limit plus all the swap there is.
      if (exists_at(d.fd.get(), "memory.swap.max")) CORDON_TRY(set(d, "memory.swap.max", "0"));
    }
    if (limits.pids) CORDON_TRY(set(d, "pids.max", std::to_string(*limits.pids)));
    if (limits.cpus)
      CORDON_TRY(set(d, "cpu.max", std::to_string(cpu_quota) + " " + std::to_string(kCpuPeriodUs)));
    return cg;
  }

  // v1: a cgroup in each hierarchy we need, and in the freezer's so that
  // kill_all() can stop the tree before killing it (a tree that keeps
  // forking would otherwise race the kill loop).
  std::vector<std::string> controllers = needed;
  if (const auto* f = host.v1_controller("freezer"); f != nullptr && f->writable)
    controllers.emplace_back("freezer");
  if (controllers.empty()) {
    for (const auto& c : host.v1) {
      if (c.writable) {
        controllers.push_back(c.controller);
        break;
      }
    }
  }
  std::vector<std::pair<dev_t, ino_t>> seen;  // co-mounted controllers share one directory
  for (const auto& c : controllers) {
    const auto* info = host.v1_controller(c);
    struct stat st {};
    if (stat(info->dir.c_str(), &st) != 0) return sys_error("stat " + info->dir);
    if (std::find(seen.begin(), seen.end(), std::pair{st.st_dev, st.st_ino}) != seen.end())
      continue;
    seen.emplace_back(st.st_dev, st.st_ino);
    if (cg.dirs_.empty()) cg.fake_ = !is_cgroupfs(info->dir);
    CORDON_TRY(make(info->dir, c));
  }
  for (const auto& d : cg.dirs_) {
    if (d.controller == "memory" && limits.memory_bytes) {
      CORDON_TRY(set(d, "memory.limit_in_bytes", std::to_string(*limits.memory_bytes)));
      // memory+swap, which must not be below the memory limit: set after it.
      if (exists_at(d.fd.get(), "memory.memsw.limit_in_bytes"))
        CORDON_TRY(set(d, "memory.memsw.limit_in_bytes", std::to_string(*limits.memory_bytes)));
    } else if (d.controller == "pids" && limits.pids) {
      CORDON_TRY(set(d, "pids.max", std::to_string(*limits.pids)));
    } else if (d.controller == "cpu" && limits.cpus) {
      CORDON_TRY(set(d, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
      CORDON_TRY(set(d, "cpu.cfs_quota_us", std::to_string(cpu_quota)));
    }
  }
  return cg;
}

Cgroup::Cgroup(Cgroup&& other) noexcept
    : version_(other.version_),
      dirs_(std::move(other.dirs_)),
      fake_(other.fake_),
      holds_supervisor_leaf_(std::exchange(other.holds_supervisor_leaf_, false)) {
  other.dirs_.clear();
  other.version_ = CgroupVersion::None;
}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    (void)remove();
    version_ = std::exchange(other.version_, CgroupVersion::None);
    dirs_ = std::move(other.dirs_);
    other.dirs_.clear();
    fake_ = other.fake_;
    holds_supervisor_leaf_ = std::exchange(other.holds_supervisor_leaf_, false);
  }
  return *this;
}

Cgroup::~Cgroup() { (void)remove(); }

Status Cgroup::add(pid_t pid) {
  for (const auto& d : dirs_) {
    if (auto s = write_at(d.fd.get(), d.path, "cgroup.procs", std::to_string(pid), fake_); !s)
      return Error{s.error().err, "move process " + std::to_string(pid) +
                                      " into its cgroup: " + s.error().message};
  }
  return {};
}

int Cgroup::dir_fd_v2() const {
  if (version_ != CgroupVersion::V2 || dirs_.empty()) return -1;
  return dirs_.front().fd.get();
}

std::vector<pid_t> Cgroup::pids() const {
  if (dirs_.empty()) return {};
  return parse_pids(read_text_at(dirs_.front().fd.get(), "cgroup.procs").value_or(""));
}

std::vector<std::string> Cgroup::paths() const {
  std::vector<std::string> out;
  for (const auto& d : dirs_) out.push_back(d.path);
  return out;
}

Status Cgroup::kill_all() {
  if (dirs_.empty()) return {};
  const Dir& main = dirs_.front();
  if (version_ == CgroupVersion::V2 && exists_at(main.fd.get(), "cgroup.kill")) {
    // One write: the kernel kills every process in the subtree, including
    // those forking at this very moment.
    return write_at(main.fd.get(), main.path, "cgroup.kill", "1", fake_);
  }
  // The pids in a fake tree are whatever a test wrote: never signal them.
  if (fake_) return {};

  // Freeze first where we can: a frozen tree can neither fork nor exit (and
  // have its pid reused) while we signal the list we read. Without a
  // freezer, the loop below repeats until the cgroup is empty.
  struct Freezer {
    const Dir* dir = nullptr;
    const char* file = nullptr;
    const char* freeze = nullptr;
    const char* thaw = nullptr;
  } fz;
  if (version_ == CgroupVersion::V2 && exists_at(main.fd.get(), "cgroup.freeze")) {
    fz = {&main, "cgroup.freeze", "1", "0"};
  }
  for (const auto& d : dirs_) {
    if (d.controller == "freezer") fz = {&d, "freezer.state", "FROZEN", "THAWED"};
  }
  auto is_frozen = [&] {
    // v1 passes through FREEZING; v2 reports "frozen 1" in cgroup.events.
    if (version_ == CgroupVersion::V1)
      return read_text_at(fz.dir->fd.get(), "freezer.state").value_or("").starts_with("FROZEN");
    return keyed_value(read_text_at(fz.dir->fd.get(), "cgroup.events").value_or(""), "frozen") == 1;
  };
  auto thaw = [&] {
    if (fz.dir != nullptr) (void)write_at(fz.dir->fd.get(), fz.dir->path, fz.file, fz.thaw, false);
  };
  bool thawed = true;
  if (fz.dir != nullptr && write_at(fz.dir->fd.get(), fz.dir->path, fz.file, fz.freeze, false)) {
    thawed = false;
    for (int i = 0; i < 1000 && !is_frozen(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int round = 0; round < 2000; ++round) {
    auto list = pids();
    if (list.empty()) break;
    for (pid_t p : list) kill(p, SIGKILL);
    // SIGKILLed tasks die once thawed; a list read while frozen was
    // complete, so later rounds only wait for them to go.
    if (!thawed) {
      thaw();
      thawed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  thaw();
  if (!pids().empty())
    return plain_error("processes remain in cgroup " + main.path + " after SIGKILL");
  return {};
}

CgroupEvents Cgroup::events() const {
  CgroupEvents ev;
  for (const auto& d : dirs_) {
    auto read = [&](const char* file) { return read_text_at(d.fd.get(), file).value_or(""); };
    if (version_ == CgroupVersion::V2) {
      std::string memory = read("memory.events");
      ev.oom_kills = keyed_value(memory, "oom_kill");
      ev.memory_max_hit = keyed_value(memory, "max") > 0 || keyed_value(memory, "oom") > 0;
      ev.pids_max_hits = keyed_value(read("pids.events"), "max");
    } else if (d.controller == "memory") {
      // oom_kill in memory.oom_control since Linux 4.13; failcnt counts
      // the times usage hit the limit.
      ev.oom_kills = keyed_value(read("memory.oom_control"), "oom_kill");
      ev.memory_max_hit =
          std::strtoull(read("memory.failcnt").c_str(), nullptr, 10) > 0 || ev.oom_kills > 0;
    } else if (d.controller == "pids") {
      ev.pids_max_hits = keyed_value(read("pids.events"), "max");
    }
  }
  return ev;
}

Status Cgroup::remove() {
  if (dirs_.empty()) return {};
  Status result = kill_all();
  // Children before parents would matter if we nested; each is a leaf here.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    it->fd.reset();
    if (auto s = remove_dir(it->path, fake_); !s && result) result = s;
  }
  dirs_.clear();
  if (holds_supervisor_leaf_) {
    holds_supervisor_leaf_ = false;
    release_supervisor_leaf();
  }
  return result;
}

}  // namespace cordon::sandbox
