// The integration-test harness (see tests/harness.h).
//
// Everything a child needs is prepared before fork(): the child only calls
// async-signal-safe functions, and reports a failure before exec over a
// close-on-exec pipe so that a harness problem (a missing binary, a test user
// that cannot enter the workspace) fails the test with a clear message
// instead of looking like a sandbox result.
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char** environ;

namespace cordon::test {
namespace {

constexpr const char* kTestUser = "cordon-test";

std::string errno_text(int err) {
  return std::string(strerrorname_np(err) ? strerrorname_np(err) : "?") + " (" + strerror(err) +
         ")";
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += sep;
    s += x;
  }
  return s;
}

std::string env_name(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// Sets NAME=value in env, replacing an existing NAME.
void env_set(std::vector<std::string>& env, const std::string& kv) {
  const std::string name = env_name(kv);
  for (auto& e : env) {
    if (env_name(e) == name) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

const std::string* env_get(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (env_name(e) == name) return &e;
  return nullptr;
}

// Resolves argv[0] against PATH the way execvp would, but before fork.
std::string resolve(const std::string& prog, const std::vector<std::string>& env) {
  if (prog.find('/') != std::string::npos) return prog;
  std::string path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  if (const auto* p = env_get(env, "PATH")) path = p->substr(5);
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + prog;
    if (access(cand.c_str(), X_OK) == 0) return cand;
  }
  return prog;  // execve fails with ENOENT and the harness says so
}

// Removes a tree without following symlinks, making directories writable
// first so that read-only contents go too.
void remove_tree(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path.c_str(), 0700);
    if (DIR* d = opendir(path.c_str())) {
      std::vector<std::string> names;
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      closedir(d);
      for (const auto& n : names) remove_tree(path + "/" + n);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

std::string make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp: " + errno_text(errno));
  return tmpl;
}

struct TestUser {
  bool found = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

const TestUser& lookup_test_user() {
  static const TestUser user = [] {
    TestUser u;
    if (passwd* pw = getpwnam(kTestUser)) {
      u.found = true;
      u.uid = pw->pw_uid;
      u.gid = pw->pw_gid;
    }
    return u;
  }();
  return user;
}

// What failed in the child before exec, sent over the close-on-exec pipe.
struct ChildFailure {
  int stage;
  int err;
};
const char* const kStages[] = {"setsid", "TIOCSCTTY", "dup2",   "setgroups",  "setgid",
                               "setuid", "chdir",     "execve", "close_range"};

[[noreturn]] void child_fail(int fd, int stage) {
  ChildFailure f{stage, errno};
  (void)!::write(fd, &f, sizeof f);
  _exit(127);
}

// /proc/PID/stat split after the command name: [0] state, [1] ppid, [2] pgrp,
// [3] session, ... [19] starttime.
std::vector<std::string> stat_fields(pid_t pid) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (close == std::string::npos) return {};
  return split_words(s.substr(close + 1));
}

std::string cmdline_of(pid_t pid) {
  std::string c = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  while (!c.empty() && c.back() == '\0') c.pop_back();
  std::replace(c.begin(), c.end(), '\0', ' ');
  return c;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long v = strtol(e->d_name, &end, 10);
      if (end && *end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
    }
    closedir(d);
  }
  return pids;
}

HostProc host_proc(pid_t pid, const std::vector<std::string>& f) {
  HostProc p;
  p.pid = pid;
  if (f.size() > 19) p.start_time = strtoull(f[19].c_str(), nullptr, 10);
  p.cmdline = cmdline_of(pid);
  return p;
}

}  // namespace

// ---- RunResult -------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  auto clip = [](const std::string& s) {
    return s.size() > 6000 ? s.substr(0, 6000) + "\n[...]" : s;
  };
  os << "\n[pid " << r.pid << " exit_code=" << r.exit_code << " term_signal=" << r.term_signal
     << (r.timed_out ? " TIMED OUT" : "") << "]\n--- stdout ---\n"
     << clip(r.out) << "\n--- stderr ---\n"
     << clip(r.err) << "\n--------------\n";
  return os;
}

// ---- Process ---------------------------------------------------------------

Process::Process(const std::vector<std::string>& argv, const RunOptions& opts) : opts_(opts) {
  // A constructor that throws runs no destructor: release what was made.
  try {
    start(argv);
  } catch (...) {
    release();
    throw;
  }
}

void Process::start(const std::vector<std::string>& argv) {
  const RunOptions& opts = opts_;
  // A child that closes its stdin early must not kill the test with SIGPIPE.
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;

  if (argv.empty()) throw std::invalid_argument("Process: empty argv");

  // Who the child becomes.
  const bool drop = opts.unprivileged && is_root();
  const uid_t uid = drop ? test_uid() : 0;  // throws when the test user is missing
  const gid_t gid = drop ? test_gid() : 0;

  // The environment, complete before fork.
  std::vector<std::string> env = opts.env;
  if (env.empty())
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& kv : opts.extra_env) env_set(env, kv);
  if (opts.unprivileged) {
    const bool home_given =
        std::any_of(opts.extra_env.begin(), opts.extra_env.end(),
                    [](const std::string& kv) { return env_name(kv) == "HOME"; }) ||
        (!opts.env.empty() && env_get(opts.env, "HOME"));
    if (!home_given) {
      home_ = make_temp_dir("cordon-it-home-");
      if (drop && chown(home_.c_str(), uid, gid) != 0)
        throw std::runtime_error("chown " + home_ + ": " + errno_text(errno));
      env_set(env, "HOME=" + home_);
    }
    if (drop) {
      env_set(env, std::string("USER=") + kTestUser);
      env_set(env, std::string("LOGNAME=") + kTestUser);
    }
  }

  const std::string exe = resolve(argv[0], env);
  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_envp;
  for (const auto& e : env) c_envp.push_back(const_cast<char*>(e.c_str()));
  c_envp.push_back(nullptr);
  std::vector<int> inherit = opts.inherit_fds;
  const char* cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();

  // The child's stdio: pipes, or a pty whose slave the parent also holds
  // until exec, so that reading the master never sees EIO before the child
  // has its copies.
  int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, fail_p[2] = {-1, -1};
  int slave = -1;
  if (pipe2(fail_p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
  if (opts.stdin_tty) {
    master_fd_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_fd_ < 0 || grantpt(master_fd_) != 0 || unlockpt(master_fd_) != 0)
      throw std::runtime_error("posix_openpt: " + errno_text(errno));
    winsize ws{};
    ws.ws_row = opts.tty_rows;
    ws.ws_col = opts.tty_cols;
    if (ioctl(master_fd_, TIOCSWINSZ, &ws) != 0)
      throw std::runtime_error("TIOCSWINSZ: " + errno_text(errno));
    const char* name = ptsname(master_fd_);
    slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0) throw std::runtime_error("open pty slave: " + errno_text(errno));
  } else {
    if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2: " + errno_text(errno));
  }

  const auto start = std::chrono::steady_clock::now();
  deadline_ = start + std::chrono::seconds(opts.timeout_seconds);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + errno_text(errno));
  if (pid == 0) {
    // Child: async-signal-safe calls only from here to execve.
    const int fail = fail_p[1];
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);

    if (opts.stdin_tty) {
      // A new session whose controlling terminal is the new pty.
      if (setsid() < 0) child_fail(fail, 0);
      if (ioctl(slave, TIOCSCTTY, 0) != 0) child_fail(fail, 1);
      for (int fd = 0; fd < 3; ++fd)
        if (dup2(slave, fd) < 0) child_fail(fail, 2);
    } else {
      // Its own process group, so that a timeout kills everything it started
      // that stayed in the group.
      setpgid(0, 0);
      if (dup2(in_p[0], 0) < 0 || dup2(out_p[1], 1) < 0 || dup2(err_p[1], 2) < 0)
        child_fail(fail, 2);
    }
    // Nothing but stdio and the fds asked for crosses exec: mark the rest
    // close-on-exec (the failure pipe stays open until exec).
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) child_fail(fail, 8);
    for (int fd : inherit) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    if (drop) {
      if (setgroups(0, nullptr) != 0) child_fail(fail, 3);
      if (setgid(gid) != 0) child_fail(fail, 4);
      if (setuid(uid) != 0) child_fail(fail, 5);
    }
    if (cwd && chdir(cwd) != 0) child_fail(fail, 6);
    execve(exe.c_str(), c_argv.data(), c_envp.data());
    child_fail(fail, 7);
  }

  // Parent.
  result_.pid = pid;
  close(fail_p[1]);
  if (opts.stdin_tty) {
    out_fd_ = master_fd_;
  } else {
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    in_fd_ = in_p[1];
    out_fd_ = out_p[0];
    err_fd_ = err_p[0];
    fcntl(in_fd_, F_SETFL, fcntl(in_fd_, F_GETFL) | O_NONBLOCK);
  }
  ChildFailure f{};
  ssize_t n;
  do n = read(fail_p[0], &f, sizeof f);
  while (n < 0 && errno == EINTR);
  close(fail_p[0]);
  if (slave >= 0) close(slave);
  if (n == static_cast<ssize_t>(sizeof f)) {
    reap(true);
    std::string msg = std::string("harness: ") + kStages[f.stage] + " failed for `" + join(argv) +
                      "`" + (drop ? " as " + std::string(kTestUser) : "") +
                      (cwd ? std::string(" in ") + cwd : "") + ": " + errno_text(f.err);
    result_.err = msg;
    ADD_FAILURE() << msg;
    return;
  }

  if (master_fd_ >= 0) fcntl(master_fd_, F_SETFL, fcntl(master_fd_, F_GETFL) | O_NONBLOCK);
  if (!opts.stdin_data.empty()) write_input(opts.stdin_data);
  close_input();
}

Process::~Process() { release(); }

void Process::release() {
  if (!reaped_ && result_.pid > 0) {
    // The zombie keeps the PID and the group id reserved until reaped, so
    // these cannot hit an unrelated process.
    kill(-result_.pid, SIGKILL);
    kill(result_.pid, SIGKILL);
    reap(true);
  }
  // With a pty, out_fd_ is the master: close each fd once.
  std::set<int> open_fds;
  for (int* fd : {&in_fd_, &out_fd_, &err_fd_, &master_fd_}) {
    if (*fd >= 0) open_fds.insert(*fd);
    *fd = -1;
  }
  for (int fd : open_fds) close(fd);
  if (!home_.empty()) remove_tree(home_);
  home_.clear();
}

void Process::write_input(const std::string& data) {
  int fd = master_fd_ >= 0 ? master_fd_ : in_fd_;
  if (fd < 0) return;
  size_t off = 0;
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (off < data.size() && std::chrono::steady_clock::now() < limit) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w > 0) {
      off += static_cast<size_t>(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pump(10);  // let the child drain its output so that it can read more
    } else {
      return;  // EPIPE: the child closed its stdin
    }
  }
}

void Process::close_input() {
  if (in_fd_ >= 0) {
    close(in_fd_);
    in_fd_ = -1;
  }
}

void Process::resize(unsigned short rows, unsigned short cols) {
  if (master_fd_ < 0) return;
  winsize ws{};
  ws.ws_row = rows;
  ws.ws_col = cols;
  ioctl(master_fd_, TIOCSWINSZ, &ws);
}

void Process::signal(int sig) {
  if (!reaped_ && result_.pid > 0) kill(result_.pid, sig);
}

void Process::reap(bool block) {
  if (reaped_ || result_.pid <= 0) return;
  int st = 0;
  pid_t r;
  do r = waitpid(result_.pid, &st, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r != result_.pid) return;
  reaped_ = true;
  if (WIFEXITED(st)) result_.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) result_.term_signal = WTERMSIG(st);
}

bool Process::pump(int timeout_ms) {
  pollfd fds[2];
  int* owners[2];
  std::string* sinks[2];
  nfds_t n = 0;
  if (out_fd_ >= 0) {
    fds[n] = {out_fd_, POLLIN, 0};
    owners[n] = &out_fd_;
    sinks[n++] = &result_.out;
  }
  if (err_fd_ >= 0) {
    fds[n] = {err_fd_, POLLIN, 0};
    owners[n] = &err_fd_;
    sinks[n++] = &result_.err;
  }
  if (n == 0) return false;
  int r = poll(fds, n, timeout_ms);
  if (r <= 0) return true;
  for (nfds_t i = 0; i < n; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[65536];
    ssize_t got = read(fds[i].fd, buf, sizeof buf);
    if (got > 0) {
      sinks[i]->append(buf, static_cast<size_t>(got));
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
      // EOF; a pty master reads EIO once no slave is open any more.
      if (*owners[i] == master_fd_) master_fd_ = -1;
      close(*owners[i]);
      *owners[i] = -1;
    }
  }
  return true;
}

const std::string& Process::out() {
  while (pump(0) && out_fd_ >= 0) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
  }
  return result_.out;
}

const std::string& Process::err() {
  pump(0);
  return result_.err;
}

bool Process::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (result_.out.find(needle) != std::string::npos ||
        result_.err.find(needle) != std::string::npos)
      return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    if (!pump(20)) {
      reap(false);
      if (reaped_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

RunResult Process::wait() {
  // After the process exits, output still held by something it left behind
  // (a leaked background child) is read for a short grace, not forever.
  constexpr auto kGrace = std::chrono::milliseconds(1500);
  std::chrono::steady_clock::time_point exited{};
  while (true) {
    const bool was_reaped = reaped_;
    reap(false);
    const auto now = std::chrono::steady_clock::now();
    if (reaped_ && !was_reaped) exited = now;
    if (reaped_ && exited == std::chrono::steady_clock::time_point{}) exited = now;
    const bool open = out_fd_ >= 0 || err_fd_ >= 0;
    if (reaped_ && (!open || now - exited > kGrace)) break;
    if (!reaped_ && now >= deadline_) {
      kill(-result_.pid, SIGKILL);
      kill(result_.pid, SIGKILL);
      reap(true);
      result_.timed_out = true;
      pump(0);
      ADD_FAILURE() << "harness: timed out after " << opts_.timeout_seconds << " s; killed pid "
                    << result_.pid << result_;
      break;
    }
    if (!pump(20)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  close_input();
  return result_;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
  Process p(argv, opts);
  return p.wait();
}

RunResult cordon(const std::vector<std::string>& args, const RunOptions& opts) {
  std::vector<std::string> argv{cordon_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, opts);
}

const std::string& cordon_bin() {
  static const std::string bin = [] {
    if (const char* e = getenv("CORDON_BIN"); e && *e) return std::string(e);
#ifdef CORDON_BIN
    return std::string(CORDON_BIN);
#else
    return std::string("cordon");
#endif
  }();
  return bin;
}

const std::string& probe_bin() {
  static const std::string bin = [] {
    if (const char* e = getenv("CORDON_PROBE"); e && *e) return std::string(e);
#ifdef CORDON_PROBE
    return std::string(CORDON_PROBE);
#else
    return std::string("probe");
#endif
  }();
  return bin;
}

// ---- TempDir ---------------------------------------------------------------

TempDir::TempDir(bool for_unprivileged) : for_unprivileged_(for_unprivileged) {
  path_ = make_temp_dir("cordon-it-");
  try {
    own(path_);
  } catch (...) {
    remove_tree(path_);  // no destructor runs for a constructor that throws
    throw;
  }
}

TempDir::~TempDir() { remove_tree(path_); }

std::string TempDir::file(const std::string& rel) const {
  return rel.empty() ? path_ : path_ + "/" + rel;
}

void TempDir::own(const std::string& abs) const {
  if (for_unprivileged_ && is_root() && lchown(abs.c_str(), test_uid(), test_gid()) != 0)
    throw std::runtime_error("chown " + abs + ": " + errno_text(errno));
}

void TempDir::mkdir(const std::string& rel, mode_t mode) {
  std::string cur = path_;
  std::stringstream ss(rel);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".") continue;
    cur += "/" + part;
    if (::mkdir(cur.c_str(), 0755) == 0) {
      own(cur);
    } else if (errno != EEXIST) {
      throw std::runtime_error("mkdir " + cur + ": " + errno_text(errno));
    }
  }
  if (chmod(cur.c_str(), mode) != 0)
    throw std::runtime_error("chmod " + cur + ": " + errno_text(errno));
}

void TempDir::write(const std::string& rel, const std::string& content, mode_t mode) {
  if (auto slash = rel.rfind('/'); slash != std::string::npos) {
    const std::string dir = rel.substr(0, slash);
    if (!exists(dir)) mkdir(dir);
  }
  const std::string abs = file(rel);
  int fd = open(abs.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("open " + abs + ": " + errno_text(errno));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t w = ::write(fd, content.data() + off, content.size() - off);
    if (w <= 0) {
      close(fd);
      throw std::runtime_error("write " + abs + ": " + errno_text(errno));
    }
    off += static_cast<size_t>(w);
  }
  fchmod(fd, mode);
  close(fd);
  own(abs);
}

void TempDir::symlink(const std::string& target, const std::string& rel) {
  const std::string abs = file(rel);
  if (::symlink(target.c_str(), abs.c_str()) != 0)
    throw std::runtime_error("symlink " + abs + ": " + errno_text(errno));
  own(abs);
}

std::string TempDir::read(const std::string& rel) const { return read_file(file(rel)); }

bool TempDir::exists(const std::string& rel) const { return path_exists(file(rel)); }

// ---- users -----------------------------------------------------------------

bool is_root() { return geteuid() == 0; }

uid_t test_uid() {
  if (!is_root()) return getuid();
  const auto& u = lookup_test_user();
  if (!u.found)
    throw std::runtime_error(std::string("the unprivileged test user ") + kTestUser +
                             " does not exist: run scripts/setup.sh (as root) first");
  return u.uid;
}

gid_t test_gid() {
  if (!is_root()) return getgid();
  test_uid();
  return lookup_test_user().gid;
}

std::string as_name(const testing::TestParamInfo<As>& info) {
  return info.param == As::Caller ? "caller" : "unprivileged";
}

uid_t expected_uid(bool unprivileged) { return unprivileged ? test_uid() : getuid(); }
gid_t expected_gid(bool unprivileged) { return unprivileged ? test_gid() : getgid(); }

// ---- helpers ---------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream ss(text);
  std::string w;
  while (ss >> w) words.push_back(w);
  return words;
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(step);
  }
}

std::vector<HostProc> descendants(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  std::map<pid_t, std::vector<std::string>> stats;
  for (pid_t pid : all_pids()) {
    auto f = stat_fields(pid);
    if (f.size() < 20) continue;
    children[static_cast<pid_t>(atoi(f[1].c_str()))].push_back(pid);
    stats[pid] = std::move(f);
  }
  std::vector<HostProc> out;
  std::vector<pid_t> todo{root};
  std::set<pid_t> seen{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      if (!seen.insert(c).second) continue;
      out.push_back(host_proc(c, stats[c]));
      todo.push_back(c);
    }
  }
  return out;
}

std::vector<HostProc> processes_matching(const std::string& needle) {
  std::vector<HostProc> out;
  const pid_t self = getpid();
  for (pid_t pid : all_pids()) {
    if (pid == self) continue;
    std::string cmd = cmdline_of(pid);
    if (cmd.find(needle) == std::string::npos) continue;
    auto f = stat_fields(pid);
    if (f.size() < 20 || f[0] == "Z") continue;
    out.push_back(host_proc(pid, f));
  }
  return out;
}

std::vector<HostProc> processes_started_as(const std::string& prefix) {
  std::vector<HostProc> out;
  for (auto& p : processes_matching(prefix))
    if (p.cmdline.rfind(prefix, 0) == 0) out.push_back(std::move(p));
  return out;
}

bool alive(const HostProc& p) {
  auto f = stat_fields(p.pid);
  if (f.size() < 20 || f[0] == "Z") return false;
  return strtoull(f[19].c_str(), nullptr, 10) == p.start_time;
}

std::string unique_sleep_seconds(int whole_seconds) {
  static std::atomic<int> counter{0};
  char buf[64];
  snprintf(buf, sizeof buf, "%d.%d%04d", whole_seconds, static_cast<int>(getpid()), ++counter);
  return buf;
}

// ---- SandboxTest -----------------------------------------------------------

std::vector<std::string> run_args(const std::vector<std::string>& flags,
                                  const std::vector<std::string>& cmd) {
  std::vector<std::string> a{"run"};
  a.insert(a.end(), flags.begin(), flags.end());
  a.push_back("--");
  a.insert(a.end(), cmd.begin(), cmd.end());
  return a;
}

SandboxTest::SandboxTest()
    : ws(GetParam() == As::Unprivileged), home(GetParam() == As::Unprivileged) {}

RunOptions SandboxTest::opts() const {
  RunOptions o;
  o.cwd = ws.path();
  o.unprivileged = unprivileged();
  // LC_ALL=C: error messages (strerror text) are asserted on.
  o.extra_env = {"HOME=" + home.path(), "LC_ALL=C", "LANG=C"};
  return o;
}

RunResult SandboxTest::run_in(const std::vector<std::string>& cmd,
                              const std::vector<std::string>& flags) {
  return run_in(cmd, flags, opts());
}

RunResult SandboxTest::run_in(const std::vector<std::string>& cmd,
                              const std::vector<std::string>& flags, const RunOptions& o) {
  return cordon(run_args(flags, cmd), o);
}

RunResult SandboxTest::sh(const std::string& script, const std::vector<std::string>& flags) {
  return run_in({"sh", "-c", script}, flags);
}

}  // namespace cordon::test

namespace cordon::test {

const char* const kTryShell =
    "t() { _l=$1; shift; if _e=$(\"$@\" 2>&1 >/dev/null); then echo \"$_l:ok\"; "
    "else _e=$(printf '%s\\n' \"$_e\" | tail -n 1); [ -n \"$_e\" ] || _e=silent-failure; echo "
    "\"$_l:${_e##*: }\"; fi; }\n";

std::map<std::string, std::string> tries(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const auto& line : split_lines(out)) {
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    m[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return m;
}

}  // namespace cordon::test
