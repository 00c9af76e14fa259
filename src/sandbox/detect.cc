#include "sandbox/detect.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "base/unique_fd.h"

namespace cordon::sandbox {
namespace {

std::string read_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::optional<long> read_sysctl(const std::string& name) {
  std::string text = trim(read_file("/proc/sys/" + name));
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str()) return std::nullopt;
  return v;
}

std::string errno_text(int err) { return std::strerror(err); }

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/usr/local/bin/cordon";
  return std::string(buf, static_cast<size_t>(n));
}

int seccomp_mode_of_self() {
  std::string status = read_file("/proc/self/status");
  size_t at = status.find("\nSeccomp:");
  if (at == std::string::npos) return 0;
  return std::atoi(status.c_str() + at + 9);
}

// ---- the throwaway child that tries user namespaces ----------------------------

// Decimal without allocating (the child runs between fork and _exit).
size_t format_uint(char* out, unsigned long v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

bool write_proc_self(const char* file, const char* data, size_t len) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, data, len) == static_cast<ssize_t>(len);
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

struct ProbeReport {
  int step = -1;  // index into the steps; -1: all done
  int err = 0;
};

[[noreturn]] void report_and_exit(int fd, int step, int err) {
  ProbeReport r{step, err};
  (void)!write(fd, &r, sizeof r);
  _exit(0);
}

// What the child does, in order, stopping at the first failure:
//   0 unshare(CLONE_NEWUSER), 1 setgroups, 2 uid_map, 3 gid_map,
//   4 unshare(extra) when `extra` != 0, 5 make mounts private when `mount`,
//   then exec `argv` when given (step 6 if the exec fails).
struct ChildPlan {
  int extra = 0;
  bool mount = false;
  char* const* argv = nullptr;
  // Map our uid to 0 inside, so that the capabilities survive execve of
  // `argv` (a non-root uid loses them at exec, as in any namespace).
  bool map_root = false;
};

[[noreturn]] void probe_child(int report_fd, int stderr_fd, uid_t uid, gid_t gid,
                              const ChildPlan& plan) {
  if (unshare(CLONE_NEWUSER) != 0) report_and_exit(report_fd, 0, errno);
  static const char kDeny[] = "deny";
  if (!write_proc_self("/proc/self/setgroups", kDeny, sizeof kDeny - 1) && errno != ENOENT)
    report_and_exit(report_fd, 1, errno);
  char map[64];
  size_t n = format_uint(map, plan.map_root ? 0 : uid);
  map[n++] = ' ';
  n += format_uint(map + n, uid);
  map[n++] = ' ';
  map[n++] = '1';
  if (!write_proc_self("/proc/self/uid_map", map, n)) report_and_exit(report_fd, 2, errno);
  n = format_uint(map, plan.map_root ? 0 : gid);
  map[n++] = ' ';
  n += format_uint(map + n, gid);
  map[n++] = ' ';
  map[n++] = '1';
  if (!write_proc_self("/proc/self/gid_map", map, n)) report_and_exit(report_fd, 3, errno);
  if (plan.extra != 0 && unshare(plan.extra) != 0) report_and_exit(report_fd, 4, errno);
  // The mount tree is this child's own copy (CLONE_NEWNS above): nothing
  // here reaches the host's mounts.
  if (plan.mount && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    report_and_exit(report_fd, 5, errno);
  if (plan.argv == nullptr) report_and_exit(report_fd, -1, 0);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
  }
  if (stderr_fd >= 0) dup2(stderr_fd, 2);
  execv(plan.argv[0], plan.argv);
  report_and_exit(report_fd, 6, errno);
}

struct ProbeResult {
  bool started = false;  // fork worked
  int fork_err = 0;
  ProbeReport report;
  bool exec_happened = false;  // the report pipe closed without a report
  int wait_status = 0;
  bool timed_out = false;
  std::string stderr_text;
};

// Runs probe_child in a forked child and collects what it says, with a
// deadline: a hung probe is killed (by its PID) and counts as a failure.
ProbeResult run_probe(const ChildPlan& plan, int timeout_ms = 5000) {
  ProbeResult out;
  int report[2], err[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    out.fork_err = errno;
    return out;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    out.fork_err = errno;
    close(report[0]);
    close(report[1]);
    return out;
  }
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    close(err[0]);
    probe_child(report[1], err[1], uid, gid, plan);
  }
  close(report[1]);
  close(err[1]);
  UniqueFd rfd(report[0]), efd(err[0]);
  if (pid < 0) {
    out.fork_err = errno;
    return out;
  }
  out.started = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto remaining = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
  };
  // Read both pipes until both are closed (exit, or exec closing the
  // report pipe and then exit closing stderr).
  std::string report_bytes;
  bool report_open = true, err_open = true;
  while ((report_open || err_open) && !out.timed_out) {
    struct pollfd fds[2] = {{report_open ? rfd.get() : -1, POLLIN, 0},
                            {err_open ? efd.get() : -1, POLLIN, 0}};
    int rc = poll(fds, 2, remaining());
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) {
      out.timed_out = true;
      break;
    }
    char buf[1024];
    if (report_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(rfd.get(), buf, sizeof buf);
      if (n > 0)
        report_bytes.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR)
        report_open = false;
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(efd.get(), buf, sizeof buf);
      if (n > 0 && out.stderr_text.size() < 4096)
        out.stderr_text.append(buf, static_cast<size_t>(n));
      else if (n == 0 || (n < 0 && errno != EINTR))
        err_open = false;
    }
  }
  if (out.timed_out) kill(pid, SIGKILL);
  while (waitpid(pid, &out.wait_status, 0) < 0 && errno == EINTR) {
  }
  if (report_bytes.size() >= sizeof(ProbeReport)) {
    std::memcpy(&out.report, report_bytes.data(), sizeof(ProbeReport));
  } else if (!out.timed_out) {
    out.exec_happened = plan.argv != nullptr;
    if (!out.exec_happened) out.report = {0, EIO};  // died before reporting
  }
  return out;
}

constexpr int kOtherNamespaces =
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;

std::string docker_flags_fix() {
  return "run the container with `--security-opt seccomp=unconfined` (on Ubuntu hosts also "
         "`--security-opt apparmor=unconfined`), or `--privileged`; or use cordon's landlock "
         "mode, which needs no user namespace";
}

std::string apparmor_fix(const std::string& exe) {
  return "allow user namespaces to cordon alone with an AppArmor profile: write\n"
         "    abi <abi/4.0>,\n"
         "    include <tunables/global>\n"
         "    profile cordon " +
         exe +
         " flags=(unconfined) {\n"
         "      userns,\n"
         "      include if exists <local/cordon>\n"
         "    }\n"
         "  to /etc/apparmor.d/cordon and run `sudo apparmor_parser -r /etc/apparmor.d/cordon`; "
         "or lift the restriction for every program with "
         "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`";
}

}  // namespace

// ---- explanations (pure) -------------------------------------------------------------

UsernsReport explain_userns(const std::string& failed_step, int err, const UsernsFacts& facts) {
  UsernsReport r;
  r.failed_step = failed_step;
  r.err = err;
  if (failed_step.empty()) {
    r.ok = true;
    r.summary =
        "available: created user, mount, pid, ipc, uts, net and cgroup namespaces and "
        "mapped our ids";
    return r;
  }
  r.summary = "unavailable: " + failed_step + " failed: " + errno_text(err);
  const std::string in_container =
      facts.container.empty() ? "" : " (this looks like a " + facts.container + " container)";

  if (failed_step == kUsernsSteps[0]) {
    if (err == ENOSPC) {
      r.reason = "user.max_user_namespaces is " +
                 (facts.max_user_namespaces ? std::to_string(*facts.max_user_namespaces)
                                            : std::string("exhausted")) +
                 ": no more user namespaces may be created (0 disables them)";
      r.fix = "sudo sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)";
    } else if (err == EPERM && !facts.root && facts.unprivileged_userns_clone &&
               *facts.unprivileged_userns_clone == 0) {
      r.reason = "kernel.unprivileged_userns_clone is 0: only root may create user namespaces";
      r.fix =
          "sudo sysctl -w kernel.unprivileged_userns_clone=1 (persist it: echo "
          "kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/90-cordon.conf)";
    } else if (err == EPERM && facts.seccomp_mode == 2) {
      r.reason =
          "a seccomp filter on this process refuses unshare(CLONE_NEWUSER) (Seccomp: 2 in "
          "/proc/self/status)" +
          in_container + "; Docker's default seccomp profile blocks user namespaces";
      r.fix = docker_flags_fix();
    } else if (err == EPERM && !facts.container.empty()) {
      r.reason = "refused inside the container" + in_container +
                 ": its runtime withholds user namespaces (capabilities, seccomp or an LSM)";
      r.fix = docker_flags_fix();
    } else if (err == EPERM) {
      r.reason =
          "refused by the kernel's policy (a security module such as SELinux or "
          "AppArmor, or a sysctl)";
      r.fix =
          "check the audit log (`journalctl -k`, `ausearch -m avc`) for the denial; or use "
          "cordon's landlock mode";
    } else if (err == EINVAL) {
      r.reason = "the kernel was built without user namespaces (CONFIG_USER_NS)";
      r.fix =
          "use a kernel with CONFIG_USER_NS=y (every distribution kernel has it); or use "
          "cordon's landlock mode";
    } else if (err == EUSERS) {
      r.reason = "user namespaces are nested 32 deep already";
      r.fix = "run cordon from a less deeply nested environment";
    } else {
      r.reason = "unshare(CLONE_NEWUSER) failed: " + errno_text(err);
      r.fix = "use cordon's landlock mode";
    }
    return r;
  }

  // The namespace exists but gives no privileges inside it: the map writes
  // or the first privileged operation fail.
  if (facts.apparmor_restrict && *facts.apparmor_restrict != 0) {
    r.reason =
        "kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later): the "
        "namespace is created, but without capabilities unless an AppArmor profile "
        "allows it (" +
        failed_step + ": " + errno_text(err) + ")";
    r.fix = apparmor_fix(facts.exe);
  } else if (facts.seccomp_mode == 2) {
    r.reason = "a seccomp filter on this process refuses " + failed_step + " (" + errno_text(err) +
               ")" + in_container;
    r.fix = docker_flags_fix();
  } else if (failed_step == kUsernsSteps[4] && err == ENOSPC) {
    r.reason = "a namespace limit (user.max_*_namespaces) is reached: " + failed_step + " gave " +
               errno_text(err);
    r.fix = "raise the limit with sysctl (user.max_mnt_namespaces, user.max_net_namespaces, ...)";
  } else {
    r.reason =
        failed_step + " failed inside the new user namespace: " + errno_text(err) + in_container;
    r.fix =
        "check the audit log (`journalctl -k`) for an LSM denial; or use cordon's landlock mode";
  }
  return r;
}

const std::vector<LandlockAbiFeature>& landlock_abi_features() {
  static const std::vector<LandlockAbiFeature> table = {
      {1, "5.13", "filesystem access rights (read, write, execute, create, remove)"},
      {2, "5.19", "linking and renaming between directories (REFER)"},
      {3, "6.2", "file truncation (TRUNCATE)"},
      {4, "6.7", "TCP bind and connect by port"},
      {5, "6.10", "ioctl on device files (IOCTL_DEV)"},
      {6, "6.12", "abstract UNIX socket and signal scoping"},
      {7, "6.15", "control over the audit logging of denials"},
  };
  return table;
}

LandlockReport explain_landlock(int abi, int err, const std::string& lsm,
                                const std::string& container) {
  LandlockReport r;
  r.abi = abi;
  r.err = err;
  r.lsm = lsm;
  if (abi >= 1) {
    r.ok = true;
    const auto& table = landlock_abi_features();
    r.summary = "ABI " + std::to_string(abi);
    if (abi > table.back().abi)
      r.summary += " (newer than cordon knows; it uses ABI " + std::to_string(table.back().abi) +
                   "'s rights)";
    if (abi < 4)
      r.summary +=
          "; no network rules (TCP connect/bind needs ABI 4, Linux 6.7): landlock mode cannot "
          "confine the network";
    else if (abi < 6)
      r.summary += "; no abstract-socket and signal scoping (ABI 6, Linux 6.12)";
    return r;
  }
  r.summary = "unavailable: landlock_create_ruleset: " + errno_text(err);
  if (err == EOPNOTSUPP) {
    r.reason =
        "Landlock is built into the kernel but not enabled at boot: it is not in the lsm= list" +
        (lsm.empty() ? std::string() : " (now: " + lsm + ")");
    r.fix = "add landlock to the kernel command line's lsm= list, e.g. lsm=landlock," +
            (lsm.empty() ? std::string("<the current list>") : lsm) +
            " in GRUB_CMDLINE_LINUX of /etc/default/grub, then `sudo update-grub` and reboot";
  } else if (err == ENOSYS) {
    r.reason =
        "the kernel has no Landlock (older than 5.13, or built without CONFIG_SECURITY_LANDLOCK)";
    r.fix =
        "use a kernel 5.13+ with CONFIG_SECURITY_LANDLOCK=y (6.7+ for network rules, 6.12+ for "
        "scoping)";
  } else if (err == EPERM) {
    r.reason =
        "a seccomp filter refuses the Landlock system calls" +
        (container.empty() ? std::string() : " (this looks like a " + container + " container)");
    r.fix =
        "update the container runtime (recent default profiles allow Landlock) or run with "
        "`--security-opt seccomp=unconfined`";
  } else {
    r.reason = "landlock_create_ruleset failed: " + errno_text(err);
    r.fix = "use a kernel 5.13+ with Landlock enabled";
  }
  return r;
}

SeccompReport explain_seccomp(bool filters, int filters_err, bool user_notif, int current_mode) {
  SeccompReport r;
  r.filters = filters;
  r.user_notif = user_notif;
  r.current_mode = current_mode;
  if (filters) {
    r.ok = true;
    r.summary = std::string("filters available; user notification ") +
                (user_notif ? "available" : "unavailable (Linux 5.0+)");
    if (current_mode == 2)
      r.summary +=
          "; this process is already filtered (a container's profile): cordon's filter stacks on "
          "it";
    return r;
  }
  r.summary = "unavailable: " + errno_text(filters_err);
  if (filters_err == EINVAL || filters_err == ENOSYS) {
    r.reason = "the kernel was built without seccomp filters (CONFIG_SECCOMP_FILTER)";
    r.fix = "use a kernel with CONFIG_SECCOMP_FILTER=y (every distribution kernel has it)";
  } else {
    r.reason = "the seccomp system call is refused: " + errno_text(filters_err) +
               (current_mode == 2 ? " (by a seccomp filter already on this process)" : "");
    r.fix = "run the container with `--security-opt seccomp=unconfined`, or outside it";
  }
  return r;
}

CgroupReport explain_cgroups(const CgroupHost& host, pid_t self) {
  CgroupReport r;
  r.host = host;
  ResourceLimits all;
  all.memory_bytes = 1ull << 30;
  all.pids = 1024;
  all.cpus = 1.0;
  auto a = assess_cgroups(host, all, self);
  std::string v2_desc = "v2 not mounted";
  if (host.v2.mounted) {
    std::string offers;
    for (const auto& c : host.v2.controllers) offers += (offers.empty() ? "" : " ") + c;
    v2_desc = "v2 at " + host.v2.root + ", our cgroup " + host.v2.path + " offers " +
              (offers.empty() ? "no controllers" : "[" + offers + "]") +
              (host.v2.writable ? ", writable" : ", not writable");
  }
  std::string v1_desc;
  for (const auto& c : host.v1) {
    if (c.controller != "memory" && c.controller != "pids" && c.controller != "cpu") continue;
    v1_desc += (v1_desc.empty() ? "" : " ") + c.controller + (c.writable ? "" : "(read-only)");
  }
  v1_desc = v1_desc.empty() ? "v1: none of memory, pids, cpu" : "v1: " + v1_desc;
  if (a.v2_why.empty()) {
    r.ok = true;
    r.version = CgroupVersion::V2;
    r.summary = "memory, pids and cpu limits through cgroup v2 (" + v2_desc + ")";
  } else if (a.v1_why.empty()) {
    r.ok = true;
    r.version = CgroupVersion::V1;
    r.summary = "memory, pids and cpu limits through cgroup v1 (" + v1_desc + "; " + v2_desc + ")";
  } else {
    r.summary = "no memory, pids and cpu limits: " + v2_desc + "; " + v1_desc;
    r.reason = a.v2_why + "; " + a.v1_why;
    r.fix = cgroup_fix_advice();
  }
  return r;
}

NftReport explain_nftables(const std::string& nft_path, bool user_netns, bool table_created,
                           const std::string& failed_step, int err, const std::string& nft_stderr) {
  NftReport r;
  r.nft_path = nft_path;
  r.user_netns = user_netns;
  r.table_created = table_created;
  r.failed_step = failed_step;
  r.err = err;
  if (!user_netns) {
    r.summary = "no user + network namespace";
    r.reason = failed_step.empty() ? "user namespaces are unavailable"
                                   : failed_step + " failed: " + errno_text(err);
    r.fix = "see user namespaces above";
    return r;
  }
  if (nft_path.empty()) {
    r.summary = "a user + network namespace works, but no nft program was found";
    r.reason = "nft is not installed (not in PATH, /usr/sbin or /sbin)";
    r.fix = "install nftables (apt install nftables / dnf install nftables)";
    return r;
  }
  if (!table_created) {
    r.summary = "nft (" + nft_path + ") could not create a table inside a user + network namespace";
    // nft's first line says it; the rest repeats the command with carets.
    std::string detail = trim(nft_stderr.substr(0, nft_stderr.find('\n')));
    r.reason = detail.empty()
                   ? (failed_step.empty() ? "nft failed" : failed_step + ": " + errno_text(err))
                   : "nft: " + detail;
    r.fix =
        "check that the kernel has nf_tables (CONFIG_NF_TABLES) and allows it in user namespaces";
    return r;
  }
  r.ok = true;
  r.summary = "nft (" + nft_path + ") created a table inside a fresh user + network namespace";
  return r;
}

std::string mode_for(const HostReport& report) {
  const bool landlock = report.landlock.abi >= 1;
  const bool seccomp = report.seccomp.filters;
  if (report.userns.ok && landlock && seccomp) return "full";
  if (landlock && seccomp) return "landlock";
  return "none";
}

const char* mode_description(const std::string& mode) {
  if (mode == "full")
    return "namespaces (own root, pid, network with only the egress proxy), Landlock and seccomp";
  if (mode == "landlock")
    return "no namespaces: Landlock for the filesystem (and TCP to the proxy with ABI 4+), "
           "seccomp, "
           "no_new_privs; what this cannot express is stated by `cordon run`";
  return "nothing: cordon refuses to run commands on this host";
}

// ---- reading the host -------------------------------------------------------------------

std::string detect_container() {
  struct stat st {};
  if (stat("/run/.containerenv", &st) == 0) return "podman";
  if (stat("/.dockerenv", &st) == 0) return "docker";
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return "kubernetes";
  std::string env1 = read_file("/proc/1/environ");
  for (size_t pos = 0; pos < env1.size();) {
    size_t end = env1.find('\0', pos);
    if (end == std::string::npos) end = env1.size();
    std::string_view var(env1.data() + pos, end - pos);
    if (var.starts_with("container=")) {
      std::string kind(var.substr(10));
      return kind == "lxc" ? "lxc" : kind.empty() ? "container" : kind;
    }
    pos = end + 1;
  }
  std::string cg = read_file("/proc/self/cgroup");
  if (cg.find("/docker/") != std::string::npos || cg.find("/docker-") != std::string::npos)
    return "docker";
  if (cg.find("/kubepods") != std::string::npos) return "kubernetes";
  if (cg.find("/lxc/") != std::string::npos || cg.find("/lxc.payload") != std::string::npos)
    return "lxc";
  return {};
}

std::string find_program(const std::string& name) {
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t colon = path.find(':', pos);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(pos, colon - pos);
    pos = colon + 1;
    if (dir.empty() || dir[0] != '/') continue;  // a relative PATH entry is not a trusted place
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

UsernsFacts read_userns_facts() {
  UsernsFacts facts;
  facts.unprivileged_userns_clone = read_sysctl("kernel/unprivileged_userns_clone");
  facts.max_user_namespaces = read_sysctl("user/max_user_namespaces");
  facts.apparmor_restrict = read_sysctl("kernel/apparmor_restrict_unprivileged_userns");
  facts.seccomp_mode = seccomp_mode_of_self();
  facts.container = detect_container();
  facts.root = geteuid() == 0;
  facts.exe = self_exe();
  return facts;
}

DetectOptions detect_options_from_env() {
  DetectOptions o;
  const char* v = std::getenv("CORDON_ASSUME_NO_USERNS");
  o.assume_no_userns = v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  return o;
}

HostReport detect_host(const DetectOptions& options) {
  HostReport r;
  struct utsname u {};
  if (uname(&u) == 0) r.kernel = u.release;

  // User namespaces: tried for real in a child, with every namespace that
  // `cordon run` creates, and a privileged operation inside.
  UsernsFacts facts = read_userns_facts();
  r.container = facts.container;
  r.root = facts.root;
  if (options.assume_no_userns) {
    r.userns.ok = false;
    r.userns.assumed_off = true;
    r.userns.summary = "treated as unavailable (CORDON_ASSUME_NO_USERNS is set)";
    r.userns.reason = "CORDON_ASSUME_NO_USERNS is set, to exercise landlock mode";
    r.userns.fix = "unset CORDON_ASSUME_NO_USERNS";
  } else {
    ChildPlan plan{kOtherNamespaces, true, nullptr};
    ProbeResult p = run_probe(plan);
    if (!p.started) {
      r.userns = explain_userns(kUsernsSteps[0], p.fork_err, facts);
      r.userns.reason = "could not fork the probe: " + errno_text(p.fork_err);
    } else if (p.timed_out) {
      r.userns = explain_userns(kUsernsSteps[0], ETIMEDOUT, facts);
    } else {
      r.userns =
          explain_userns(p.report.step < 0 ? "" : kUsernsSteps[p.report.step], p.report.err, facts);
    }
  }

  // Landlock: the ABI version, without creating anything.
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  int landlock_err = abi < 0 ? errno : 0;
  r.landlock = explain_landlock(abi < 0 ? 0 : static_cast<int>(abi), landlock_err,
                                trim(read_file("/sys/kernel/security/lsm")), r.container);

  // seccomp: asks whether the kernel supports an action, installs nothing.
  unsigned int action = SECCOMP_RET_ERRNO;
  bool filters = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
  int filters_err = filters ? 0 : errno;
  action = SECCOMP_RET_USER_NOTIF;
  bool notif = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
  if (notif) {
    struct seccomp_notif_sizes sizes {};
    notif = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
  }
  r.seccomp = explain_seccomp(filters, filters_err, notif, facts.seccomp_mode);

  if (options.probe_cgroups) r.cgroups = explain_cgroups(read_cgroup_host(options.cgroup));

  if (options.probe_nftables) {
    std::string nft = find_program("nft");
    if (options.assume_no_userns) {
      r.nftables = explain_nftables(nft, false, false, "", 0, "");
      r.nftables.reason = "user namespaces are treated as unavailable (CORDON_ASSUME_NO_USERNS)";
    } else {
      // A table in a namespace of our own: the host's rule set is never
      // touched, and the table goes with the namespace.
      std::string arg0 = nft;
      char a1[] = "add", a2[] = "table", a3[] = "inet", a4[] = "cordon_doctor";
      char* argv[] = {arg0.data(), a1, a2, a3, a4, nullptr};
      ChildPlan plan{CLONE_NEWNET, false, nft.empty() ? nullptr : argv, true};
      ProbeResult p = run_probe(plan);
      bool netns =
          p.started && !p.timed_out && (p.exec_happened || p.report.step < 0 || p.report.step == 6);
      std::string step = !p.started           ? kUsernsSteps[0]
                         : p.timed_out        ? std::string("nft (timed out)")
                         : p.report.step == 4 ? std::string("unshare(CLONE_NEWNET)")
                         : p.report.step == 6 ? "exec " + nft
                         : p.report.step >= 0 ? kUsernsSteps[p.report.step]
                                              : "";
      bool table = p.exec_happened && WIFEXITED(p.wait_status) && WEXITSTATUS(p.wait_status) == 0;
      int err = !p.started ? p.fork_err : p.timed_out ? ETIMEDOUT : p.report.err;
      r.nftables = explain_nftables(nft, netns, table, step, err, p.stderr_text);
    }
  }
  return r;
}

}  // namespace cordon::sandbox
