#include "sandbox/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace cordon::sandbox {
namespace {

// Every mount we make is nosuid and nodev (devices are re-bound one by one
// under /dev, where nodev would defeat them); set-id bits and device nodes
// on the host's trees mean nothing inside.
constexpr uint64_t kBaseAttrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

std::string rel_of(const std::string& abs) {
  // "/usr/lib" -> "usr/lib"; "/" -> "."
  size_t i = abs.find_first_not_of('/');
  return i == std::string::npos ? std::string(".") : abs.substr(i);
}

Status set_attrs(int tree_fd, uint64_t attrs, bool recursive, const std::string& what) {
  struct mount_attr attr {};
  attr.attr_set = attrs;
  attr.propagation = MS_PRIVATE;  // nothing we mount propagates anywhere
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (mount_setattr(tree_fd, "", flags, &attr, sizeof attr) != 0)
    return sys_error("set mount attributes on " + what);
  return {};
}

Result<UniqueFd> new_tmpfs(const char* mode, const char* size, uint64_t attrs,
                           const std::string& what) {
  UniqueFd fs(fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) return sys_error("create tmpfs for " + what);
  if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", mode, 0) != 0)
    return sys_error("set tmpfs mode for " + what);
  if (size != nullptr && fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", size, 0) != 0)
    return sys_error("set tmpfs size for " + what);
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return sys_error("instantiate tmpfs for " + what);
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs)));
  if (!mnt) return sys_error("mount tmpfs for " + what);
  return mnt;
}

Status attach(int tree_fd, int target_fd, const std::string& what) {
  if (move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0)
    return sys_error("mount " + what);
  return {};
}

dev_t dev_of(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return 0;
  return st.st_dev;
}

// The filesystems we created ourselves (NewRoot::owned).
class OwnedDevices {
 public:
  explicit OwnedDevices(std::vector<dev_t>& devs) : devs_(devs) {}
  void add(int fd) { devs_.push_back(dev_of(fd)); }
  [[nodiscard]] bool owns(int fd) const {
    return std::find(devs_.begin(), devs_.end(), dev_of(fd)) != devs_.end();
  }

 private:
  std::vector<dev_t>& devs_;
};

// Opens (creating on our own tmpfs if missing) the destination `abs` under
// the new root, component by component, refusing symlinks everywhere.
Result<UniqueFd> open_target(int root_fd, const std::string& abs, bool directory,
                             const OwnedDevices& owned) {
  std::string rel = rel_of(abs);
  if (rel == ".") return open_beneath(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  // Most destinations exist by now (placed by an ancestor's mount, or made
  // for an earlier entry): one lookup of the whole path, which refuses
  // symlinks and ".." out of the root exactly as the walk below does. Only
  // a missing component needs the walk, which creates it on our own tmpfs.
  auto whole = open_beneath(root_fd, rel, O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (whole.ok()) return std::move(whole.value());
  if (whole.error().err != ENOENT) return Error{whole.error().err, "open mount point " + abs};
  UniqueFd dir;
  int cur = root_fd;
  size_t start = 0;
  while (true) {
    size_t slash = rel.find('/', start);
    bool last = slash == std::string::npos;
    std::string name = rel.substr(start, last ? std::string::npos : slash - start);
    bool want_dir = !last || directory;
    auto next = open_beneath(cur, name, O_PATH | O_CLOEXEC | (want_dir ? O_DIRECTORY : 0));
    if (!next.ok() && next.error().err == ENOENT && owned.owns(cur)) {
      int rc = want_dir ? mkdirat(cur, name.c_str(), 0755) : [&] {
        int f =
            openat(cur, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (f >= 0) close(f);
        return f >= 0 ? 0 : -1;
      }();
      if (rc != 0 && errno != EEXIST) return sys_error("create mount point " + abs);
      next = open_beneath(cur, name, O_PATH | O_CLOEXEC | (want_dir ? O_DIRECTORY : 0));
    }
    if (!next.ok()) return Error{next.error().err, "open mount point " + abs};
    if (last) return std::move(next.value());
    dir = std::move(next.value());
    cur = dir.get();
    start = slash + 1;
  }
}

bool is_read_only(MountKind kind) {
  return kind == MountKind::ReadOnly || kind == MountKind::Protected;
}

constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

// The harmless character devices, cloned from the host's /dev one by one (a
// user namespace cannot mknod), while /dev is still the host's.
Result<std::vector<UniqueFd>> clone_devices() {
  std::vector<UniqueFd> out;
  for (const char* node : kDevices) {
    std::string host = std::string("/dev/") + node;
    UniqueFd tree(open_tree(AT_FDCWD, host.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!tree) return sys_error("clone " + host);
    CORDON_TRY(set_attrs(tree.get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, host));
    out.push_back(std::move(tree));
  }
  return out;
}

Status make_dev(int root_fd, OwnedDevices& owned, std::vector<UniqueFd>& devices) {
  // A minimal /dev: the devices cloned above, a private devpts so that ptys
  // made inside belong to the sandbox (and /dev/shm, with the plan).
  auto dev = open_target(root_fd, "/dev", true, owned);
  if (!dev.ok()) return dev.error();
  // /dev is a fresh directory of our own tmpfs: each mount point is
  // created and opened in one call, the fd the device is attached to.
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string path = std::string("/dev/") + kDevices[i];
    UniqueFd target(openat(dev->get(), kDevices[i],
                           O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0444));
    if (!target) return sys_error("create mount point " + path);
    CORDON_TRY(attach(devices[i].get(), target.get(), path));
  }
  UniqueFd fs(fsopen("devpts", FSOPEN_CLOEXEC));
  if (!fs) return sys_error("create devpts");
  // A new instance: the host's ptys are not visible, and ptys opened here
  // are the sandbox's own. ptmxmode makes /dev/pts/ptmx usable.
  if (fsconfig(fs.get(), FSCONFIG_SET_FLAG, "newinstance", nullptr, 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0620", 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return sys_error("configure devpts");
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  if (!mnt) return sys_error("mount devpts");
  auto pts = open_target(root_fd, "/dev/pts", true, owned);
  if (!pts.ok()) return pts.error();
  CORDON_TRY(attach(mnt.get(), pts->get(), "/dev/pts"));
  if (symlinkat("pts/ptmx", dev->get(), "ptmx") != 0) return sys_error("link /dev/ptmx");
  struct {
    const char* name;
    const char* target;
  } links[] = {{"fd", "/proc/self/fd"},
               {"stdin", "/proc/self/fd/0"},
               {"stdout", "/proc/self/fd/1"},
               {"stderr", "/proc/self/fd/2"}};
  for (const auto& l : links)
    if (symlinkat(l.target, dev->get(), l.name) != 0)
      return sys_error(std::string("link /dev/") + l.name);
  return {};
}

Status make_proc(int root_fd, const OwnedDevices& owned) {
  // A fresh procfs: it belongs to our pid namespace, so only the sandbox's
  // processes appear, and no /proc/PID/root leads to a host process.
  UniqueFd fs(fsopen("proc", FSOPEN_CLOEXEC));
  if (!fs) return sys_error("create procfs");
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return sys_error("instantiate procfs");
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, kBaseAttrs | MOUNT_ATTR_NOEXEC));
  if (!mnt) return sys_error("mount procfs");
  auto target = open_target(root_fd, "/proc", true, owned);
  if (!target.ok()) return target.error();
  return attach(mnt.get(), target->get(), "/proc");
}

}  // namespace

Result<UniqueFd> open_beneath(int dirfd, const std::string& rel, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how));
  if (fd < 0) return sys_error("open " + rel);
  return UniqueFd(fd);
}

Result<std::vector<PreparedMount>> prepare_mounts(const std::vector<MountEntry>& entries,
                                                  const std::string& workspace, int workspace_fd) {
  // The supervisor's workspace fd belongs to the host's mount namespace,
  // and open_tree() clones only mounts of our own. Open the workspace again
  // here and insist that it is the very directory the supervisor chose, so
  // that a rename or symlink swap in between changes nothing.
  UniqueFd ws(open(workspace.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!ws) return sys_error("open workspace " + workspace);
  struct stat want {
  }, got{};
  if (fstat(workspace_fd, &want) != 0 || fstat(ws.get(), &got) != 0 || want.st_dev != got.st_dev ||
      want.st_ino != got.st_ino)
    return plain_error("workspace " + workspace + " was replaced while the sandbox was set up");
  std::vector<PreparedMount> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    PreparedMount pm{e, UniqueFd(), true};
    bool host_tree = e.kind == MountKind::ReadOnly || e.kind == MountKind::ReadWrite ||
                     e.kind == MountKind::Protected || e.kind == MountKind::Pin;
    if (host_tree) {
      // Paths inside the workspace are the agent's to change, maybe while we
      // run: resolve them from the workspace fd with no symlink anywhere.
      // Everything else is canonical and outside the agent's reach.
      UniqueFd src;
      if (e.path.size() > workspace.size() && e.path.compare(0, workspace.size(), workspace) == 0 &&
          e.path[workspace.size()] == '/') {
        auto fd = open_beneath(ws.get(), e.path.substr(workspace.size() + 1),
                               O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (!fd.ok())
          return Error{fd.error().err, "open " + e.path + " (symbolic links are refused)"};
        src = std::move(fd.value());
      } else {
        src.reset(e.path == workspace ? dup(ws.get())
                                      : open(e.path.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW));
        if (!src) return sys_error("open " + e.path);
      }
      struct stat st {};
      if (fstat(src.get(), &st) != 0) return sys_error("stat " + e.path);
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return plain_error(e.path + " is neither a directory nor a regular file; cannot bind it");
      pm.directory = S_ISDIR(st.st_mode);
      pm.dev = st.st_dev;
      pm.ino = st.st_ino;
      pm.tree.reset(open_tree(src.get(), "",
                              AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
      if (!pm.tree) return sys_error("clone " + e.path);
      uint64_t attrs = kBaseAttrs | (is_read_only(e.kind) ? MOUNT_ATTR_RDONLY : 0);
      CORDON_TRY(set_attrs(pm.tree.get(), attrs, true, e.path));
    } else {
      pm.directory = e.kind != MountKind::HideFile;
    }
    out.push_back(std::move(pm));
  }
  return out;
}

Result<NewRoot> make_skeleton() {
  // Nothing we mount may propagate back to the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return sys_error("make mounts private");
  auto devices = clone_devices();
  if (!devices.ok()) return devices.error();
  auto fs = new_tmpfs("0755", "1m", kBaseAttrs, "the new root");
  if (!fs.ok()) return fs.error();
  // Attached, it can be a pivot_root target and a mount point; over /dev,
  // since the devices are cloned already and no source lives there.
  if (move_mount(fs->get(), "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return sys_error("attach the new root at /dev");
  NewRoot root;
  root.fd = std::move(fs.value());
  OwnedDevices owned(root.owned);
  owned.add(root.fd.get());
  CORDON_TRY(make_dev(root.fd.get(), owned, devices.value()));
  CORDON_TRY(make_proc(root.fd.get(), owned));
  return root;
}

Status populate_root(NewRoot& root, std::vector<PreparedMount>& mounts,
                     const std::vector<Symlink>& symlinks, uint64_t tmpfs_bytes) {
  const int root_fd = root.fd.get();
  OwnedDevices owned(root.owned);
  char size_buf[32] = {};
  const char* tmpfs_size = nullptr;
  if (tmpfs_bytes > 0) {
    std::snprintf(size_buf, sizeof size_buf, "%llu", static_cast<unsigned long long>(tmpfs_bytes));
    tmpfs_size = size_buf;
  }
  // A private /dev/shm, of the policy's size.
  auto shm = new_tmpfs("1777", tmpfs_size, kBaseAttrs | MOUNT_ATTR_NOEXEC, "/dev/shm");
  if (!shm.ok()) return shm.error();
  auto shm_target = open_target(root_fd, "/dev/shm", true, owned);
  if (!shm_target.ok()) return shm_target.error();
  CORDON_TRY(attach(shm->get(), shm_target->get(), "/dev/shm"));

  // Denied files are covered by one empty, read-only file. It is created in
  // the root tmpfs, cloned over each target, then unlinked again.
  static constexpr const char* kEmpty = ".cordon-empty";
  bool have_empty = false;
  std::vector<UniqueFd> seal_later;  // hidden dirs: read-only once filled

  for (auto& pm : mounts) {
    const auto& e = pm.entry;
    auto target = open_target(root_fd, e.path, pm.directory, owned);
    if (!target.ok()) return target.error();
    switch (e.kind) {
      case MountKind::Tmpfs: {
        bool sticky = e.path == "/tmp" || e.path == "/var/tmp";
        auto fs = new_tmpfs(sticky ? "1777" : "0755", tmpfs_size, kBaseAttrs, e.path);
        if (!fs.ok()) return fs.error();
        CORDON_TRY(attach(fs->get(), target->get(), e.path));
        auto opened = open_target(root_fd, e.path, true, owned);
        if (!opened.ok()) return opened.error();
        owned.add(opened->get());
        break;
      }
      case MountKind::HideDir: {
        auto fs = new_tmpfs("0555", "64k", kBaseAttrs | MOUNT_ATTR_NOEXEC, e.path);
        if (!fs.ok()) return fs.error();
        CORDON_TRY(attach(fs->get(), target->get(), e.path));
        auto opened = open_target(root_fd, e.path, true, owned);
        if (!opened.ok()) return opened.error();
        owned.add(opened->get());
        seal_later.push_back(std::move(fs.value()));
        break;
      }
      case MountKind::HideFile: {
        if (!have_empty) {
          int f = openat(root_fd, kEmpty, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
          if (f < 0) return sys_error("create the empty file for hidden files");
          close(f);
          have_empty = true;
        }
        UniqueFd tree(open_tree(root_fd, kEmpty, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
        if (!tree) return sys_error("clone the empty file");
        CORDON_TRY(set_attrs(tree.get(), kBaseAttrs | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC, false,
                             e.path));
        CORDON_TRY(attach(tree.get(), target->get(), e.path));
        break;
      }
      default: {
        // A mount point on a filesystem of our own (the new root, a
        // private tmpfs) is out of everyone else's reach: nothing can
        // rename it while we mount. Elsewhere (inside the workspace, the
        // home directory) it is checked again below.
        const bool own_mount_point = owned.owns(target->get());
        CORDON_TRY(attach(pm.tree.get(), target->get(), e.path));
        if (own_mount_point) break;
        // Check again by name, as a later lookup will see it: the target
        // fd pins a dentry, and a rename racing with us could have moved it
        // so that the mount covers some other name. The path must now lead
        // to the root of the tree we just mounted.
        auto again = open_beneath(root_fd, rel_of(e.path), O_PATH | O_CLOEXEC);
        struct stat got {};
        if (!again.ok() || fstat(again->get(), &got) != 0 || got.st_dev != pm.dev ||
            got.st_ino != pm.ino)
          return plain_error(e.path + " changed while it was being mounted; refusing to run");
        break;
      }
    }
  }
  if (have_empty && unlinkat(root_fd, kEmpty, 0) != 0) return sys_error("remove the empty file");

  for (const auto& l : symlinks) {
    std::string rel = rel_of(l.path);
    if (rel.find('/') != std::string::npos) continue;  // only top-level links
    if (symlinkat(l.target.c_str(), root_fd, rel.c_str()) != 0 && errno != EEXIST)
      return sys_error("link " + l.path);
  }
  // Hidden directories and the skeleton itself become read-only: nothing
  // can be created in "/" or "/dev", and a hidden directory stays empty.
  for (auto& fd : seal_later)
    CORDON_TRY(set_attrs(fd.get(), kBaseAttrs | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC, false,
                         "a hidden directory"));
  CORDON_TRY(set_attrs(root_fd, kBaseAttrs | MOUNT_ATTR_RDONLY, false, "the new root"));
  return {};
}

Status enter_root(int root_fd) {
  // pivot_root(".", ".") stacks the old root on top of the new one at "/";
  // detaching "." then drops the whole host tree from this namespace, so no
  // path, fd-less lookup or ".." can reach it again.
  if (fchdir(root_fd) != 0) return sys_error("enter the new root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return sys_error("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return sys_error("detach the old root");
  if (chdir("/") != 0) return sys_error("chdir /");
  return {};
}

}  // namespace cordon::sandbox
