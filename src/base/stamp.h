// Start-up timeline: with CORDON_STAMPS set in cordon's environment, each
// stamp("step") writes "STAMP <pid> <microseconds, CLOCK_MONOTONIC> <step>"
// to stderr, so that bench/timeline.py can say where a run's time goes
// (bench/RESULTS.md). Without it, a stamp is one load and one branch. It
// only reports timing: nothing else about a run changes.
//
// A stamp makes system calls only (no allocation), so it may be used
// anywhere in the containment sequence, including in the child of clone().
#pragma once

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace cordon {

inline void stamp(const char* step) {
  static const bool on = std::getenv("CORDON_STAMPS") != nullptr;
  if (!on) return;
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[160];
  const int n =
      std::snprintf(line, sizeof line, "STAMP %d %lld %s\n", static_cast<int>(getpid()),
                    static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000, step);
  if (n > 0) (void)!write(STDERR_FILENO, line, static_cast<size_t>(n));
}

}  // namespace cordon
