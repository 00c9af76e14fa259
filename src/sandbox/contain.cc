// The ordered containment sequence.
//
// Ordering is the security: each step needs the privileges or the view that
// the previous steps leave, and removes something the next steps must no
// longer have. Read top to bottom in contain_and_exec().
#include "sandbox/contain.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "base/stamp.h"
#include "sandbox/fds.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"

extern char** environ;

namespace cordon::sandbox {
namespace {

[[noreturn]] void fail(int sock, const Error& e) {
  std::string msg = std::string(1, kMsgError) + std::to_string(e.err) + ":" + e.message;
  (void)send_message(sock, msg);
  _exit(125);
}

// Full mode: the plan arrives in pieces, the last of them the go.
Result<Spec> receive_plan(int sock) {
  std::string bytes;
  while (true) {
    auto m = receive_message(sock);
    if (!m.ok()) return m.error();
    // EOF: the supervisor died, or gave up (an invalid policy). Nothing
    // has run; nothing will.
    if (m->data.empty()) return plain_error("supervisor went away");
    if (m->data[0] != kMsgPlan && m->data[0] != kMsgGo)
      return plain_error("expected the plan from the supervisor");
    bytes.append(m->data, 1);
    if (m->data[0] == kMsgGo) return decode_for_child(bytes);
  }
}

// Waits for the supervisor's message `kind` (kMsgMaps, kMsgGo).
Status wait_for(int sock, char kind) {
  auto m = receive_message(sock);
  if (!m.ok()) return m.error();
  // EOF: the supervisor died, or gave up, before it got this far. There is
  // nobody to contain us for; stop here rather than run anything.
  if (m->data.empty() || m->data[0] != kind) return plain_error("supervisor went away");
  return {};
}

Status bring_up_loopback() {
  // The new network namespace has only "lo", and it starts down. Up, it
  // lets the command talk to itself (and later to the egress listeners);
  // there is no other interface and no route out.
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return sys_error("socket for loopback");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(s);
  errno = saved;
  if (rc != 0) return sys_error("bring up loopback");
  return {};
}

Status pass_egress_listeners(int sock) {
  // A socket keeps the network namespace it was made in: the supervisor
  // accepts on these from outside, and dials out from the host's side. The
  // sandbox keeps no copy, so nothing inside can accept in the proxy's place.
  for (auto [kind, port] :
       {std::pair{kListenerHttp, kHttpProxyPort}, std::pair{kListenerSocks, kSocksProxyPort}}) {
    auto fd = loopback_listener(port);
    if (!fd.ok()) return fd.error();
    CORDON_TRY(send_message(sock, std::string{kMsgListener, kind}, fd->get()));
  }
  return ok_status();
}

Status build_filesystem(const ChildSetup& setup, NewRoot& root) {
  const Spec& spec = *setup.spec;
  // Clone every source while the host tree is still visible at its own
  // paths; from here on, sources are fds, not names.
  auto prepared = prepare_mounts(spec.mounts, spec.workspace, setup.workspace_fd);
  if (!prepared.ok()) return prepared.error();
  stamp("prepared");
  CORDON_TRY(populate_root(root, prepared.value(), spec.symlinks, spec.tmpfs_bytes));
  stamp("populated");
  CORDON_TRY(enter_root(root.fd.get()));
  root.fd.reset();
  // The start directory is the caller's, or the workspace; resolved in the
  // new root, so it cannot lead outside it.
  if (chdir(spec.cwd.c_str()) != 0 && chdir(spec.workspace.c_str()) != 0)
    return sys_error("chdir to " + spec.cwd);
  return {};
}

Result<UniqueFd> open_pty(const char* ptmx, int* slave_out) {
  // A pty from the sandbox's own devpts: the command's terminal is inside,
  // the supervisor holds the master and relays to the caller's terminal.
  // TIOCSTI on it can only type into the command's own input.
  UniqueFd master(open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return sys_error(std::string("open ") + ptmx);
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return sys_error("unlock pty");
  int slave = ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return sys_error("open pty peer");
  // The caller's window size, set before the command can ask for it (the
  // supervisor sets it too, and again on every SIGWINCH, but only once it
  // has the master: the command may have started by then), from the first
  // of stdin, stdout and stderr that is a terminal: still the caller's here.
  struct winsize ws {};
  for (int fd = 0; fd < 3; ++fd) {
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
      ioctl(master.get(), TIOCSWINSZ, &ws);
      break;
    }
  }
  *slave_out = slave;
  return master;
}

Status drop_capabilities() {
  // Securebits first (it needs CAP_SETPCAP): even a uid 0 inside (when the
  // caller is root) gains nothing from execve or setuid.
  if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                   SECBIT_NO_CAP_AMBIENT_RAISE |
                                   SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0)
    return sys_error("set securebits");
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return sys_error("drop capability " + std::to_string(cap) + " from the bounding set");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return sys_error("clear ambient capabilities");
  struct __user_cap_header_struct hdr {};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &hdr, data) != 0) return sys_error("drop capabilities");
  return {};
}

Status verify(const std::vector<int>& keep) {
  // Trust, but check: the sequence above must have left exactly this.
  struct __user_cap_header_struct hdr {};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return sys_error("read capabilities");
  for (const auto& d : data)
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0)
      return plain_error("capabilities remain after dropping them");
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return plain_error("no_new_privs is not set");
  for (int fd : open_fds())
    if (std::find(keep.begin(), keep.end(), fd) == keep.end())
      return plain_error("file descriptor " + std::to_string(fd) + " leaked into the sandbox");
  char cwd[4096];
  // getcwd() reports "(unreachable)" for a directory outside our root.
  if (getcwd(cwd, sizeof cwd) == nullptr || cwd[0] != '/')
    return plain_error("working directory is outside the sandbox root");
  return {};
}

// The command's argv and environment as execve wants them, built before
// the command's process exists: under vfork() that process may not allocate.
struct CommandLine {
  std::vector<char*> argv;
  std::vector<char*> envp;
};

CommandLine command_line(const Spec& spec) {
  CommandLine c;
  for (const auto& a : spec.argv) c.argv.push_back(const_cast<char*>(a.c_str()));
  c.argv.push_back(nullptr);
  for (const auto& e : spec.envp) c.envp.push_back(const_cast<char*>(e.c_str()));
  c.envp.push_back(nullptr);
  return c;
}

void write_stderr(const char* s) { (void)!write(STDERR_FILENO, s, std::strlen(s)); }

// Only system calls from here to execve: in full mode this runs in the
// child of vfork(), which shares init's memory (and nothing else: its own
// fd table and signal dispositions) until the exec.
[[noreturn]] void exec_command(const ChildSetup& setup, int sock, int slave, CommandLine& command) {
  // pid 2. Its own session, so it is the leader that owns the pty (or no
  // terminal at all): nothing can be typed into the caller's terminal.
  close(sock);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2})
    signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &setup.command_mask, nullptr);
  setsid();  // fails harmlessly where we lead a session already (Landlock mode)
  if (slave >= 0) {
    ioctl(slave, TIOCSCTTY, 0);
    for (int fd = 0; fd < 3; ++fd)
      if (setup.tty_fd[fd]) dup2(slave, fd);
    if (slave > 2) close(slave);
  }
  // execvp searches the PATH the command will see. (Under vfork this sets
  // init's `environ` too; init never reads it again.)
  environ = command.envp.data();
  execvp(command.argv[0], command.argv.data());
  int err = errno;
  write_stderr("cordon: cannot run '");
  write_stderr(command.argv[0]);
  write_stderr("': ");
  write_stderr(std::strerror(err));
  write_stderr("\n");
  _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

[[noreturn]] void be_init(int sock, pid_t command) {
  // pid 1 of the namespace. The kernel drops signals to an init that has
  // no handler, so the supervisor's forwarded signals arrive only because
  // we installed one; we relay them to the command's process group. When
  // the command ends we report its status and exit, and the kernel kills
  // everything else left in the namespace.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&set, sig);
  while (true) {
    siginfo_t info{};
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      // Until the command has called setsid() its process group does not
      // exist yet; then the signal goes to the process itself, where it
      // waits (blocked) until the command restores the caller's mask.
      if (kill(-command, sig) != 0 && errno == ESRCH) kill(command, sig);
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != command) continue;
      stamp("command-reaped");
      // The command is done: everything else in the namespace goes now,
      // and is reaped, before the status is reported. The supervisor then
      // knows that nothing of the sandbox runs any more and need not wait
      // for our own exit, in which the kernel tears the namespaces down
      // (the mount tree alone is a sizeable share of a short run). A
      // SIGKILL to every process of the namespace (init is spared by
      // kill(-1)) also stops their forks: a fork that races with it fails,
      // or its child is in the list the signal walks. Each process is
      // either our child or reparented to us when its parent dies, so
      // ECHILD means the namespace holds no one but us.
      kill(-1, SIGKILL);
      while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
      }
      (void)send_message(sock, std::string(1, kMsgStatus) + std::to_string(status));
      _exit(0);
    }
  }
}

// The fds a contained process keeps: stdio, the setup socket, the pty.
std::vector<int> fds_to_keep(int sock, int slave, const UniqueFd& master) {
  std::vector<int> keep = {0, 1, 2, sock};
  if (slave >= 0) keep.push_back(slave);
  if (master) keep.push_back(master.get());
  std::sort(keep.begin(), keep.end());
  return keep;
}

// Receives the seccomp program the supervisor compiled and loads it.
Status install_supervisor_filter(int sock) {
  auto m = receive_message(sock);
  if (!m.ok()) return m.error();
  if (m->data.empty() || m->data[0] != kMsgFilter)
    return plain_error("expected the seccomp program from the supervisor");
  std::span<const uint8_t> program(reinterpret_cast<const uint8_t*>(m->data.data()) + 1,
                                   m->data.size() - 1);
  return install_seccomp_bpf(program);
}

void noop_handler(int /*sig*/) {}

}  // namespace

void contain_and_exec(const ChildSetup& setup) {
  const int sock = setup.sock;
  // 1. Die with the supervisor. Set before anything else, and then wait for
  //    its go: if it died before prctl(), the socket read sees EOF.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(sock, sys_error("set the parent-death signal"));
  // 2. The network namespace: made here rather than by the supervisor's
  //    clone3, so that its cost runs alongside the supervisor's own setup
  //    (id maps, loading the policy, the plan, the placeholders). The
  //    creator of a user namespace holds every capability in it from the
  //    start, so this, the loopback and the hostname need no id maps yet.
  //    Nothing below runs in the host's network namespace: a failure ends
  //    the child here.
  if (unshare(CLONE_NEWNET) != 0) fail(sock, sys_error("create the network namespace"));
  stamp("netns");
  if (auto s = bring_up_loopback(); !s) fail(sock, s.error());
  if (sethostname("cordon", 6) != 0) fail(sock, sys_error("set hostname"));
  stamp("lo+host");
  // 3. The new root's skeleton, on a fresh tmpfs: /dev's devices and
  //    devpts, /proc. Needs our id maps (creating files needs our uid and
  //    gid mapped); not the plan.
  if (auto s = wait_for(sock, kMsgMaps); !s) fail(sock, s.error());
  auto root = make_skeleton();
  if (!root.ok()) fail(sock, root.error());
  stamp("skeleton");
  // 4. The plan, with the go. We were cloned before the policy was loaded,
  //    so that the steps above run while the supervisor plans; nothing of
  //    the plan is used before it arrives whole. By then our uid/gid maps
  //    are written and we are in the cgroup; the filesystem needs both.
  auto planned = receive_plan(sock);
  if (!planned.ok()) fail(sock, planned.error());
  const Spec& spec = planned.value();
  stamp("plan-received");
  ChildSetup with_plan = setup;
  with_plan.spec = &spec;
  // Back on every CPU the caller allows (the supervisor kept us off its
  // own until now, so the steps above ran beside its planning).
  if (setup.caller_cpus_known)
    (void)sched_setaffinity(0, sizeof setup.caller_cpus, &setup.caller_cpus);
  stamp("go");
  if (spec.egress) {
    if (auto s = pass_egress_listeners(sock); !s) fail(sock, s.error());
  }
  // 5. The plan's mounts placed in the new root, fd-relatively; pivoted
  //    into, the old root detached.
  if (auto s = build_filesystem(with_plan, root.value()); !s) fail(sock, s.error());
  stamp("fs-built");
  // 6. The pty, from the sandbox's own devpts (needs the new /dev).
  int slave = -1;
  UniqueFd master;
  if (setup.use_pty) {
    auto m = open_pty("/dev/pts/ptmx", &slave);
    if (!m.ok()) fail(sock, m.error());
    master = std::move(m.value());
  }
  // 7. Capabilities and the bounding set go: nothing below needs them, and
  //    nothing above could be done without them.
  if (auto s = drop_capabilities(); !s) fail(sock, s.error());
  // 8. Resource limits.
  if (auto s = apply_rlimits(spec.rlimits); !s) fail(sock, s.error());
  // 9. A new session: no controlling terminal, so TIOCSTI cannot reach the
  //    caller's terminal.
  if (setsid() < 0) fail(sock, sys_error("setsid"));
  // 10. Every fd but stdio, the setup socket and the pty is closed.
  const std::vector<int> keep = fds_to_keep(sock, slave, master);
  if (auto s = close_all_except(keep); !s) fail(sock, s.error());
  // 11. no_new_privs: execve can never grant privileges again (setuid
  //     binaries, file capabilities), which Landlock and seccomp also need.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(sock, sys_error("set no_new_privs"));
  // 12. Check what the sequence left before the walls go up (verify reads
  //     /proc, which the seccomp filter leaves alone but let us not rely on it).
  if (auto s = verify(keep); !s) fail(sock, s.error());
  stamp("verified");
  // 13. Landlock: a second, independent filesystem wall over the same tree,
  //     in case a mount is ever wrong. Needs no_new_privs; comes before
  //     seccomp, whose filter never has to allow Landlock's own calls.
  if (spec.landlock) {
    auto ll = apply_landlock(spec.landlock_rules);
    if (!ll.ok()) fail(sock, ll.error());
  }
  stamp("landlock");
  // 14. seccomp last: it refuses the calls the steps above needed (mount,
  //     pivot_root, unshare...). The supervisor compiled the program while
  //     we built the filesystem; loading it is one syscall.
  if (auto s = install_supervisor_filter(sock); !s) fail(sock, s.error());
  stamp("seccomp");
  // Init holds the setup socket: the command must not be able to ptrace it
  // or read its memory through /proc.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct sigaction sa {};
  sa.sa_handler = noop_handler;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaction(sig, &sa, nullptr);
  if (auto s = send_message(sock, std::string(1, kMsgReady), master ? master.get() : -1); !s)
    _exit(125);
  master.reset();
  // vfork: the command's process borrows init's memory until its execve
  // instead of copying it (page tables, and then a copy-on-write fault for
  // every page either side touches): a fork of this process costs several
  // times the rest of the launch. Init waits meanwhile; its forwarded
  // signals stay blocked and pending until be_init() takes them.
  CommandLine command_args = command_line(spec);
  pid_t command = vfork();
  if (command < 0) fail(sock, sys_error("fork the command"));
  // Audited: exec_command makes only system calls until execve or _exit.
  // NOLINTNEXTLINE(clang-analyzer-unix.Vfork)
  if (command == 0) exec_command(with_plan, sock, slave, command_args);
  if (slave >= 0) close(slave);
  be_init(sock, command);
}

void contain_landlock_and_exec(const ChildSetup& setup) {
  // Landlock mode: no namespaces (the host refuses unprivileged user
  // namespaces), so no mounts, no pid 1 of our own. The walls are Landlock
  // over the host's own tree and seccomp; this process becomes the command.
  const int sock = setup.sock;
  // 1. Die with the supervisor; wait for its go (it has placed us in our
  //    cgroup, when there is one).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(sock, sys_error("set the parent-death signal"));
  if (auto s = wait_for(sock, kMsgGo); !s) fail(sock, s.error());
  if (chdir(setup.spec->cwd.c_str()) != 0) fail(sock, sys_error("chdir to " + setup.spec->cwd));
  // 2. A pty of the host's devpts, if the caller is interactive.
  int slave = -1;
  UniqueFd master;
  if (setup.use_pty) {
    auto m = open_pty("/dev/ptmx", &slave);
    if (!m.ok()) fail(sock, m.error());
    master = std::move(m.value());
  }
  // 3. Capabilities: a root caller is real root here (there is no user
  //    namespace to make its capabilities meaningless), so they go, with the
  //    bounding set and securebits, exactly as in full mode. An unprivileged
  //    caller has none to drop and may not touch the bounding set.
  if (geteuid() == 0) {
    if (auto s = drop_capabilities(); !s) fail(sock, s.error());
  }
  // 4. Resource limits.
  if (auto s = apply_rlimits(setup.spec->rlimits); !s) fail(sock, s.error());
  // 5. A new session: no controlling terminal, no TIOCSTI into the caller's.
  if (setsid() < 0) fail(sock, sys_error("setsid"));
  // 6. Every fd but stdio, the setup socket and the pty is closed.
  const std::vector<int> keep = fds_to_keep(sock, slave, master);
  if (auto s = close_all_except(keep); !s) fail(sock, s.error());
  // 7. no_new_privs: no setuid binary or file capability can lift us out.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(sock, sys_error("set no_new_privs"));
  if (auto s = verify(keep); !s) fail(sock, s.error());
  // 8. Landlock: here it is the filesystem boundary, not a second wall;
  //    plus TCP connect/bind and abstract-socket and signal scoping. Of
  //    the host's devpts, only the command's own pty may be opened by path
  //    (ttyname(), /proc/self/fd/0).
  LandlockRules rules = setup.spec->landlock_rules;
  if (master) {
    unsigned int n = 0;
    if (ioctl(master.get(), TIOCGPTN, &n) != 0) fail(sock, sys_error("find the pty's number"));
    rules.device_paths.push_back("/dev/pts/" + std::to_string(n));
  }
  auto ll = apply_landlock(rules);
  if (!ll.ok()) fail(sock, ll.error());
  // 9. seccomp last (no UDP or other inet protocols: Landlock cannot see
  //    them).
  if (auto s = install_supervisor_filter(sock); !s) fail(sock, s.error());
  if (auto s = send_message(sock, std::string(1, kMsgReady), master ? master.get() : -1); !s)
    _exit(125);
  master.reset();
  CommandLine command_args = command_line(*setup.spec);
  exec_command(setup, sock, slave, command_args);
}

}  // namespace cordon::sandbox
