#!/usr/bin/env bash
# Startup cost of containment: `cordon run -- /bin/true` against its peers,
# measured side by side in ONE hyperfine run so that they share the machine's
# state, and recorded as ratios (DESIGN.md "Performance").
#
#   bare      /bin/true, exec'd directly: the floor
#   unshare   unshare(1) with every namespace cordon creates: the kernel's cost
#   bwrap     bubblewrap --unshare-all with a read-only / : the peer to beat
#   cordon    cordon run -- /bin/true on the embedded default policy, in a
#             fresh temporary workspace
#
# Target: cordon / bwrap <= 0.6 (goal 0.5); the floor is about 1.5x bare.
# Also timed in interleaved rounds (build/bench/interleave), which this noisy
# virtual machine needs for a ratio that holds from one run to the next.
#
# Environment:
#   CORDON    the binary (default: build/cordon of this checkout)
#   RUNS      runs per command (default: 300; at least 100)
#   WARMUP    warm-up runs per command (default: 30)
#   OUT_DIR   where startup.json and startup.md go (default: bench/results)
#   CORDON_ARGS  extra flags for `cordon run` (e.g. a --policy for a variant)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cordon="${CORDON:-$repo/build/cordon}"
runs="${RUNS:-300}"
warmup="${WARMUP:-30}"
out_dir="${OUT_DIR:-$repo/bench/results}"
cordon_args="${CORDON_ARGS:-}"

command -v hyperfine >/dev/null || { echo "hyperfine not found: run scripts/setup.sh" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "bwrap not found: run scripts/setup.sh" >&2; exit 1; }
[[ -x "$cordon" ]] || { echo "$cordon not built: run scripts/setup.sh" >&2; exit 1; }
((runs >= 100)) || { echo "RUNS must be at least 100" >&2; exit 1; }

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
ws="$(mktemp -d "${TMPDIR:-/tmp}/cordon-bench-startup.XXXXXX")"
trap 'rm -rf "$ws"' EXIT

# Every command must succeed, or the numbers would time a failure.
# shellcheck disable=SC2086 # CORDON_ARGS is a list of flags, split on purpose
(cd "$ws" && "$cordon" run $cordon_args -- /bin/true) ||
  { echo "'cordon run -- /bin/true' fails here; nothing to measure" >&2; exit 1; }

# hyperfine -N: no intermediate shell, so nothing but the command is timed.
# The working directory is the workspace, which cordon takes as its own.
load="$(cut -d" " -f1-3 /proc/loadavg)"
cd "$ws"
hyperfine -N --style basic --warmup "$warmup" --runs "$runs" \
  --export-json "$out_dir/startup.json" \
  -n bare '/bin/true' \
  -n unshare 'unshare --user --map-root-user --mount --pid --fork --ipc --uts --net /bin/true' \
  -n bwrap 'bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc /bin/true' \
  -n cordon "'$cordon' run $cordon_args -- /bin/true"

# The same four, timed in interleaved rounds (bench/interleave.c): each round
# runs each once, in rotating order, so that a drift of the machine between
# hyperfine's blocks does not show up as a difference between commands.
interleave="$(dirname "$cordon")/bench/interleave"
if [[ -x "$interleave" ]]; then
  "$interleave" "$out_dir/startup-interleaved.json" "$runs" "$warmup" \
    bwrap "$(command -v bwrap)" --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc /bin/true ::: \
    cordon "$cordon" run $cordon_args -- /bin/true ::: \
    unshare "$(command -v unshare)" --user --map-root-user --mount --pid --fork --ipc --uts --net /bin/true ::: \
    bare /bin/true
fi

{
  echo "### Startup, $(date -u +%Y-%m-%d) ($(nproc) cores, Linux $(uname -r), load average before: $load)"
  echo
  echo "cordon $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(bwrap --version), $(hyperfine --version); $runs runs after $warmup warm-up runs each."
  echo
  python3 "$repo/bench/report.py" "$out_dir/startup.json" \
    cordon/bwrap cordon/bare bwrap/bare unshare/bare cordon/unshare
  if [[ -f "$out_dir/startup-interleaved.json" ]]; then
    echo
    echo "Interleaved rounds (bench/interleave.c), same commands, $runs rounds:"
    echo
    python3 "$repo/bench/report.py" "$out_dir/startup-interleaved.json" \
      cordon/bwrap cordon/bare bwrap/bare unshare/bare cordon/unshare
    python3 - "$out_dir/startup-interleaved.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print()
print("| per-round ratio to bwrap, median | " + " | ".join(r["command"] for r in results) + " |")
print("|---|" + "---|" * len(results))
print("| | " + " | ".join(f"{r['median_round_ratio']:.3f}" for r in results) + " |")
PY
  fi
} | tee "$out_dir/startup.md"
