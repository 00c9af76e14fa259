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
#include <time.h>
#include <unistd.h>

#ifndef TIOCL_GETSHIFTSTATE
#define TIOCL_GETSHIFTSTATE 6
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* The outcome of one step: "OK", an errno name, or something it observed.
 * The setters return 0 so that a step can end with `return set_errno(...)`. */
typedef struct {
  char text[4096];
} Outcome;

static int set_text(Outcome* out, const char* text) {
  snprintf(out->text, sizeof out->text, "%s", text);
  return 0;
}

static int set_errno(Outcome* out, int err) {
  const char* name = strerrorname_np(err);
  if (name != NULL) return set_text(out, name);
  snprintf(out->text, sizeof out->text, "ERRNO_%d", err);
  return 0;
}

/* For syscalls that return -1 and set errno. */
static int set_result(Outcome* out, long rc) {
  return rc < 0 ? set_errno(out, errno) : set_text(out, "OK");
}

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

/* ---- dispatch ---------------------------------------------------------- */

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

/* Runs one step: argv[0] is the subcommand, argc its word count. */
static int run_step(int argc, char** argv, Outcome* out) {
  const char* cmd = argv[0];
#define IS(name, nargs) (strcmp(cmd, name) == 0 && argc == (nargs) + 1)
  if (IS("tiocsti", 1)) do_tiocsti(out, argv[1], "X", 0);
  else if (IS("tiocsti", 2)) do_tiocsti(out, argv[1], argv[2], 0);
  else if (IS("tiocsti-high", 1)) do_tiocsti(out, argv[1], "X", 1);
  else if (IS("tiocsti-high", 2)) do_tiocsti(out, argv[1], argv[2], 1);
  else if (IS("tioclinux", 1)) do_tioclinux(out, argv[1]);
  else if (IS("stat-fd", 1)) do_stat_fd(out, argv[1]);
  else if (IS("fd-open", 1)) do_fd_open(out, argv[1]);
  else if (IS("fd-openat", 2)) do_fd_openat(out, argv[1], argv[2]);
  else if (IS("ls-fds", 0)) list_numbers(out, "/proc/self/fd", 1);
  else if (IS("proc-pids", 0)) list_numbers(out, "/proc", 0);
  else if (IS("cwd", 0)) do_cwd(out);
  else if (IS("cwd-root", 0)) do_cwd_root(out);
  else if (IS("kill", 1)) do_kill(out, argv[1]);
  else if (IS("ptrace-attach", 1)) do_ptrace_attach(out, argv[1]);
  else if (IS("vm-read", 1)) do_vm_read(out, argv[1]);
  else if (IS("hold", 2)) do_hold(out, argv[2]); /* argv[1]: the token, only for /proc */
  else if (IS("sync", 2)) do_sync(out, argv[1], argv[2]);
  else if (IS("lstat", 1)) do_lstat(out, argv[1]);
  else if (IS("readlink", 1)) do_readlink(out, argv[1]);
  else if (IS("head", 1)) do_head(out, argv[1]);
  else if (IS("open-read", 1)) do_open_read(out, argv[1]);
  else if (IS("open-write", 1)) open_and_write(out, argv[1], O_WRONLY | O_APPEND);
  else if (IS("create", 1)) open_and_write(out, argv[1], O_WRONLY | O_CREAT | O_TRUNC);
  else if (IS("create-excl", 1)) open_and_write(out, argv[1], O_WRONLY | O_CREAT | O_EXCL);
  else if (IS("mkdir", 1)) set_result(out, mkdir(argv[1], 0755));
  else if (IS("rmdir", 1)) set_result(out, rmdir(argv[1]));
  else if (IS("unlink", 1)) set_result(out, unlink(argv[1]));
  else if (IS("rename", 2)) set_result(out, rename(argv[1], argv[2]));
  else if (IS("exchange", 2))
    set_result(out, syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE));
  else if (IS("symlink", 2)) set_result(out, symlink(argv[1], argv[2]));
  else if (IS("link", 2)) set_result(out, link(argv[1], argv[2]));
  else if (IS("chmod", 2)) do_chmod(out, argv[1], argv[2]);
  else return -1;
#undef IS
  return 0;
}

static int usage(void) {
  fputs("usage: probe STEP [+ STEP ...]\n"
        "steps: tiocsti FD [TEXT] | tiocsti-high FD [TEXT] | tioclinux FD | stat-fd FD\n"
        "       fd-open N | fd-openat N REL | ls-fds | proc-pids | cwd | cwd-root\n"
        "       kill PID | ptrace-attach PID | vm-read PID | hold TOKEN SECONDS\n"
        "       sync READY GO | lstat P | readlink P | head P | open-read P | open-write P\n"
        "       create P | create-excl P | mkdir P | rmdir P | unlink P | chmod P MODE\n"
        "       rename SRC DST | exchange A B | symlink TARGET P | link SRC DST\n",
        stderr);
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
