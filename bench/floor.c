// The floor of a full-mode start-up on this kernel: the kernel steps of
// cordon's containment sequence in the same order, and nothing else (no
// policy, no placeholders, no Landlock, no seccomp, no verification, no
// error reporting): clone3 into new user, mount, pid, ipc, uts and cgroup
// namespaces; the child makes its network namespace and brings up loopback;
// the parent writes the id maps; the child builds a tmpfs root with
// read-only binds of /usr /etc /opt /var /home /root /srv and a writable
// bind of the current directory, /proc and six devices, pivots into it,
// detaches the old root, and as the sandbox's init vforks /bin/true and
// reports its status; the parent returns on the report (as cordon does).
//
//   floor          what is described above
//   floor serial   the parent waits for init's exit too (the kernel's teardown)
//
// bench/RESULTS.md compares it with bwrap in the same rounds (bench/interleave):
// what cordon adds on top of this is the cost of what it does beyond the kernel.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  _exit(125);
}

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
  close(fd);
}

static void bind_into(int root, const char* host, const char* rel, int read_only) {
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, host,
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) die(host);
  struct mount_attr attr = {0};
  attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
  attr.propagation = MS_PRIVATE;
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    die("mount_setattr");
  mkdirat(root, rel, 0755);
  if (syscall(SYS_move_mount, tree, "", root, rel, MOVE_MOUNT_F_EMPTY_PATH) != 0) die(rel);
  close(tree);
}

static void child(int sock) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (unshare(CLONE_NEWNET) != 0) die("unshare");
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  ioctl(s, SIOCGIFFLAGS, &ifr);
  ifr.ifr_flags |= IFF_UP;
  ioctl(s, SIOCSIFFLAGS, &ifr);
  close(s);
  char go;
  if (read(sock, &go, 1) != 1) _exit(1);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) die("getcwd");
  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  int root = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  int devs[6];
  const char* names[6] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (int i = 0; i < 6; ++i) {
    char host[32];
    snprintf(host, sizeof host, "/dev/%s", names[i]);
    devs[i] = (int)syscall(SYS_open_tree, AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  }
  if (syscall(SYS_move_mount, root, "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) != 0)
    die("attach root");
  const char* ro[] = {"usr", "etc", "opt", "var", "home", "root", "srv"};
  for (int i = 0; i < 7; ++i) {
    char host[16];
    snprintf(host, sizeof host, "/%s", ro[i]);
    bind_into(root, host, ro[i], 1);
  }
  bind_into(root, cwd, "ws", 0);
  mkdirat(root, "proc", 0755);
  int pfs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  syscall(SYS_fsconfig, pfs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  int proc = (int)syscall(SYS_fsmount, pfs, FSMOUNT_CLOEXEC, 0);
  if (syscall(SYS_move_mount, proc, "", root, "proc", MOVE_MOUNT_F_EMPTY_PATH) != 0) die("proc");
  mkdirat(root, "dev", 0755);
  int dev = openat(root, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < 6; ++i) {
    int target = openat(dev, names[i], O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0444);
    if (syscall(SYS_move_mount, devs[i], "", target, "",
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      die(names[i]);
    close(target);
  }
  for (const char* const* l = (const char* const[]){"bin", "lib", "lib64", "sbin", NULL}; *l; ++l) {
    char target[16];
    snprintf(target, sizeof target, "usr/%s", *l);
    symlinkat(target, root, *l);
  }
  if (fchdir(root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0)
    die("pivot_root");
  if (chdir("/ws") != 0) die("chdir");
  setsid();
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  pid_t pid = vfork();
  if (pid == 0) {
    char* argv[] = {"/bin/true", NULL};
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  char code = (char)WEXITSTATUS(status);
  (void)!write(sock, &code, 1);
  _exit(0);
}

int main(int argc, char** argv) {
  const int serial = argc > 1 && strcmp(argv[1], "serial") == 0;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
  int pidfd = -1;
  struct clone_args args = {0};
  args.flags = CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
               CLONE_NEWUTS | CLONE_NEWCGROUP;
  args.pidfd = (unsigned long)&pidfd;
  args.exit_signal = SIGCHLD;
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die("clone3");
  if (pid == 0) {
    close(pair[0]);
    child(pair[1]);
  }
  close(pair[1]);
  char path[64], map[64];
  snprintf(path, sizeof path, "/proc/%ld/uid_map", pid);
  snprintf(map, sizeof map, "%d %d 1", uid, uid);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%ld/setgroups", pid);
  write_file(path, "deny");
  snprintf(path, sizeof path, "/proc/%ld/gid_map", pid);
  snprintf(map, sizeof map, "%d %d 1", gid, gid);
  write_file(path, map);
  if (write(pair[0], "g", 1) != 1) die("go");
  char code = 125;
  const int reported = read(pair[0], &code, 1) == 1;
  if (serial || !reported) {
    siginfo_t info;
    waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
  }
  return reported ? code : 125;
}
