// The seccomp filter: the kernel surface a contained command may not ask for.
//
// A deny list over a process that is already namespaced, no_new_privs and
// capability-less: the default action is ALLOW, and the filter refuses the
// calls that reach shared kernel state or large attack surface (io_uring,
// bpf, ptrace, keyrings, mounts, namespaces, module loading, TIOCSTI, exotic
// socket families). Built with libseccomp, never by hand: libseccomp checks
// the architecture and, on x86_64, refuses x32 numbers (nr | 0x40000000).
//
// Ordering (contain.cc): installed LAST before execve, after Landlock,
// because the filter may refuse calls that the earlier steps still make.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"

namespace cordon::sandbox {

struct SeccompOptions {
  // Refused calls kill the process (SIGSYS) instead of returning an errno.
  // "Not here" answers stay answers even then (ENOSYS, EAFNOSUPPORT,
  // EPROTONOSUPPORT): programs probe for io_uring, clone3 and socket families
  // routinely and fall back, and killing them for asking would break ordinary
  // software without stopping anything (the call never runs either way).
  bool kill_on_violation = false;
  // socket(AF_UNIX, ...). Inside the sandbox a pathname or abstract unix
  // socket only reaches what the sandbox can see; socketpair() is always
  // allowed (it makes a connected pair and reaches nothing).
  bool allow_unix_pathname_sockets = true;
  // Datagram and other non-TCP sockets on AF_INET/AF_INET6. Landlock mode
  // turns this off: Landlock restricts TCP bind/connect only, so without a
  // network namespace every other inet protocol (UDP, ICMP ping, SCTP,
  // MPTCP, raw) would be an unmediated way out. Off means: SOCK_STREAM with
  // protocol 0 or IPPROTO_TCP only.
  bool allow_udp = true;
  // System V IPC and POSIX message queues. They live in the IPC namespace:
  // full mode has one of its own, where they reach only the sandbox.
  // Landlock mode turns this off: there they are the host's, and an object
  // of the user's (a shared memory segment of their desktop, a database's
  // semaphores) would be open to the command by its id or name, which
  // neither Landlock nor the pid space mediates.
  bool allow_ipc = true;
};

// One syscall refused whatever its arguments (a verdict that depends only on
// the number, which the kernel caches: allowed calls cost nothing).
struct SyscallRule {
  const char* name;  // libseccomp's name for it
  int action_errno;  // EPERM, ENOSYS (programs must fall back), ...
  const char* why;
  // The x86_64 number, for calls newer than the libseccomp we link
  // (which resolves names from its own table); -1 when libseccomp knows it.
  int fallback_nr = -1;
};

// The table of unconditionally refused syscalls, in one place: the filter,
// docs/seccomp.md and the unit test all read it.
std::span<const SyscallRule> refused_syscalls();

// Refused too when SeccompOptions::allow_ipc is off (no IPC namespace of
// the sandbox's own): the calls that reach an IPC object by id or name.
std::span<const SyscallRule> refused_without_ipc();

// The refusals that depend on an argument, described (the comparisons live
// in seccomp.cc next to their reasons; the unit test exercises each one).
struct ArgumentRule {
  const char* name;  // syscall
  const char* when;  // the condition, in words
  int action_errno;
  const char* why;
};
std::span<const ArgumentRule> argument_rules();

// The syscall number libseccomp (or the fallback) gives a rule; -1 if none.
int syscall_number(const SyscallRule& rule);

// A built, not yet loaded filter: an owner of libseccomp's scmp_filter_ctx.
class SeccompFilter {
 public:
  static Result<SeccompFilter> build(const SeccompOptions& options);

  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // Loads into the calling thread. Requires no_new_privs (checked first, so
  // a misordered containment sequence fails loudly instead of libseccomp
  // quietly setting it).
  Status load();
  // The classic-BPF program (struct sock_filter[], host byte order), for the
  // unit test and for install_seccomp_bpf() in a child that must not
  // allocate.
  [[nodiscard]] Result<std::vector<uint8_t>> export_bpf() const;

 private:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;  // scmp_filter_ctx, kept out of this header
};

// build() + load(): the one call contain.cc makes. Requires no_new_privs.
Status install_seccomp(const SeccompOptions& options);

// build() + export_bpf(): the program for `options`, compiled now.
Result<std::vector<uint8_t>> compile_seccomp_program(const SeccompOptions& options);

// The programs compiled at build time: tools/seccomp_programs.cc runs this
// file's rules through the libseccomp that cordon links, once for every
// combination of SeccompOptions, and the results are embedded
// (seccomp_prebuilt.cc). Compiling costs a millisecond or more of every
// run; looking a program up costs nothing. The unit test checks that each
// one is what compile_seccomp_program() gives now.
struct PrebuiltSeccompProgram {
  SeccompOptions options;
  std::span<const uint8_t> program;
};
std::span<const PrebuiltSeccompProgram> prebuilt_seccomp_programs();

// The program for `options`: the prebuilt one, or, for a combination that
// was not built in, compiled now. Either way libseccomp compiled it from
// the rules in this file.
Result<std::vector<uint8_t>> seccomp_program(const SeccompOptions& options);

// Loads a program exported by SeccompFilter::export_bpf() (built before
// clone) with the raw seccomp(2) call: no libseccomp, no allocation in the
// child. Requires no_new_privs.
Status install_seccomp_bpf(std::span<const uint8_t> program);

}  // namespace cordon::sandbox
