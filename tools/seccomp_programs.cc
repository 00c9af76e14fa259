// Build-time generator: compiles cordon's seccomp filter (the rules of
// src/sandbox/seccomp.cc, with the libseccomp cordon links) for every
// combination of SeccompOptions and writes the programs as a C++ include,
// which src/sandbox/seccomp_prebuilt.cc embeds. `cordon run` then loads a
// program instead of compiling one (a millisecond or more per run).
//
//   seccomp_programs OUTPUT.inc
//
// The output is written to OUTPUT.inc.tmp and renamed, so that a failed run
// never leaves a half-written file for the build to pick up.
#include <seccomp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sandbox/seccomp.h"

namespace {

using cordon::sandbox::SeccompOptions;

static_assert(sizeof(SeccompOptions) == 4, "a new SeccompOptions field: enumerate it below");

std::vector<SeccompOptions> every_combination() {
  std::vector<SeccompOptions> out;
  for (bool kill : {false, true})
    for (bool unix_sockets : {false, true})
      for (bool udp : {false, true})
        for (bool ipc : {false, true})
          out.push_back({.kill_on_violation = kill,
                         .allow_unix_pathname_sockets = unix_sockets,
                         .allow_udp = udp,
                         .allow_ipc = ipc});
  return out;
}

const char* boolean(bool b) { return b ? "true" : "false"; }

int generate(const std::string& path) {
  const std::string tmp = path + ".tmp";
  FILE* out = std::fopen(tmp.c_str(), "we");
  if (out == nullptr) {
    std::perror(tmp.c_str());
    return 1;
  }
  const scmp_version* v = seccomp_version();
  std::fprintf(out,
               "// Generated at build time by tools/seccomp_programs.cc from the rules in\n"
               "// src/sandbox/seccomp.cc, compiled by libseccomp %u.%u.%u. Do not edit.\n",
               v->major, v->minor, v->micro);
  const auto combos = every_combination();
  for (size_t i = 0; i < combos.size(); ++i) {
    auto program = cordon::sandbox::compile_seccomp_program(combos[i]);
    if (!program.ok()) {
      std::fprintf(stderr, "seccomp_programs: %s\n", program.error().what().c_str());
      std::fclose(out);
      std::remove(tmp.c_str());
      return 1;
    }
    std::fprintf(out, "constexpr uint8_t kProgram%zu[] = {", i);
    for (size_t b = 0; b < program->size(); ++b)
      std::fprintf(out, "%s0x%02x,", b % 16 == 0 ? "\n    " : " ", (*program)[b]);
    std::fprintf(out, "\n};\n");
  }
  std::fprintf(out, "constexpr PrebuiltSeccompProgram kGenerated[] = {\n");
  for (size_t i = 0; i < combos.size(); ++i)
    std::fprintf(out,
                 "    {{.kill_on_violation = %s, .allow_unix_pathname_sockets = %s, "
                 ".allow_udp = %s, .allow_ipc = %s}, kProgram%zu},\n",
                 boolean(combos[i].kill_on_violation),
                 boolean(combos[i].allow_unix_pathname_sockets), boolean(combos[i].allow_udp),
                 boolean(combos[i].allow_ipc), i);
  std::fprintf(out, "};\n");
  if (std::fclose(out) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::perror(path.c_str());
    std::remove(tmp.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seccomp_programs OUTPUT.inc\n");
    return 2;
  }
  return generate(argv[1]);
}
