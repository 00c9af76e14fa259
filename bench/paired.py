#!/usr/bin/env python3
"""The steady state, paired: a workload timed bare and inside the sandbox in
alternation, so that both sides see the same moments of a noisy machine.

    paired.py --cordon BIN [--cordon-arg ARG ...] [--rounds N] [--warmup N]
              [--prepare CMD] --json OUT -- WORKLOAD

WORKLOAD is a shell command (run with sh -c). Each round times it once bare
and once inside `cordon run`, in an order that alternates from round to
round. Inside, the timing is taken by the same small timer running in the
sandbox, around the workload alone: cordon's start-up and end-of-run work are
not in it, only what the contained workload itself pays (namespaces, mount
tree, Landlock, seccomp). PREPARE runs before every timed run, outside the
timing (and, for the inside run, inside the sandbox too).

OUT is written in hyperfine's --export-json shape (commands "paired-bare"
and "inside"), which report.py reads; the median of the per-round ratios
inside / bare is printed and stored as "paired_median_ratio".
"""

import argparse
import json
import statistics
import subprocess
import sys

# The timer, the same outside and inside: python3 is in the sandbox's
# read-only system tree. It prints the workload's wall time in seconds.
TIMER = (
    "import subprocess, sys, time\n"
    "if sys.argv[1]: subprocess.run(['sh', '-c', sys.argv[1]], check=True)\n"
    "t = time.perf_counter()\n"
    "subprocess.run(['sh', '-c', sys.argv[2]], check=True)\n"
    "print(time.perf_counter() - t)\n"
)


def timed(argv):
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout
    return float(out.strip().splitlines()[-1])


def stats(name, times):
    return {
        "command": name,
        "mean": statistics.mean(times),
        "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "times": times,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cordon", required=True)
    p.add_argument("--cordon-arg", action="append", default=[])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--prepare", default="")
    p.add_argument("--json", required=True)
    p.add_argument("workload", nargs=argparse.REMAINDER)
    a = p.parse_args()
    workload = " ".join(w for w in a.workload if w != "--")
    if not workload:
        p.error("no workload")
    bare_argv = [sys.executable, "-c", TIMER, a.prepare, workload]
    inside_argv = [a.cordon, "run", *a.cordon_arg, "--", sys.executable, "-c", TIMER, a.prepare, workload]
    for _ in range(a.warmup):
        timed(bare_argv)
        timed(inside_argv)
    bare, inside, ratios = [], [], []
    for i in range(a.rounds):
        if i % 2 == 0:
            b = timed(bare_argv)
            n = timed(inside_argv)
        else:
            n = timed(inside_argv)
            b = timed(bare_argv)
        bare.append(b)
        inside.append(n)
        ratios.append(n / b)
    result = {
        "results": [stats("paired-bare", bare), stats("inside", inside)],
        "paired_median_ratio": statistics.median(ratios),
        "paired_ratios": ratios,
    }
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"inside / bare, median of {a.rounds} paired rounds: {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
