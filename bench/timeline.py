#!/usr/bin/env python3
"""Where a run's time goes: runs `cordon run -- CMD` N times with CORDON_STAMPS
set and prints, for each step cordon stamps (src/base/stamp.h), the median
time since main() and the p10-p90 range, in microseconds.

    python3 bench/timeline.py [RUNS] [cordon run args... -- CMD...]
    python3 bench/timeline.py 300                  # cordon run -- /bin/true

Run it in the workspace to measure (the current directory is cordon's
workspace). Stamps come from the supervisor and the child alike, all on
CLOCK_MONOTONIC; a step that does not happen in a run (a failure) is simply
missing from it.
"""
import collections
import os
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
cordon = os.environ.get("CORDON", os.path.join(here, "..", "build", "cordon"))
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
args = sys.argv[2:] or ["--", "/bin/true"]
env = dict(os.environ, CORDON_STAMPS="1")

since_main = collections.defaultdict(list)
order = []
for _ in range(runs):
    p = subprocess.run([cordon, "run", *args], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, check=False)
    stamps = [line.split(" ", 3) for line in p.stderr.decode(errors="replace").splitlines()
              if line.startswith("STAMP ")]
    t0 = next((int(t) for _, _, t, step in stamps if step == "main"), None)
    if t0 is None:
        continue
    for _, _, t, step in stamps:
        if step not in order:
            order.append(step)
        since_main[step].append(int(t) - t0)

print(f"{'step':>24} | median since main() | p10-p90 | step itself (difference of medians)")
print(f"{'-' * 24}-|-{'-' * 19}-|-{'-' * 13}-|-{'-' * 10}")
prev = 0
for step in order:
    v = sorted(since_main[step])
    med = statistics.median(v)
    print(f"{step:>24} | {med:8.0f} | {v[len(v) // 10]:5.0f}-{v[9 * len(v) // 10]:<5.0f} | "
          f"{med - prev:6.0f}")
    prev = med
