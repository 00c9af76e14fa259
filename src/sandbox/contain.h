// THE containment sequence: everything the cloned child does, in order,
// between clone() and execve(). See contain.cc for why each step is where
// it is.
#pragma once

#include <sched.h>
#include <signal.h>

#include <cstdint>

#include "sandbox/spec.h"

namespace cordon::sandbox {

// Messages on the setup socketpair (SOCK_SEQPACKET, one message each).
// supervisor -> child: go (in full mode, with the last piece of the plan)
inline constexpr char kMsgGo = 'G';
// supervisor -> child, full mode: the uid/gid maps are written
inline constexpr char kMsgMaps = 'M';
// supervisor -> child, full mode: a piece of the encoded plan (spec.h)
inline constexpr char kMsgPlan = 'P';
inline constexpr char kMsgError = 'E';   // child -> supervisor: "E<errno>:<what failed>"
inline constexpr char kMsgReady = 'R';   // child -> supervisor: running (pty master attached)
inline constexpr char kMsgStatus = 'S';  // child -> supervisor: "S<wait status>" of the command
inline constexpr char kMsgFilter = 'F';  // supervisor -> child: "F<seccomp BPF program>"
// child -> supervisor: "L<kind>" with a listening TCP socket attached, made
// inside the sandbox's network namespace; kind is kListenerHttp or kListenerSocks.
inline constexpr char kMsgListener = 'L';
inline constexpr char kListenerHttp = 'h';
inline constexpr char kListenerSocks = 's';
// Where the egress listeners are, inside the sandbox's own loopback.
inline constexpr uint16_t kHttpProxyPort = 3128;
inline constexpr uint16_t kSocksProxyPort = 1080;
inline constexpr size_t kMaxMessage = 65536;

struct ChildSetup {
  const Spec* spec = nullptr;  // Landlock mode; full mode receives it (encode_for_child)
  int sock = -1;               // the child's end of the setup socketpair
  int workspace_fd = -1;       // O_PATH fd of the canonical workspace, opened by the supervisor
  bool use_pty = false;        // give the command a pty of its own (the supervisor relays)
  bool tty_fd[3] = {};         // which of stdin/stdout/stderr the pty replaces
  sigset_t command_mask;       // the signal mask the caller had: the command starts with it
  // The CPUs the caller allows. Full mode: the supervisor keeps the child
  // off its own CPU until the plan comes; the child then puts these back.
  cpu_set_t caller_cpus;
  bool caller_cpus_known = false;
};

// Runs in the child of clone(): contains this process, then becomes the
// sandbox's init (pid 1), which forks and execs the command as pid 2.
// Never returns; any failure is reported over `sock` and ends the child.
[[noreturn]] void contain_and_exec(const ChildSetup& setup);

// Landlock mode (Spec::mode == Mode::Landlock): the same messages, no
// namespaces; the child itself becomes the command after Landlock and
// seccomp. Its exit status is the supervisor's to read.
[[noreturn]] void contain_landlock_and_exec(const ChildSetup& setup);

}  // namespace cordon::sandbox
