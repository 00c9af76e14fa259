#!/usr/bin/env bash
# Steady-state cost of containment: syscall-heavy work bare and inside
# `cordon run`, side by side in one hyperfine run per workload, recorded as
# the ratio contained / bare (DESIGN.md "Performance": within 3% of bare).
#
# Workloads, in a generated workspace (nothing is downloaded):
#   find-stat   find over ~50k files, stat(1) on each: getdents, statx
#   git-status  git status over the same tree, committed: lstat of every file,
#               index reads, config reads (through cordon's protected .git)
#   make        a generated C project of $C_FILES files built with make -j2:
#               fork/exec of the compiler, file creation in the workspace
# and cordon's fixed cost (`cordon run -- /bin/true`) in an empty workspace
# against this large one: what cordon's own walks of the workspace cost.
#
# Each workload is timed three ways:
#   bare     outside cordon;
#   cordon   `cordon run -- WORKLOAD` from outside: the steady state plus
#            cordon's start-up and end-of-run work, which includes a walk
#            of the workspace (a stat of every file, for hard links) that
#            grows with its size;
#   inside   timed inside the sandbox around the workload alone
#            (bench/paired.py): the steady state, with every layer on
#            (namespaces, mount tree, Landlock, seccomp), paired round by
#            round with a bare run ("paired-bare") so that both see the same
#            moments of the machine.
# "inside / paired-bare" (and the median of the per-round ratios) is the
# steady-state ratio of DESIGN.md; "cordon / bare" is what a user running
# one command at a time sees.
#
# Environment:
#   CORDON       the binary (default: build/cordon of this checkout)
#   RUNS         runs per command (default: 15)
#   FILES        files in the tree (default: 50000)
#   C_FILES      C files in the project (default: 48)
#   PASSES       passes over the tree per find-stat / git-status run (default: 5)
#   OUT_DIR      where steady-*.json and steady.md go (default: bench/results)
#   CORDON_ARGS  extra flags for `cordon run`
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cordon="${CORDON:-$repo/build/cordon}"
runs="${RUNS:-15}"
files="${FILES:-50000}"
c_files="${C_FILES:-48}"
passes="${PASSES:-5}"
out_dir="${OUT_DIR:-$repo/bench/results}"
cordon_args="${CORDON_ARGS:-}"

for tool in hyperfine git make cc python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/setup.sh" >&2; exit 1; }
done
[[ -x "$cordon" ]] || { echo "$cordon not built: run scripts/setup.sh" >&2; exit 1; }

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
ws="$(mktemp -d "${TMPDIR:-/tmp}/cordon-bench-steady.XXXXXX")"
trap 'rm -rf "$ws"' EXIT
cd "$ws"

echo "generating $files files and a $c_files-file C project in $ws"
python3 - "$files" "$c_files" <<'EOF'
import os, sys
files, c_files = int(sys.argv[1]), int(sys.argv[2])
# 100 top directories, 10 subdirectories each: a shape like a source tree.
per_dir = max(1, files // 1000)
n = 0
for a in range(100):
    for b in range(10):
        d = f"tree/d{a:02}/s{b}"
        os.makedirs(d, exist_ok=True)
        for c in range(per_dir):
            with open(f"{d}/f{c:03}.txt", "w") as f:
                f.write(f"file {n}\n" * (1 + n % 7))
            n += 1
os.makedirs("proj", exist_ok=True)
for i in range(c_files):
    with open(f"proj/m{i:03}.c", "w") as f:
        f.write("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n")
        for j in range(12):
            f.write(f"""
static int cmp{j}(const void *a, const void *b) {{
  return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}}
int m{i}_f{j}(int n) {{
  int *v = malloc(sizeof(int) * (size_t)n);
  if (!v) return -1;
  for (int k = 0; k < n; k++) v[k] = (k * {j + 7}) % {i + 13};
  qsort(v, (size_t)n, sizeof *v, cmp{j});
  char buf[64];
  snprintf(buf, sizeof buf, "%d", v[n / 2]);
  int r = (int)strlen(buf) + v[0];
  free(v);
  return r;
}}
""")
with open("proj/main.c", "w") as f:
    for i in range(c_files):
        f.write(f"int m{i}_f0(int n);\n")
    f.write("int main(void) { int s = 0;\n")
    for i in range(c_files):
        f.write(f"  s += m{i}_f0(100);\n")
    f.write("  return s == 0; }\n")
with open("proj/Makefile", "w") as f:
    f.write("""CFLAGS = -O2 -Wall
SRCS = $(wildcard *.c)
OBJS = $(SRCS:.c=.o)
app: $(OBJS)
\t$(CC) -o $@ $(OBJS)
%.o: %.c
\t$(CC) $(CFLAGS) -c -o $@ $<
clean:
\trm -f app $(OBJS)
.PHONY: clean
""")
EOF
# The workspace is a git repository, as an agent's usually is.
git init -q .
git -c user.name=bench -c user.email=bench@localhost.invalid add -A tree
git -c user.name=bench -c user.email=bench@localhost.invalid commit -q -m "generated tree"

# Every command must succeed, or the numbers would time a failure.
# shellcheck disable=SC2086 # CORDON_ARGS is a list of flags, split on purpose
"$cordon" run $cordon_args -- git status --porcelain >/dev/null ||
  { echo "'cordon run -- git status' fails here; nothing to measure" >&2; exit 1; }

load="$(cut -d" " -f1-3 /proc/loadavg)"
c="'$cordon' run $cordon_args --"
common=(-N --style basic --warmup 2 --runs "$runs")

# One pass over the tree takes a fraction of a second once it is cached, so
# each run makes $PASSES passes: cordon's fixed start-up cost would otherwise
# dominate what is meant to measure the cost per system call.
find_stat="for i in \$(seq $passes); do find tree -type f -exec stat --format=%s {} + >/dev/null; done"
git_status="for i in \$(seq $passes); do git status --porcelain >/dev/null; done"

# The same workload timed inside the sandbox, paired with bare runs (NAME,
# PREPARE, WORKLOAD).
inside() {
  local flags=()
  for a in $cordon_args; do flags+=("--cordon-arg=$a"); done
  python3 "$repo/bench/paired.py" --cordon "$cordon" "${flags[@]}" --rounds "$runs" --warmup 2 \
    --prepare "$2" --json "$out_dir/steady-$1-inside.json" -- "$3"
}

hyperfine "${common[@]}" --export-json "$out_dir/steady-find-stat.json" \
  -n bare "sh -c '$find_stat'" \
  -n cordon "$c sh -c '$find_stat'"
inside find-stat "" "$find_stat"

hyperfine "${common[@]}" --export-json "$out_dir/steady-git-status.json" \
  -n bare "sh -c '$git_status'" \
  -n cordon "$c sh -c '$git_status'"
inside git-status "" "$git_status"

hyperfine "${common[@]}" --export-json "$out_dir/steady-make.json" \
  --prepare 'make -s -C proj clean' \
  -n bare 'make -s -C proj -j2' \
  -n cordon "$c make -s -C proj -j2"
inside make 'make -s -C proj clean' 'make -s -C proj -j2'

# cordon's own fixed cost against the size of the workspace: the same
# `cordon run -- /bin/true` with an empty workspace and with this one.
empty="$(dirname "$ws")/$(basename "$ws")-empty"
mkdir -p "$empty"
trap 'rm -rf "$ws" "$empty"' EXIT
hyperfine -N --style basic --warmup 2 --runs $((runs * 2)) --export-json "$out_dir/steady-workspace-size.json" \
  -n cordon-empty "'$cordon' run $cordon_args --workspace '$empty' -- /bin/true" \
  -n cordon-large "'$cordon' run $cordon_args -- /bin/true"

{
  echo "### Steady state, $(date -u +%Y-%m-%d) ($(nproc) cores, Linux $(uname -r), load average before: $load)"
  echo
  echo "cordon $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(hyperfine --version);" \
    "$runs runs after 2 warm-up runs each; $files files ($passes passes per run), $c_files C files."
  for w in find-stat git-status make; do
    echo
    echo "#### $w"
    echo
    python3 "$repo/bench/report.py" "$out_dir/steady-$w.json" "$out_dir/steady-$w-inside.json" \
      inside/paired-bare cordon/bare
    python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print(); print(f'Paired: inside / bare, median of the {len(r[\"paired_ratios\"])} per-round ratios: {r[\"paired_median_ratio\"]:.3f}')" \
      "$out_dir/steady-$w-inside.json"
  done
  echo
  echo "#### cordon run -- /bin/true: empty workspace vs this one ($files files)"
  echo
  python3 "$repo/bench/report.py" "$out_dir/steady-workspace-size.json" cordon-large/cordon-empty
} | tee "$out_dir/steady.md"
