#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cc) with clang and runs
# each for a while.
#
#   bash scripts/fuzz.sh             # every target, 30 s each
#   bash scripts/fuzz.sh 600         # every target, 10 min each
#   bash scripts/fuzz.sh 60 fuzz_sni # one target
#
# The seeds in tests/fuzz/corpus/<target>/ are read, never written: what the
# fuzzer finds goes to $BUILD_DIR/corpus/<target>/, and a crashing input to
# $BUILD_DIR/artifacts/ (minimise it with the target's -minimize_crash=1 and
# add it to the seeds once fixed). Exits non-zero when a target fails.
#
# Environment:
#   BUILD_DIR   where to build (default: build-fuzz)
#   JOBS        parallel build jobs (default: nproc)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly seconds="${1:-30}"
shift || true
readonly build_dir="${BUILD_DIR:-build-fuzz}"
readonly jobs="${JOBS:-$(nproc)}"

say() { printf '[fuzz] %s\n' "$*"; }

if (($# > 0)); then
  targets=("$@")
else
  mapfile -t targets < <(find tests/fuzz -maxdepth 1 -name 'fuzz_*.cc' -printf '%f\n' | sed 's/\.cc$//' | sort)
fi
((${#targets[@]} > 0)) || { say "no targets in tests/fuzz"; exit 1; }

# libFuzzer is clang's: the whole configuration uses clang, so that the
# instrumented libraries and the targets agree.
if [[ ! -f "$build_dir/build.ninja" ]]; then
  say "configuring $build_dir with clang"
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCORDON_FUZZ=ON -DCORDON_BENCH=OFF >/dev/null
fi
say "building ${targets[*]}"
if ! ninja -C "$build_dir" -j "$jobs" "${targets[@]}" >"$build_dir/build.log" 2>&1; then
  grep -E 'error|FAILED' "$build_dir/build.log" | head -20
  say "build failed (log: $build_dir/build.log)"
  exit 1
fi

rc=0
for target in "${targets[@]}"; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus" "$build_dir/artifacts"
  seeds=()
  [[ -d "tests/fuzz/corpus/$target" ]] && seeds=("tests/fuzz/corpus/$target")
  say "$target for ${seconds}s"
  log="$build_dir/$target.log"
  if "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build_dir/artifacts/$target-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    execs="$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" || echo '?')"
    cov="$(grep -oP '^#[0-9]+\s+DONE\s+cov: \K[0-9]+' "$log" || echo '?')"
    say "$target: ok, $execs runs, coverage $cov, corpus $(find "$corpus" -type f | wc -l) inputs"
  else
    rc=1
    say "$target: FAILED (log: $log)"
    grep -E '^==[0-9]+==|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done
exit "$rc"
