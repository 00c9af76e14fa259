/*
 * probe: one attempt at an escape technique per subcommand, for the escape
 * suite (tests/escape/). The same binary runs once uncontained, where the
 * attempt must work, and once inside `cordon run`, where it must fail.
 *
 * Every subcommand prints its outcome: `OK`, or the errno's name (`EROFS`),
 * so that a test compares strings, never "did not crash". Several steps can
 * run in one process, separated by a lone `+`:
 *
 *     probe unlink .bashrc + create .bashrc      ->  "EBUSY EROFS"
 *
 * prints the outcomes on ONE line, separated by spaces, and exits 0. A few
 * subcommands report what they see instead (`ls-fds` and `proc-pids` as a
 * comma-separated list, `cwd`, `readlink`, `lstat`). Exit 2 means the probe
 * was called wrongly.
 *
 * Deliberately harmless even when the sandbox is broken: signals are only
 * ever 0, ptrace uses PTRACE_SEIZE (no stop; the kernel detaches when the
 * probe exits), process_vm_readv only reads, and every path comes from the
 * test, which points them into its own temporary directories.
 *
 * Plain C, libc only, so that it runs wherever the sandbox can exec it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef TIOCL_GETSHIFTSTATE
#define TIOCL_GETSHIFTSTATE 6
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#include "outcome.h"

static int parse_int(const char* s, long* value) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') return -1;
  *value = v;
  return 0;
}

/* Writes a recognisable line, so that a test sees whether a target changed. */
static long write_marker(int fd) {
  static const char marker[] = "written by cordon escape probe\n";
  return write(fd, marker, sizeof marker - 1);
}

static int open_and_write(Outcome* out, const char* path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) return set_errno(out, errno);
  long rc = write_marker(fd);
  int err = errno;
  close(fd);
  if (rc < 0) return set_errno(out, err);
  return set_text(out, "OK");
}

/* ---- terminal ---------------------------------------------------------- */

/* TIOCSTI pushes bytes into a terminal's input queue as if typed: whoever
 * reads that terminal next (the caller's shell, after the sandbox exits)
 * runs them. `high` sets bits above 32 in the request number: the kernel
 * compares only the low 32 bits (its cmd is an unsigned int), so a filter
 * that compares all 64 is bypassed (CVE-2019-10063). */
static int do_tiocsti(Outcome* out, const char* fd_text, const char* text, int high) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  unsigned long request = TIOCSTI;
  if (high) request |= 0x123UL << 32;
  for (const char* c = text; *c != '\0'; ++c) {
    /* syscall(), not ioctl(): the request must reach the kernel unchanged. */
    if (syscall(SYS_ioctl, (int)fd, request, c) < 0) return set_errno(out, errno);
  }
  return set_text(out, "OK");
}

/* TIOCLINUX reaches the virtual console's selection and paste machinery
 * (ttyjack). The kernel gates every subcode on the same check: the terminal
 * is the caller's controlling terminal, or CAP_SYS_ADMIN. GETSHIFTSTATE is
 * the harmless subcode that passes exactly that gate. */
static int do_tioclinux(Outcome* out, const char* fd_text) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  char arg[8] = {TIOCL_GETSHIFTSTATE};
  return set_result(out, syscall(SYS_ioctl, (int)fd, (unsigned long)TIOCLINUX, arg));
}

/* Which terminal (or file) an fd is: "DEV:RDEV:INO" in hex. A pty slave of
 * another devpts instance has the same major:minor scheme but another DEV. */
static int do_stat_fd(Outcome* out, const char* fd_text) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  struct stat st;
  if (fstat((int)fd, &st) != 0) return set_errno(out, errno);
  snprintf(out->text, sizeof out->text, "%lx:%lx:%lx", (unsigned long)st.st_dev,
           (unsigned long)st.st_rdev, (unsigned long)st.st_ino);
  return 0;
}

/* Reads what waits in a terminal's input queue through FD, waiting at most
 * 300 ms: "READ:N" with the number of bytes taken, or "NOTHING". Through the
 * caller's terminal this takes the keystrokes typed ahead for the shell (a
 * password for the next sudo), whichever of fds 0-2 the terminal is. */
static int do_tty_read(Outcome* out, const char* fd_text) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  struct pollfd p = {(int)fd, POLLIN, 0};
  int ready = poll(&p, 1, 300);
  if (ready < 0) return set_errno(out, errno);
  if (ready == 0 || !(p.revents & POLLIN)) return set_text(out, "NOTHING");
  char buf[256];
  ssize_t n = read((int)fd, buf, sizeof buf);
  if (n < 0) return set_errno(out, errno);
  snprintf(out->text, sizeof out->text, "READ:%zd", n);
  return 0;
}

/* Opens the terminal at PATH (read-write, never as controlling terminal)
 * and takes what waits in its input queue: "READ:N", or "OPENED" when
 * nothing was queued. Another terminal of the user's, opened like this,
 * gives away the keystrokes typed into it before its shell reads them. */
static int do_tty_open(Outcome* out, const char* path) {
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return set_errno(out, errno);
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return set_text(out, "OPENED");
  snprintf(out->text, sizeof out->text, "READ:%zd", n);
  return 0;
}

/* Sets TOSTOP in the termios of the terminal at FD. On the caller's
 * terminal the change outlives the sandbox (as would turning echo off, or
 * any other mode): the caller's shell inherits it. */
static int do_tty_tostop(Outcome* out, const char* fd_text) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  struct termios t;
  if (tcgetattr((int)fd, &t) != 0) return set_errno(out, errno);
  t.c_lflag |= TOSTOP;
  return set_result(out, tcsetattr((int)fd, TCSANOW, &t));
}

/* ---- file descriptors and cwd ----------------------------------------- */

static int do_fd_open(Outcome* out, const char* fd_text) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  return set_result(out, fcntl((int)fd, F_GETFD));
}

/* What a leaked directory fd is worth: a path lookup outside the root. */
static int do_fd_openat(Outcome* out, const char* fd_text, const char* rel) {
  long fd;
  if (parse_int(fd_text, &fd) != 0) return set_text(out, "USAGE");
  int file = openat((int)fd, rel, O_RDONLY | O_CLOEXEC);
  if (file < 0) return set_errno(out, errno);
  close(file);
  return set_text(out, "OK");
}

static int compare_longs(const void* a, const void* b) {
  long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

/* Numeric entries of a directory, sorted, comma-separated; with
 * skip_own_fd, the fd of the directory stream itself is left out. */
static int list_numbers(Outcome* out, const char* dir_path, int skip_own_fd) {
  DIR* dir = opendir(dir_path);
  if (dir == NULL) return set_errno(out, errno);
  long numbers[1024];
  size_t count = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && count < 1024) {
    long n;
    if (parse_int(entry->d_name, &n) != 0) continue;
    if (skip_own_fd && n == dirfd(dir)) continue;
    numbers[count++] = n;
  }
  closedir(dir);
  qsort(numbers, count, sizeof numbers[0], compare_longs);
  out->text[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < count && used < sizeof out->text - 24; ++i)
    used += (size_t)snprintf(out->text + used, sizeof out->text - used, "%s%ld", i ? "," : "",
                             numbers[i]);
  if (count == 0) set_text(out, "NONE");
  return 0;
}

static int do_cwd(Outcome* out) {
  /* glibc's getcwd fails with ENOENT when the kernel's answer starts with
   * "(unreachable)": the cwd lies outside the current root. */
  if (getcwd(out->text, sizeof out->text) == NULL) return set_errno(out, errno);
  return 0;
}

/* Climbs out of the cwd as far as ".." goes and checks that it arrives at
 * the process's root. A cwd left outside the root (runc CVE-2024-21626)
 * climbs to a different directory: the host's root. */
static int do_cwd_root(Outcome* out) {
  for (int i = 0; i < 256; ++i)
    if (chdir("..") != 0) return set_errno(out, errno);
  struct stat here, root;
  if (stat(".", &here) != 0 || stat("/", &root) != 0) return set_errno(out, errno);
  return set_text(out, here.st_dev == root.st_dev && here.st_ino == root.st_ino ? "OK" : "OUTSIDE");
}

/* ---- processes --------------------------------------------------------- */

static int do_kill(Outcome* out, const char* pid_text) {
  long pid;
  if (parse_int(pid_text, &pid) != 0 || pid <= 0) return set_text(out, "USAGE");
  /* Signal 0: existence and permission only, never a real signal. */
  return set_result(out, kill((pid_t)pid, 0));
}

static int do_ptrace_attach(Outcome* out, const char* pid_text) {
  long pid;
  if (parse_int(pid_text, &pid) != 0 || pid <= 0) return set_text(out, "USAGE");
  /* SEIZE does not stop the target; the kernel detaches when we exit. */
  return set_result(out, ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL));
}

/* First readable mapping in /proc/PID/maps, or 0 when that cannot be read:
 * process_vm_readv looks the pid up before it looks at the address, so an
 * invisible pid still yields ESRCH. */
static uintptr_t readable_address(long pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/maps", pid);
  FILE* maps = fopen(path, "re");
  if (maps == NULL) return 0;
  char line[512];
  uintptr_t address = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    uintptr_t start, end;
    char perms[8];
    if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &start, &end, perms) == 3 &&
        perms[0] == 'r') {
      address = start;
      break;
    }
  }
  fclose(maps);
  return address;
}

static int do_vm_read(Outcome* out, const char* pid_text) {
  long pid;
  if (parse_int(pid_text, &pid) != 0 || pid <= 0) return set_text(out, "USAGE");
  char buffer[16];
  struct iovec local = {buffer, sizeof buffer};
  struct iovec remote = {(void*)readable_address(pid), sizeof buffer};
  if (remote.iov_base == NULL) remote.iov_base = (void*)(uintptr_t)0x10000;
  return set_result(out, process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0));
}

/* Two processes (parent and a child in its own session, as a daemon would
 * be) that carry TOKEN in their command line, so that a test can find them
 * in the host's /proc; both end after SECONDS in any case. */
static int do_hold(Outcome* out, const char* seconds_text) {
  long seconds;
  if (parse_int(seconds_text, &seconds) != 0 || seconds <= 0) return set_text(out, "USAGE");
  pid_t child = fork();
  if (child < 0) return set_errno(out, errno);
  if (child == 0) setsid();
  struct timespec rest = {seconds, 0};
  while (nanosleep(&rest, &rest) != 0 && errno == EINTR) {
  }
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  return set_text(out, "OK");
}

/* ---- synchronisation with a test --------------------------------------- */

/* Creates READY, then waits (at most 20 s) until GO exists: lets a test
 * freeze what it is racing before the next steps look. */
static int do_sync(Outcome* out, const char* ready, const char* go) {
  int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return set_errno(out, errno);
  close(fd);
  for (int i = 0; i < 20000; ++i) {
    if (access(go, F_OK) == 0) return set_text(out, "OK");
    usleep(1000);
  }
  return set_text(out, "TIMEOUT");
}

/* ---- paths ------------------------------------------------------------- */

static int do_lstat(Outcome* out, const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return set_errno(out, errno);
  return set_text(out, S_ISDIR(st.st_mode)   ? "dir"
                       : S_ISLNK(st.st_mode) ? "link"
                       : S_ISREG(st.st_mode) ? "file"
                                             : "other");
}

static int do_readlink(Outcome* out, const char* path) {
  ssize_t n = readlink(path, out->text, sizeof out->text - 1);
  if (n < 0) return set_errno(out, errno);
  out->text[n] = '\0';
  return 0;
}

static int do_open_read(Outcome* out, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return set_errno(out, errno);
  char byte;
  long rc = read(fd, &byte, 1);
  int err = errno;
  close(fd);
  return rc < 0 ? set_errno(out, err) : set_text(out, "OK");
}

/* The first word of a file (at most 64 bytes read): tells which of two
 * files a path reached. */
static int do_head(Outcome* out, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return set_errno(out, errno);
  char buffer[65];
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  int err = errno;
  close(fd);
  if (n < 0) return set_errno(out, err);
  buffer[n] = '\0';
  buffer[strcspn(buffer, " \t\r\n")] = '\0';
  return set_text(out, buffer[0] != '\0' ? buffer : "EMPTY");
}

static int do_chmod(Outcome* out, const char* path, const char* mode_text) {
  long mode;
  if (parse_int(mode_text, &mode) != 0) return set_text(out, "USAGE");
  return set_result(out, chmod(path, (mode_t)mode));
}

/* ---- dispatch ---------------------------------------------------------- */

/* One entry per subcommand: its name, its arguments (for the usage text;
 * their count is checked), and the attempt. */
typedef struct {
  const char* name;
  const char* args;
  int nargs;
  int (*run)(Outcome* out, char** arg);
} Step;

static int s_tiocsti(Outcome* o, char** a) { return do_tiocsti(o, a[0], a[1], 0); }
static int s_tiocsti_high(Outcome* o, char** a) { return do_tiocsti(o, a[0], a[1], 1); }
static int s_tioclinux(Outcome* o, char** a) { return do_tioclinux(o, a[0]); }
static int s_stat_fd(Outcome* o, char** a) { return do_stat_fd(o, a[0]); }
static int s_tty_read(Outcome* o, char** a) { return do_tty_read(o, a[0]); }
static int s_tty_tostop(Outcome* o, char** a) { return do_tty_tostop(o, a[0]); }
static int s_tty_open(Outcome* o, char** a) { return do_tty_open(o, a[0]); }
static int s_fd_open(Outcome* o, char** a) { return do_fd_open(o, a[0]); }
static int s_fd_openat(Outcome* o, char** a) { return do_fd_openat(o, a[0], a[1]); }
static int s_ls_fds(Outcome* o, char** a) { return (void)a, list_numbers(o, "/proc/self/fd", 1); }
static int s_proc_pids(Outcome* o, char** a) { return (void)a, list_numbers(o, "/proc", 0); }
static int s_cwd(Outcome* o, char** a) { return (void)a, do_cwd(o); }
static int s_cwd_root(Outcome* o, char** a) { return (void)a, do_cwd_root(o); }
static int s_kill(Outcome* o, char** a) { return do_kill(o, a[0]); }
static int s_ptrace_attach(Outcome* o, char** a) { return do_ptrace_attach(o, a[0]); }
static int s_vm_read(Outcome* o, char** a) { return do_vm_read(o, a[0]); }
/* a[0], the token, is only there to be seen in /proc/PID/cmdline. */
static int s_hold(Outcome* o, char** a) { return do_hold(o, a[1]); }
static int s_sync(Outcome* o, char** a) { return do_sync(o, a[0], a[1]); }
static int s_lstat(Outcome* o, char** a) { return do_lstat(o, a[0]); }
static int s_readlink(Outcome* o, char** a) { return do_readlink(o, a[0]); }
static int s_head(Outcome* o, char** a) { return do_head(o, a[0]); }
static int s_open_read(Outcome* o, char** a) { return do_open_read(o, a[0]); }
static int s_open_write(Outcome* o, char** a) {
  return open_and_write(o, a[0], O_WRONLY | O_APPEND);
}
static int s_create(Outcome* o, char** a) {
  return open_and_write(o, a[0], O_WRONLY | O_CREAT | O_TRUNC);
}
static int s_create_excl(Outcome* o, char** a) {
  return open_and_write(o, a[0], O_WRONLY | O_CREAT | O_EXCL);
}
static int s_mkdir(Outcome* o, char** a) { return set_result(o, mkdir(a[0], 0755)); }
static int s_rmdir(Outcome* o, char** a) { return set_result(o, rmdir(a[0])); }
static int s_unlink(Outcome* o, char** a) { return set_result(o, unlink(a[0])); }
static int s_chmod(Outcome* o, char** a) { return do_chmod(o, a[0], a[1]); }
static int s_rename(Outcome* o, char** a) { return set_result(o, rename(a[0], a[1])); }
static int s_exchange(Outcome* o, char** a) {
  return set_result(o, syscall(SYS_renameat2, AT_FDCWD, a[0], AT_FDCWD, a[1], RENAME_EXCHANGE));
}
static int s_symlink(Outcome* o, char** a) { return set_result(o, symlink(a[0], a[1])); }
static int s_link(Outcome* o, char** a) { return set_result(o, link(a[0], a[1])); }

static const Step kSteps[] = {
    {"tiocsti", "FD TEXT", 2, s_tiocsti},
    {"tiocsti-high", "FD TEXT", 2, s_tiocsti_high},
    {"tioclinux", "FD", 1, s_tioclinux},
    {"stat-fd", "FD", 1, s_stat_fd},
    {"tty-read", "FD", 1, s_tty_read},
    {"tty-tostop", "FD", 1, s_tty_tostop},
    {"tty-open", "PATH", 1, s_tty_open},
    {"fd-open", "N", 1, s_fd_open},
    {"fd-openat", "N REL", 2, s_fd_openat},
    {"ls-fds", "", 0, s_ls_fds},
    {"proc-pids", "", 0, s_proc_pids},
    {"cwd", "", 0, s_cwd},
    {"cwd-root", "", 0, s_cwd_root},
    {"kill", "PID", 1, s_kill},
    {"ptrace-attach", "PID", 1, s_ptrace_attach},
    {"vm-read", "PID", 1, s_vm_read},
    {"hold", "TOKEN SECONDS", 2, s_hold},
    {"sync", "READY GO", 2, s_sync},
    {"lstat", "PATH", 1, s_lstat},
    {"readlink", "PATH", 1, s_readlink},
    {"head", "PATH", 1, s_head},
    {"open-read", "PATH", 1, s_open_read},
    {"open-write", "PATH", 1, s_open_write},
    {"create", "PATH", 1, s_create},
    {"create-excl", "PATH", 1, s_create_excl},
    {"mkdir", "PATH", 1, s_mkdir},
    {"rmdir", "PATH", 1, s_rmdir},
    {"unlink", "PATH", 1, s_unlink},
    {"chmod", "PATH MODE", 2, s_chmod},
    {"rename", "SRC DST", 2, s_rename},
    {"exchange", "A B", 2, s_exchange},
    {"symlink", "TARGET PATH", 2, s_symlink},
    {"link", "SRC DST", 2, s_link},
};

/* Runs one step: argv[0] is the subcommand, argc its word count. */
static int run_step(int argc, char** argv, Outcome* out) {
  for (size_t i = 0; i < sizeof kSteps / sizeof kSteps[0]; ++i) {
    if (strcmp(argv[0], kSteps[i].name) != 0) continue;
    if (argc != kSteps[i].nargs + 1) return -1;
    kSteps[i].run(out, argv + 1);
    return 0;
  }
  return -1;
}

static int usage(void) {
  fputs("usage: probe STEP [+ STEP ...]; each STEP one of:\n", stderr);
  for (size_t i = 0; i < sizeof kSteps / sizeof kSteps[0]; ++i)
    fprintf(stderr, "  %s %s\n", kSteps[i].name, kSteps[i].args);
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  char line[16384] = "";
  size_t used = 0;
  int start = 1;
  while (start < argc) {
    int end = start;
    while (end < argc && strcmp(argv[end], "+") != 0) ++end;
    if (end == start) return usage();
    Outcome out;
    set_text(&out, "");
    if (run_step(end - start, argv + start, &out) != 0) return usage();
    used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", used ? " " : "", out.text);
    if (used >= sizeof line) return usage();
    start = end + 1;
  }
  printf("%s\n", line);
  return fflush(stdout) == 0 ? 0 : 1;
}
