/*
 * kprobe: attempts at the kernel surface (THREATS.md, "Process and kernel
 * surface" and the network rows), for tests/escape/kernel_test.cc and
 * tests/integration/landlock_mode_test.cc. Same conventions as probe.c:
 * each step prints `OK` or the errno's name, steps are separated by a lone
 * `+`, and the outcomes are printed on one line; exit 2 = called wrongly.
 *
 * Every attempt is chosen to be harmless when it succeeds: objects created
 * (bpf maps, perf counters, keys in the process keyring, mounts in a mount
 * namespace the test made) vanish with the process; kexec_load and
 * init_module are given arguments the kernel rejects after its permission
 * check; nothing is written outside paths the test passes.
 *
 * Steps that can kill the process (x32, int80) run in a forked child; the
 * parent reports the child's outcome, or `SIGNAL_<n>` when it was killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

#include "outcome.h"

/* -1 + errno -> its name; otherwise OK (an fd returned is closed). */
static int fd_result(Outcome* out, long rc) {
  if (rc < 0) return set_errno(out, errno);
  close((int)rc);
  return set_text(out, "OK");
}

static int parse_long(const char* s, long* v) {
  char* end = NULL;
  errno = 0;
  *v = strtol(s, &end, 0);
  return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

/* ---- syscalls that kill: in a child ------------------------------------ */

/* x86_64 only: the x32 ABI's getpid, and i386 getpid through int 0x80. */
static void x32_getpid(void) {
  long rc = syscall(SYS_getpid | 0x40000000L);
  _exit(rc < 0 ? 100 + (errno & 0x7f) : 0);
}

static void int80_getpid(void) {
#if defined(__x86_64__)
  long rc = 20; /* __NR_getpid on i386 */
  __asm__ volatile("int $0x80" : "+a"(rc) : : "memory", "r8", "r9", "r10", "r11");
  _exit(rc < 0 ? 100 + ((int)-rc & 0x7f) : 0);
#else
  _exit(99);
#endif
}

static int in_child(Outcome* out, void (*fn)(void)) {
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) return set_errno(out, errno);
  if (child == 0) fn();
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return set_errno(out, errno);
  if (WIFSIGNALED(status)) {
    snprintf(out->text, sizeof out->text, "SIGNAL_%d", WTERMSIG(status));
    return 0;
  }
  int code = WEXITSTATUS(status);
  if (code == 0) return set_text(out, "OK");
  if (code >= 100) return set_errno(out, code - 100);
  snprintf(out->text, sizeof out->text, "EXIT_%d", code);
  return 0;
}

/* ---- namespaces and mounts -------------------------------------------- */

static int do_unshare_user(Outcome* out) {
  /* In a child: the probe's own namespaces stay as they were. */
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) return set_errno(out, errno);
  if (child == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 100 + (errno & 0x7f));
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    snprintf(out->text, sizeof out->text, "SIGNAL_%d", WTERMSIG(status));
    return 0;
  }
  int code = WEXITSTATUS(status);
  return code == 0 ? set_text(out, "OK") : set_errno(out, code - 100);
}

static int do_clone3(Outcome* out) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  long rc = syscall(SYS_clone3, &args, sizeof args);
  if (rc < 0) return set_errno(out, errno);
  if (rc == 0) _exit(0);
  waitpid((pid_t)rc, NULL, 0);
  return set_text(out, "OK");
}

/* A tmpfs over DIR, unmounted at once (the test runs the uncontained leg in
 * a mount namespace of its own). */
static int do_mount(Outcome* out, const char* dir) {
  if (mount("cordon-probe", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0)
    return set_errno(out, errno);
  umount2(dir, MNT_DETACH);
  return set_text(out, "OK");
}

/* Nonexistent paths: the kernel checks the capability first (EPERM), then
 * looks the paths up (ENOENT): ENOENT means the call was allowed. */
static int do_pivot_root(Outcome* out) {
  return set_result(out, syscall(SYS_pivot_root, "/nonexistent-cordon-probe/new",
                                 "/nonexistent-cordon-probe/old"));
}

static int do_fsopen(Outcome* out) { return fd_result(out, syscall(SYS_fsopen, "tmpfs", 0)); }

static int do_open_tree(Outcome* out, const char* dir) {
  return fd_result(out, syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | O_CLOEXEC));
}

/* ---- kernel exploit primitives ---------------------------------------- */

static int do_io_uring(Outcome* out) {
  char params[120]; /* struct io_uring_params */
  memset(params, 0, sizeof params);
  long rc = syscall(SYS_io_uring_setup, 1, params);
  if (rc >= 0) {
    /* The rings were mapped by nobody: closing the fd frees them. */
    close((int)rc);
    return set_text(out, "OK");
  }
  return set_errno(out, errno);
}

static int do_bpf(Outcome* out) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  return fd_result(out, syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
}

static int do_perf(Outcome* out) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return fd_result(out, syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}

static int do_userfaultfd(Outcome* out) {
  long rc = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  if (rc < 0 && errno == EINVAL) rc = syscall(SYS_userfaultfd, O_CLOEXEC);
  return fd_result(out, rc);
}

static int do_keyctl(Outcome* out) {
  /* The id of the session keyring, without creating one. */
  return set_result(out, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

static int do_add_key(Outcome* out) {
  /* Into the process keyring: gone when the probe exits. */
  return set_result(out,
                    syscall(SYS_add_key, "user", "cordon-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
}

/* A real handle of PATH when name_to_handle_at allows it, otherwise a
 * made-up one: either way open_by_handle_at itself is what is asked. */
static int do_open_by_handle(Outcome* out, const char* path) {
  struct {
    struct file_handle h;
    unsigned char bytes[128];
  } fh;
  memset(&fh, 0, sizeof fh);
  fh.h.handle_bytes = 128;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0) != 0) {
    fh.h.handle_bytes = 8;
    fh.h.handle_type = 1;
  }
  int mount_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (mount_fd < 0) mount_fd = AT_FDCWD;
  long rc = open_by_handle_at(mount_fd, &fh.h, O_RDONLY | O_CLOEXEC);
  int err = errno;
  if (mount_fd >= 0) close(mount_fd);
  errno = err;
  return fd_result(out, rc);
}

static int do_kexec_load(Outcome* out) {
  /* More segments than the kernel accepts: EINVAL after its permission
   * check, never a kernel loaded (or unloaded). */
  return set_result(out, syscall(SYS_kexec_load, 0UL, 100000UL, NULL, 0UL));
}

static int do_init_module(Outcome* out) {
  /* An empty image: rejected after the permission check. */
  static const char empty[1] = {0};
  return set_result(out, syscall(SYS_init_module, empty, 0UL, ""));
}

/* ---- other processes --------------------------------------------------- */

/* pidfd_getfd of fd 0: from PID, or from the probe itself ("self"). */
/* A System V shared memory segment of the host's, by id: attached, its
 * memory is the other process's. Read-only, and detached at once. */
static int do_shm_attach(Outcome* out, const char* id_text) {
  long id;
  if (parse_long(id_text, &id) != 0) return set_text(out, "USAGE");
  void* at = (void*)syscall(SYS_shmat, (int)id, NULL, SHM_RDONLY);
  if (at == (void*)-1) return set_errno(out, errno);
  syscall(SYS_shmdt, at);
  return set_text(out, "OK");
}

/* A POSIX message queue of the host's, by name ("/name"), opened to read
 * (which would take the messages meant for its owner). Raw syscall: the
 * kernel takes the name without its leading slash. */
static int do_mq_open(Outcome* out, const char* name) {
  if (name[0] != '/') return set_text(out, "USAGE");
  long fd = syscall(SYS_mq_open, name + 1, O_RDONLY | O_CLOEXEC, 0, NULL);
  if (fd < 0) return set_errno(out, errno);
  close((int)fd);
  return set_text(out, "OK");
}

static int do_pidfd_getfd(Outcome* out, const char* pid_text) {
  long pid;
  if (strcmp(pid_text, "self") == 0)
    pid = getpid();
  else if (parse_long(pid_text, &pid) != 0 || pid <= 0)
    return set_text(out, "USAGE");
  long pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return set_errno(out, errno);
  long rc = syscall(SYS_pidfd_getfd, (int)pidfd, 0, 0);
  int err = errno;
  close((int)pidfd);
  errno = err;
  return fd_result(out, rc);
}

/* ---- sockets ----------------------------------------------------------- */

static int do_socket(Outcome* out, int family, int type, int protocol) {
  return fd_result(out, socket(family, type | SOCK_CLOEXEC, protocol));
}

static int do_tcp_connect(Outcome* out, const char* port_text) {
  long port;
  if (parse_long(port_text, &port) != 0 || port <= 0 || port > 65535) return set_text(out, "USAGE");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return set_errno(out, errno);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never anything but loopback */
  int rc = connect(fd, (struct sockaddr*)&sa, sizeof sa);
  int err = errno;
  close(fd);
  return rc == 0 ? set_text(out, "OK") : set_errno(out, err);
}

/* UDP datagram to 127.0.0.1:PORT (never another address). */
static int do_udp_send(Outcome* out, const char* port_text) {
  long port;
  if (parse_long(port_text, &port) != 0 || port <= 0 || port > 65535) return set_text(out, "USAGE");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return set_errno(out, errno);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long rc = sendto(fd, "cordon-probe", 12, 0, (struct sockaddr*)&sa, sizeof sa);
  int err = errno;
  close(fd);
  return rc < 0 ? set_errno(out, err) : set_text(out, "OK");
}

/* Connects to a unix socket: "@name" is abstract, anything else a path. */
static int do_unix_connect(Outcome* out, const char* name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return set_errno(out, errno);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len >= sizeof sa.sun_path) {
    close(fd);
    return set_text(out, "USAGE");
  }
  memcpy(sa.sun_path, name, len);
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  if (name[0] == '@')
    sa.sun_path[0] = '\0';
  else
    addr_len += 1;
  int rc = connect(fd, (struct sockaddr*)&sa, addr_len);
  int err = errno;
  close(fd);
  return rc == 0 ? set_text(out, "OK") : set_errno(out, err);
}

/* ---- privileges -------------------------------------------------------- */

/* "NNP=<n>,CAPEFF=<hex>,EUID=<n>" from /proc/self/status. */
static int do_status(Outcome* out) {
  FILE* f = fopen("/proc/self/status", "re");
  if (f == NULL) return set_errno(out, errno);
  char line[256], nnp[32] = "?", capeff[32] = "?";
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "NoNewPrivs: %31s", nnp) == 1) continue;
    if (sscanf(line, "CapEff: %31s", capeff) == 1) continue;
  }
  fclose(f);
  snprintf(out->text, sizeof out->text, "NNP=%s,CAPEFF=%s,EUID=%u", nnp, capeff,
           (unsigned)geteuid());
  return 0;
}

/* Opens an existing file for writing without truncating or writing. */
static int do_open_wronly(Outcome* out, const char* path) {
  return fd_result(out, open(path, O_WRONLY | O_CLOEXEC));
}

static int run_step(int argc, char** argv, Outcome* out) {
  const char* cmd = argv[0];
#define IS(name, nargs) (strcmp(cmd, name) == 0 && argc == (nargs) + 1)
  if (IS("io-uring", 0))
    do_io_uring(out);
  else if (IS("x32", 0))
    in_child(out, x32_getpid);
  else if (IS("int80", 0))
    in_child(out, int80_getpid);
  else if (IS("x32-direct", 0)) {
    long rc = syscall(SYS_getpid | 0x40000000L);
    set_result(out, rc);
  } else if (IS("unshare-user", 0))
    do_unshare_user(out);
  else if (IS("clone3", 0))
    do_clone3(out);
  else if (IS("mount", 1))
    do_mount(out, argv[1]);
  else if (IS("pivot-root", 0))
    do_pivot_root(out);
  else if (IS("fsopen", 0))
    do_fsopen(out);
  else if (IS("open-tree", 1))
    do_open_tree(out, argv[1]);
  else if (IS("bpf", 0))
    do_bpf(out);
  else if (IS("perf", 0))
    do_perf(out);
  else if (IS("userfaultfd", 0))
    do_userfaultfd(out);
  else if (IS("keyctl", 0))
    do_keyctl(out);
  else if (IS("add-key", 0))
    do_add_key(out);
  else if (IS("open-by-handle", 1))
    do_open_by_handle(out, argv[1]);
  else if (IS("kexec-load", 0))
    do_kexec_load(out);
  else if (IS("init-module", 0))
    do_init_module(out);
  else if (IS("pidfd-getfd", 1))
    do_pidfd_getfd(out, argv[1]);
  else if (IS("shm-attach", 1))
    do_shm_attach(out, argv[1]);
  else if (IS("mq-open", 1))
    do_mq_open(out, argv[1]);
  else if (IS("packet", 0))
    do_socket(out, AF_PACKET, SOCK_RAW, 0);
  else if (IS("netlink-uevent", 0))
    do_socket(out, AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
  else if (IS("netlink-route", 0))
    do_socket(out, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  else if (IS("vsock", 0))
    do_socket(out, AF_VSOCK, SOCK_STREAM, 0);
  else if (IS("bluetooth", 0))
    do_socket(out, AF_BLUETOOTH, SOCK_RAW, 1 /* BTPROTO_HCI */);
  else if (IS("unix-socket", 0))
    do_socket(out, AF_UNIX, SOCK_STREAM, 0);
  else if (IS("udp-socket", 0))
    do_socket(out, AF_INET, SOCK_DGRAM, 0);
  else if (IS("tcp-socket", 0))
    do_socket(out, AF_INET, SOCK_STREAM, 0);
  else if (IS("tcp-connect", 1))
    do_tcp_connect(out, argv[1]);
  else if (IS("udp-send", 1))
    do_udp_send(out, argv[1]);
  else if (IS("unix-connect", 1))
    do_unix_connect(out, argv[1]);
  else if (IS("status", 0))
    do_status(out);
  else if (IS("open-wronly", 1))
    do_open_wronly(out, argv[1]);
  else
    return -1;
#undef IS
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs("usage: kprobe STEP [+ STEP ...] (see kprobe.c)\n", stderr);
    return 2;
  }
  char line[8192] = "";
  size_t used = 0;
  int start = 1;
  while (start < argc) {
    int end = start;
    while (end < argc && strcmp(argv[end], "+") != 0) ++end;
    if (end == start) return 2;
    Outcome out;
    set_text(&out, "");
    if (run_step(end - start, argv + start, &out) != 0) {
      fprintf(stderr, "kprobe: unknown step %s\n", argv[start]);
      return 2;
    }
    used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", used ? " " : "", out.text);
    if (used >= sizeof line) return 2;
    start = end + 1;
  }
  printf("%s\n", line);
  return fflush(stdout) == 0 ? 0 : 1;
}
