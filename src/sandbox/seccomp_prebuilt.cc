// The seccomp programs compiled at build time, and the lookup that prefers
// them to compiling at run time (seccomp.h).
#include <cstdint>
#include <span>
#include <vector>

#include "sandbox/seccomp.h"

namespace cordon::sandbox {
namespace {

// Every field of SeccompOptions is an input of the program: a new one must
// be enumerated by tools/seccomp_programs.cc and compared in same_options().
static_assert(sizeof(SeccompOptions) == 4, "a new SeccompOptions field: update the generator");

bool same_options(const SeccompOptions& a, const SeccompOptions& b) {
  return a.kill_on_violation == b.kill_on_violation &&
         a.allow_unix_pathname_sockets == b.allow_unix_pathname_sockets &&
         a.allow_udp == b.allow_udp && a.allow_ipc == b.allow_ipc;
}

// kGenerated: one entry per combination of the options, written by
// tools/seccomp_programs.cc into the build directory.
#include "sandbox/seccomp_programs.inc"

}  // namespace

std::span<const PrebuiltSeccompProgram> prebuilt_seccomp_programs() { return kGenerated; }

Result<std::vector<uint8_t>> seccomp_program(const SeccompOptions& options) {
  for (const PrebuiltSeccompProgram& p : kGenerated)
    if (same_options(p.options, options))
      return std::vector<uint8_t>(p.program.begin(), p.program.end());
  return compile_seccomp_program(options);
}

}  // namespace cordon::sandbox
