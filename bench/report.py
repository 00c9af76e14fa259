#!/usr/bin/env python3
"""Turns hyperfine --export-json files into a Markdown table and ratios.

    report.py RESULTS.json [MORE.json ...] [NUM/DEN ...]

Several files make one table (their commands must have distinct names): a
command timed in one hyperfine run can be compared with one timed in another,
such as a workload timed inside the sandbox with the same workload bare.

Each NUM/DEN names two commands (hyperfine -n names) and prints the ratio of
their mean times, with an uncertainty from their standard deviations (first
order: the relative errors added in quadrature). Ratios are what this project
records, because they hold across machines where milliseconds do not.
"""

import json
import math
import sys


def load(paths):
    results = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            results += json.load(f)["results"]
    by_name = {}
    for r in results:
        by_name[r["command"]] = r
    return results, by_name


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.3f} s"
    return f"{seconds * 1000:.2f} ms"


def ratio(by_name, num, den):
    a, b = by_name[num], by_name[den]
    r = a["mean"] / b["mean"]
    rel = math.hypot(a["stddev"] / a["mean"], b["stddev"] / b["mean"])
    # Medians resist the scheduler's outliers on a small virtual machine.
    rm = a["median"] / b["median"]
    # Minimums: the run least disturbed by anything else on the machine.
    rmin = a["min"] / b["min"]
    return r, r * rel, rm, rmin


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    files = [a for a in argv[1:] if a.endswith(".json")]
    pairs = [a for a in argv[1:] if not a.endswith(".json")]
    results, by_name = load(files)
    print("| command | mean ± σ | median | min | runs |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['command']} | {fmt_time(r['mean'])} ± {fmt_time(r['stddev'])} "
            f"| {fmt_time(r['median'])} | {fmt_time(r['min'])} | {len(r['times'])} |"
        )
    if pairs:
        print()
        print("| ratio | of means | of medians | of minimums |")
        print("|---|---|---|---|")
        for pair in pairs:
            num, den = pair.split("/", 1)
            r, err, rm, rmin = ratio(by_name, num, den)
            print(f"| {num} / {den} | {r:.3f} ± {err:.3f} | {rm:.3f} | {rmin:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
