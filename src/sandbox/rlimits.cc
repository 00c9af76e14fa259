#include "sandbox/rlimits.h"

#include <cstddef>

namespace cordon::sandbox {
namespace {

struct Field {
  int resource;
  std::optional<rlim_t> RlimitSettings::*value;
  const char* name;  // as used in error messages
};

constexpr Field kFields[] = {
    {RLIMIT_CORE, &RlimitSettings::core, "RLIMIT_CORE (core dumps)"},
    {RLIMIT_FSIZE, &RlimitSettings::file_size, "RLIMIT_FSIZE (file size)"},
    {RLIMIT_NOFILE, &RlimitSettings::open_files, "RLIMIT_NOFILE (open files)"},
    {RLIMIT_NPROC, &RlimitSettings::processes, "RLIMIT_NPROC (processes)"},
    {RLIMIT_CPU, &RlimitSettings::cpu_seconds, "RLIMIT_CPU (CPU seconds)"},
};

}  // namespace

Status apply_rlimits(const RlimitSettings& settings) {
  for (const Field& f : kFields) {
    const auto& wanted = settings.*(f.value);
    if (!wanted) continue;
    struct rlimit current {};
    if (getrlimit(f.resource, &current) != 0) return sys_error(std::string("read ") + f.name);
    // Never above the hard limit we have: lowering it is always allowed,
    // and a limit is meant as "at most".
    rlim_t v = *wanted;
    if (current.rlim_max != RLIM_INFINITY && (v == RLIM_INFINITY || v > current.rlim_max))
      v = current.rlim_max;
    struct rlimit next {
      v, v
    };
    if (setrlimit(f.resource, &next) != 0)
      return sys_error(std::string("set ") + f.name + " to " + std::to_string(v));
  }
  return {};
}

RlimitSettings rlimit_fallbacks(RlimitSettings settings, const ResourceLimits& limits,
                                CgroupVersion cgroup) {
  if (cgroup == CgroupVersion::None && limits.pids && !settings.processes)
    settings.processes = static_cast<rlim_t>(*limits.pids);
  return settings;
}

}  // namespace cordon::sandbox
