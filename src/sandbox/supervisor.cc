#include "sandbox/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/stamp.h"
#include "base/unique_fd.h"
#include "sandbox/cgroups.h"
#include "sandbox/contain.h"
#include "sandbox/fds.h"
#include "sandbox/seccomp.h"
#include "sandbox/term_filter.h"
#include "sandbox/userns.h"

namespace cordon::sandbox {
namespace {

constexpr int kForwarded[] = {SIGINT,   SIGTERM, SIGHUP,  SIGQUIT,
                              SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2};

// Puts the caller's terminal in raw mode for the relay, and always puts it
// back, however the run ends. Neither discards input: what was typed ahead
// before the command started is relayed to it, and what is typed after it
// ended is left for the caller's shell.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    struct termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() {
    if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

// The caller's stdin, stdout and stderr, as far as the relay cares. A
// terminal among them is never handed to the command: the command gets a
// pty of its own in each terminal's place, so what it writes passes the
// output filter, nothing it does reaches the caller's terminal's settings
// or size, and the keystrokes reach it only through cordon's relay, while
// cordon is the terminal's foreground job (keystroke_source below).
struct CallerTerminal {
  bool tty[3] = {};
  int window = -1;  // a terminal to take the window size from; -1: none
  int output = -1;  // where the pty's output goes; -1: read and dropped

  bool any() const { return window >= 0; }
};

CallerTerminal caller_terminal() {
  CallerTerminal t;
  for (int fd = 0; fd < 3; ++fd) {
    t.tty[fd] = isatty(fd) != 0;
    if (t.tty[fd] && t.window < 0) t.window = fd;
  }
  // The command's output to the screen; with only stdin a terminal, what
  // the pty echoes of the keystrokes goes back to it, when it is writable
  // (a login's terminal is open read-write on all three).
  if (t.tty[STDOUT_FILENO])
    t.output = STDOUT_FILENO;
  else if (t.tty[STDERR_FILENO])
    t.output = STDERR_FILENO;
  else if (t.tty[STDIN_FILENO] && (fcntl(STDIN_FILENO, F_GETFL) & O_ACCMODE) != O_RDONLY)
    t.output = STDIN_FILENO;
  return t;
}

// Where the keystrokes for the command's pty come from, now; -1: nowhere
// (yet). `opened` keeps /dev/tty when that is what was opened.
//  - Nowhere while stdout is a pipe: cordon is then an early stage of a
//    pipeline (`cordon run -- make | less`), and the keystrokes belong to
//    the stage that shows its output; reading them, or putting the terminal
//    in raw mode under that stage, would take them from it (and leave the
//    terminal in the wrong mode when the two end in another order).
//  - stdin, when it is a terminal, unless it is our controlling terminal
//    and another job is in its foreground: a background job that reads its
//    terminal is stopped (SIGTTIN), one that changes its modes too
//    (SIGTTOU), and the keystrokes are the shell's. A terminal that is not
//    our controlling one (a harness's pty handed over as stdin) has no job
//    control: it is ours to read.
//  - else stdout or stderr, when it is our controlling terminal and we are
//    its foreground job, as a pager fed by a pipe reads its keys from the
//    terminal (`... | cordon run -- less`); through that fd when it is open
//    for reading, else through /dev/tty.
int keystroke_source(const CallerTerminal& t, UniqueFd& opened) {
  struct stat out {};
  if (fstat(STDOUT_FILENO, &out) == 0 && S_ISFIFO(out.st_mode)) return -1;
  if (t.tty[STDIN_FILENO]) {
    const pid_t foreground = tcgetpgrp(STDIN_FILENO);
    return (foreground < 0 ? errno == ENOTTY : foreground == getpgrp()) ? STDIN_FILENO : -1;
  }
  for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    if (!t.tty[fd]) continue;
    if (tcgetpgrp(fd) != getpgrp()) return -1;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR) return fd;
    opened.reset(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    return opened ? opened.get() : -1;
  }
  return -1;
}

void copy_window_size(int from_tty, int to_master) {
  struct winsize ws {};
  if (ioctl(from_tty, TIOCGWINSZ, &ws) == 0) ioctl(to_master, TIOCSWINSZ, &ws);
}

bool write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p {
        fd, POLLOUT, 0
      };
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Copies what is available from `from` to `to`, through `filter` when
// given (the command's terminal output, less what would reach beyond the
// screen: sandbox/term_filter.h); `to` -1 drops it. False at EOF or error.
bool pump(int from, int to, TerminalOutputFilter* filter = nullptr) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  if (to < 0) return true;
  if (filter == nullptr) return write_all(to, buf, static_cast<size_t>(n));
  std::string out;
  filter->feed(std::string_view(buf, static_cast<size_t>(n)), out);
  return out.empty() || write_all(to, out.data(), out.size());
}

double now_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Landlock mode has no pid namespace to take everything down at once: kill
// what remains of our descendants (as a subreaper, orphans are ours), until
// none is left.
void kill_descendants() {
  const pid_t self = getpid();
  for (int round = 0; round < 100; ++round) {
    bool any = false;
    DIR* d = opendir("/proc");
    if (d == nullptr) return;
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      char path[300];
      std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
      FILE* f = std::fopen(path, "re");
      if (f == nullptr) continue;
      char buf[512];
      size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = 0;
      const char* close_paren = std::strrchr(buf, ')');
      if (close_paren == nullptr) continue;
      char state = 0;
      int ppid = 0;
      if (std::sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != self) continue;
      pid_t pid = std::atoi(e->d_name);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      any = true;
    }
    closedir(d);
    if (!any) return;
  }
}

Outcome failed(std::string what) {
  Outcome o;
  o.error = std::move(what);
  return o;
}

}  // namespace

namespace {
sigset_t g_caller_mask;
bool g_blocked = false;
}  // namespace

// The signals the supervisor takes through its signalfd: those it forwards,
// and SIGCONT, which tells it that it may have been brought to the
// foreground (blocking SIGCONT does not stop it from continuing us).
sigset_t supervisor_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  sigaddset(&set, SIGCONT);
  return set;
}

void block_forwarded_signals() {
  if (g_blocked) return;
  const sigset_t set = supervisor_signals();
  sigprocmask(SIG_BLOCK, &set, &g_caller_mask);
  g_blocked = true;
}

TerminalGate::TerminalGate() : wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void TerminalGate::wake() const {
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

void TerminalGate::acquire() {
  {
    std::lock_guard<std::mutex> lock(relay_);
    held_ = true;
  }
  wake();
}

void TerminalGate::release() {
  {
    std::lock_guard<std::mutex> lock(relay_);
    held_ = false;
  }
  wake();
}

namespace {

// The sandbox's process, cloned: its end of the setup socketpair, a pidfd.
struct Launch {
  UniqueFd sock;
  UniqueFd pidfd;
  pid_t child = -1;
};

// socketpair, then one clone3 into `ns_flags`; the child runs `enter`, which
// never returns. clone3 hands back a pidfd, so waiting and killing never race
// with pid reuse. `namespaces_errno` is set when the host refused the
// namespaces (EPERM, ENOSPC, EUSERS, EINVAL): nothing was started, and the
// caller may choose Landlock mode instead.
Result<Launch> launch(ChildSetup& setup, uint64_t ns_flags, void (*enter)(const ChildSetup&),
                      int* namespaces_errno) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return sys_error("create the setup socketpair");
  Launch l;
  l.sock.reset(pair[0]);
  UniqueFd child_sock(pair[1]);
  setup.sock = child_sock.get();
  // The child inherits the blocked mask (its init waits on the signals
  // synchronously) and restores the caller's mask for the command.
  block_forwarded_signals();
  setup.command_mask = g_caller_mask;
  int pidfd_raw = -1;
  struct clone_args args {};
  args.flags = CLONE_PIDFD | ns_flags;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd_raw);
  args.exit_signal = SIGCHLD;
  long rc = getenv("CORDON_ASSUME_NO_USERNS") != nullptr && (ns_flags & CLONE_NEWUSER) != 0
                ? (errno = EPERM, -1)  // tests: behave as a host that refuses user namespaces
                : syscall(SYS_clone3, &args, sizeof args);
  if (rc < 0) {
    Error e = sys_error("create the sandbox namespaces (clone3)");
    if (ns_flags != 0 && (e.err == EPERM || e.err == ENOSPC || e.err == EUSERS || e.err == EINVAL))
      *namespaces_errno = e.err;
    return e;
  }
  if (rc == 0) {
    stamp("child-start");
    // The child must not hold the supervisor's end: its EOF is our death.
    close(l.sock.release());
    enter(setup);
  }
  l.child = static_cast<pid_t>(rc);
  l.pidfd.reset(pidfd_raw);
  return l;
}

// A pty of its own in place of each of the caller's terminals; pipes and
// files are passed through untouched (zero copies).
void give_ptys(ChildSetup& setup, const CallerTerminal& term) {
  setup.use_pty = term.any();
  for (int fd = 0; fd < 3; ++fd) setup.tty_fd[fd] = term.tty[fd];
}

// What a child's "E<errno>:<what failed>" message says; "" for any other.
std::string child_error(const Message& m) {
  const std::string& d = m.data;
  if (d.empty() || d[0] != kMsgError) return "";
  size_t colon = d.find(':');
  if (colon == std::string::npos) return d.substr(1);
  int err = std::atoi(d.substr(1, colon - 1).c_str());
  return Error{err, d.substr(colon + 1)}.what();
}

void kill_and_reap(const UniqueFd& pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED);
}

// The plan goes to a full-mode child in pieces that fit one message of the
// setup socket (kMaxMessage, with the tag byte); the last piece is the go.
Status send_plan(int sock, const Spec& spec) {
  constexpr size_t kPiece = kMaxMessage - 1;
  const std::string plan = encode_for_child(spec);
  for (size_t off = 0;; off += kPiece) {
    const bool last = off + kPiece >= plan.size();
    std::string msg(1, last ? kMsgGo : kMsgPlan);
    msg.append(plan, off, kPiece);
    CORDON_TRY(send_message(sock, msg));
    if (last) return {};
  }
}

}  // namespace

struct Prestarted::State {
  CallerTerminal term;  // as the child's setup saw it: the relay uses the same
  UniqueFd workspace_fd;
  Launch launch;
};

Result<std::unique_ptr<Prestarted>> Prestarted::start(const std::string& workspace,
                                                      int* namespaces_errno) {
  auto state = std::make_unique<State>();
  state->workspace_fd.reset(open(workspace.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state->workspace_fd) return sys_error("open workspace " + workspace);
  ChildSetup setup;
  setup.sock = -1;
  setup.workspace_fd = state->workspace_fd.get();
  CPU_ZERO(&setup.caller_cpus);
  setup.caller_cpus_known = sched_getaffinity(0, sizeof setup.caller_cpus, &setup.caller_cpus) == 0;
  state->term = caller_terminal();
  give_ptys(setup, state->term);
  // One clone into every namespace but the network's, which the child makes
  // itself, first thing: the costly one to create, it is made while we
  // write the id maps and while the caller loads the policy and plans.
  int err = 0;
  auto l = launch(
      setup,
      CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP,
      contain_and_exec, &err);
  if (!l.ok()) {
    *namespaces_errno = err;
    return l.error();
  }
  state->launch = std::move(l.value());
  stamp("clone3-returned");
  // The child's steps before the plan run while we load the policy and
  // plan, but only if it runs on another CPU meanwhile: a new child starts
  // on its parent's CPU, and a scheduler that packs tasks onto few CPUs (as
  // on this project's virtual machines) leaves it queued there until we
  // block, so the two halves run one after the other (measured: the child
  // first ran 375 us after clone3 returned, median; 74 us with this).
  // Best effort, within the CPUs the caller allows; the child puts the
  // caller's own set back with the plan, before anything of the caller's
  // runs (contain.cc).
  if (setup.caller_cpus_known && CPU_COUNT(&setup.caller_cpus) > 1) {
    cpu_set_t others = setup.caller_cpus;
    const int here = sched_getcpu();
    if (here >= 0 && here < CPU_SETSIZE && CPU_ISSET(here, &others)) {
      CPU_CLR(here, &others);
      (void)sched_setaffinity(state->launch.child, sizeof others, &others);
    }
  }
  // The child's filesystem needs its uid and gid mapped; the steps before
  // (network namespace, loopback, hostname) need only the capabilities
  // that the creator of a user namespace holds in it from the start.
  if (auto s = write_id_maps(state->launch.child, getuid(), getgid()); !s) {
    kill_and_reap(state->launch.pidfd);
    return s.error();
  }
  // A child that died meanwhile shows up when it is given its plan.
  (void)send_message(state->launch.sock.get(), std::string(1, kMsgMaps));
  stamp("idmaps");
  auto p = std::unique_ptr<Prestarted>(new Prestarted());
  p->state_ = std::move(state);
  return p;
}

Prestarted::~Prestarted() {
  // Never given a plan: it has run nothing of the caller's; it goes now.
  if (state_ && state_->launch.pidfd) kill_and_reap(state_->launch.pidfd);
}

Outcome supervise(const Spec& spec, const SupervisorHooks& hooks,
                  std::unique_ptr<Prestarted> prestarted) {
  const bool landlock_mode = spec.mode == Mode::Landlock;
  CallerTerminal term;
  UniqueFd workspace_fd;
  Launch l;
  if (landlock_mode) {
    workspace_fd.reset(open(spec.workspace.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!workspace_fd) return failed(sys_error("open workspace " + spec.workspace).what());
    ChildSetup setup;
    setup.spec = &spec;
    setup.workspace_fd = workspace_fd.get();
    term = caller_terminal();
    give_ptys(setup, term);
    // Without a pid namespace, orphans of the command would be re-parented
    // to init and outlive the run: as a subreaper we inherit them instead,
    // and kill them when the command ends.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int ignored = 0;
    auto launched = launch(setup, 0, contain_landlock_and_exec, &ignored);
    if (!launched.ok()) return failed(launched.error().what());
    l = std::move(launched.value());
  } else {
    if (!prestarted) {
      int err = 0;
      auto started = Prestarted::start(spec.workspace, &err);
      if (!started.ok()) {
        Outcome o = failed(started.error().what());
        o.namespaces_errno = err;
        return o;
      }
      prestarted = std::move(started.value());
    }
    l = std::move(prestarted->state_->launch);
    workspace_fd = std::move(prestarted->state_->workspace_fd);
    term = prestarted->state_->term;
  }
  UniqueFd& sock = l.sock;
  UniqueFd& pidfd = l.pidfd;
  const pid_t child = l.child;

  // Signals are taken through a signalfd from here on (they have been
  // blocked since the start of the run, so none was lost).
  const sigset_t signals = supervisor_signals();
  UniqueFd sigfd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    kill_and_reap(pidfd);
    return failed(sys_error("create signalfd").what());
  }

  // A cgroup when the policy sets a limit, and the child placed in it
  // before it runs anything (it waits for our go).
  std::optional<Cgroup> cgroup;
  if (!spec.limits.empty()) {
    auto cg = Cgroup::create(spec.limits);
    if (!cg.ok()) {
      kill_and_reap(pidfd);
      return failed("the policy sets resource limits, but " + cg.error().what());
    }
    cgroup.emplace(std::move(cg.value()));
  }
  if (hooks.after_clone) {
    if (auto s = hooks.after_clone(); !s) {
      kill_and_reap(pidfd);
      return failed(s.error().what());
    }
  }
  if (cgroup) {
    if (auto s = cgroup->add(child); !s) {
      kill_and_reap(pidfd);
      return failed(s.error().what());
    }
  }
  stamp("after-clone");
  // The go: in full mode it carries the plan (the child was cloned before
  // there was one); in Landlock mode the child has the Spec from the clone.
  if (auto s = landlock_mode ? send_message(sock.get(), std::string(1, kMsgGo))
                             : send_plan(sock.get(), spec);
      !s) {
    // A child that failed before its go has said why: that is the reason.
    auto m = receive_message(sock.get());
    std::string why = m.ok() ? child_error(m.value()) : "";
    kill_and_reap(pidfd);
    return failed(why.empty() ? s.error().what() : why);
  }

  // The program was compiled by libseccomp when cordon was built (a
  // combination of options that was not is compiled here, while the child
  // builds its filesystem); loading it in the child is one syscall.
  {
    Result<std::vector<uint8_t>> program = seccomp_program(spec.seccomp);
    if (!program.ok()) {
      kill_and_reap(pidfd);
      return failed(program.error().what());
    }
    std::string msg(1, kMsgFilter);
    msg.append(reinterpret_cast<const char*>(program->data()), program->size());
    (void)send_message(sock.get(), msg);  // a dead child shows up below
  }

  // The egress listeners come first (the child makes them right after
  // bringing up its loopback), then "ready".
  auto first = receive_message(sock.get());
  while (first.ok() && first->data.size() == 2 && first->data[0] == kMsgListener && first->fd) {
    Status taken = hooks.on_listener ? hooks.on_listener(first->data[1], std::move(first->fd))
                                     : plain_error("no egress proxy for the sandbox's listeners");
    if (!taken) {
      kill_and_reap(pidfd);
      return failed(taken.error().what());
    }
    first = receive_message(sock.get());
  }
  if (!first.ok() || first->data.empty() || first->data[0] != kMsgReady) {
    std::string why = first.ok() ? child_error(first.value()) : "";
    if (why.empty()) why = "the sandbox ended during setup";
    kill_and_reap(pidfd);
    return failed(why);
  }
  UniqueFd master = std::move(first->fd);
  stamp("ready-received");

  // Keystrokes are relayed, with the caller's terminal in raw mode, only
  // while we are its foreground job; a job started in the background
  // starts relaying when it is brought to the foreground (SIGCONT).
  UniqueFd opened_tty;  // before `raw`, which puts the modes back through it
  std::unique_ptr<RawTerminal> raw;
  int input = -1;  // the caller's terminal, read into the pty
  bool input_open = false;
  auto take_input = [&]() {
    if (raw || !master) return;
    input = keystroke_source(term, opened_tty);
    if (input < 0) return;
    raw = std::make_unique<RawTerminal>(input);
    input_open = true;
  };
  if (master) {
    copy_window_size(term.window, master.get());
    take_input();
    fcntl(master.get(), F_SETFL, fcntl(master.get(), F_GETFL) | O_NONBLOCK);
  }

  const double deadline = spec.timeout_seconds > 0 ? now_seconds() + spec.timeout_seconds : 0;
  bool have_status = false;
  int status = 0;
  bool child_gone = false;
  bool init_reported = false;  // init said the namespace is empty: done
  bool timed_out = false;
  TerminalGate* gate = master ? hooks.gate : nullptr;
  TerminalOutputFilter out_filter;
  while (!child_gone && !init_reported) {
    struct pollfd p[6];
    int n = 0;
    p[n++] = {sigfd.get(), POLLIN, 0};
    p[n++] = {pidfd.get(), POLLIN, 0};
    p[n++] = {sock ? sock.get() : -1, POLLIN, 0};  // poll ignores a negative fd
    p[n++] = {gate != nullptr ? gate->wake_fd() : -1, POLLIN, 0};
    int master_i = -1, input_i = -1;
    // While a question is on the terminal, the command's terminal waits.
    if (master && (gate == nullptr || !gate->held())) {
      master_i = n;
      p[n++] = {master.get(), POLLIN, 0};
      if (input_open) {
        input_i = n;
        p[n++] = {input, POLLIN, 0};
      }
    }
    int timeout_ms = -1;
    if (deadline > 0) {
      double left = deadline - now_seconds();
      timeout_ms = left <= 0 ? 0 : static_cast<int>(left * 1000) + 1;
    }
    int ready = poll(p, static_cast<nfds_t>(n), timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (deadline > 0 && now_seconds() >= deadline && !timed_out) {
      // The wall-clock limit: kill init, and the kernel kills the rest of
      // the pid namespace with it.
      timed_out = true;
      syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    }
    if (ready <= 0) continue;
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si {};
      while (read(sigfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) continue;
        if (sig == SIGWINCH && master) {
          copy_window_size(term.window, master.get());
          continue;
        }
        if (sig == SIGCONT) {  // ours alone: brought to the foreground?
          take_input();
          continue;
        }
        // Init relays it to the command's process group.
        syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0);
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP)) {
      auto m = receive_message(sock.get());
      if (m.ok() && !m->data.empty() && m->data[0] == kMsgStatus) {
        have_status = true;
        status = std::atoi(m->data.c_str() + 1);
        stamp("status-received");
        // Full mode: init reports only once it has killed and reaped every
        // other process of the namespace, and then only exits; that exit,
        // in which the kernel tears the namespaces down, is not waited for
        // (bubblewrap's monitor does the same). With a cgroup it is: the
        // cgroup can only be removed once init has left it.
        if (!landlock_mode && !cgroup) init_reported = true;
      }
      if (!m.ok() || m->data.empty()) sock.reset();
    }
    if (gate != nullptr && (p[3].revents & POLLIN)) {
      uint64_t ignored = 0;
      (void)!read(gate->wake_fd(), &ignored, sizeof ignored);
    }
    std::unique_lock<std::mutex> relay_lock;
    if (gate != nullptr) relay_lock = std::unique_lock<std::mutex>(gate->relay_mutex());
    const bool relay = gate == nullptr || !gate->held();
    if (relay && master_i >= 0 && (p[master_i].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(master.get(), term.output, &out_filter) && !(p[master_i].revents & POLLIN))
        master.reset();
    }
    if (relay && input_i >= 0 && (p[input_i].revents & (POLLIN | POLLHUP))) {
      if (!pump(input, master.get())) input_open = false;
    }
    if (relay_lock.owns_lock()) relay_lock.unlock();
    if (p[1].revents & POLLIN) child_gone = true;
  }
  stamp("child-gone");
  siginfo_t info{};
  if (!init_reported) waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED);
  if (sock && !have_status) {
    auto m = receive_message(sock.get());
    if (m.ok() && !m->data.empty() && m->data[0] == kMsgStatus) {
      have_status = true;
      status = std::atoi(m->data.c_str() + 1);
    }
  }
  if (master) {
    // Whatever the command wrote last is still in the pty: drain it.
    while (pump(master.get(), term.output, &out_filter)) {
    }
    std::string rest;
    out_filter.finish(rest);
    if (!rest.empty() && term.output >= 0) write_all(term.output, rest.data(), rest.size());
  }
  raw.reset();

  if (landlock_mode) {
    // The child was the command itself: its status is ours to read. Then
    // everything it left behind goes: its process group, and every orphan
    // that came to us as subreaper.
    if (info.si_code == CLD_EXITED) {
      have_status = true;
      status = (info.si_status & 0xff) << 8;
    } else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
      have_status = true;
      status = info.si_status & 0x7f;
    }
    kill(-child, SIGKILL);
    kill_descendants();
  }
  Outcome out;
  if (cgroup) {
    // Whatever is left in the cgroup goes with the run; then its events
    // say whether a limit is why the command ended.
    (void)cgroup->kill_all();
    CgroupEvents ev = cgroup->events();
    if (ev.oom_kills > 0)
      out.limit_hit = "out of memory: the memory limit (" +
                      std::to_string(*spec.limits.memory_bytes) + " bytes) was reached and " +
                      std::to_string(ev.oom_kills) + " process(es) were killed";
    else if (ev.pids_max_hits > 0)
      out.limit_hit = "the process limit (" + std::to_string(*spec.limits.pids) + ") refused " +
                      std::to_string(ev.pids_max_hits) + " fork(s)";
  }
  if (timed_out) {
    out.timed_out = true;
    out.exit_code = kExitTimedOut;
  } else if (have_status) {
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    out.error = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED
                    ? "the sandbox was killed by signal " + std::to_string(info.si_status)
                    : "the sandbox ended without reporting the command's status";
    out.exit_code = kExitCordonFailed;
  }
  return out;
}

}  // namespace cordon::sandbox
