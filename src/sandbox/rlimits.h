// rlimits: per-process limits set in the child just before exec, inherited
// by everything it starts. They always apply, cgroups or not.
#pragma once

#include <sys/resource.h>

#include <optional>

#include "base/error.h"
#include "sandbox/cgroups.h"

namespace cordon::sandbox {

// Each set field becomes both the soft and the hard limit, so the command
// cannot raise it again. A value above the current hard limit is lowered to
// it (an unprivileged process cannot raise a hard limit, and a lower limit
// is only stricter). Unset fields are left as inherited.
struct RlimitSettings {
  // RLIMIT_CORE. Off by default: a crashing tool must not write its memory
  // (which may hold secrets) into the workspace.
  std::optional<rlim_t> core = 0;
  // RLIMIT_FSIZE, bytes ([resources] file_size): the largest file the
  // command may write; beyond it, write() gives SIGXFSZ, or EFBIG where the
  // signal is ignored.
  std::optional<rlim_t> file_size;
  // RLIMIT_NOFILE ([resources] open_files): the highest fd number + 1;
  // beyond it, open() and socket() give EMFILE.
  std::optional<rlim_t> open_files;
  // RLIMIT_NPROC: the fallback for [resources] pids where no cgroup is
  // available (see rlimit_fallbacks()). Caveats, in docs/resources.md: it
  // counts every process of the real uid, not only the sandbox's (per user
  // namespace since Linux 5.15, so inside cordon's own user namespace only
  // the sandbox's own processes count); it is checked at fork, not enforced
  // on what exists; and the kernel never applies it to real uid 0.
  std::optional<rlim_t> processes;
  // RLIMIT_CPU, seconds of CPU time: SIGXCPU at the soft limit, SIGKILL at
  // the hard. Not a share like cgroup cpu.max: a total.
  std::optional<rlim_t> cpu_seconds;
};

// Sets every field. Runs in the cloned child between clone() and execve():
// makes only getrlimit/setrlimit calls and allocates nothing unless it fails
// (the Error's message). The first failure stops it.
Status apply_rlimits(const RlimitSettings& settings);

// The rlimits that stand in for cgroup limits the host cannot give
// (`cgroup` is what Cgroup::create gave, None when it was not possible or
// not asked for): pids -> RLIMIT_NPROC. Memory has no honest rlimit
// stand-in (RLIMIT_AS counts reserved address space, which runtimes such
// as the JVM, Go and V8 reserve by the gigabyte), so it is not mapped;
// neither is cpu (a share, not a total).
RlimitSettings rlimit_fallbacks(RlimitSettings settings, const ResourceLimits& limits,
                                CgroupVersion cgroup);

}  // namespace cordon::sandbox
