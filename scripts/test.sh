#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every check cordon has, in the order a
# reviewer wants them: lint, the unit tests under ASan+UBSan, the demo, then
# the integration and escape tests on the normal build (with SKIP_ASAN=1,
# the unit tests run there instead). Every stage runs even when an earlier one failed, so one run shows
# everything; the exit status is non-zero when any stage failed. ctest's own
# summary is the last thing printed.
#
# This is what CI runs (.ci/run). On 2 cores it takes well under 20 minutes
# (each stage prints its time).
#
# Environment:
#   SKIP_LINT=1, SKIP_ASAN=1, SKIP_DEMO=1   leave a stage out (local use)
#   JOBS                                    parallelism (default: nproc)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${JOBS:-$(nproc)}"
export JOBS="$jobs"

failed=()
stage_start=0
begin() {
  stage_start=$SECONDS
  printf '\n=== %s\n' "$*"
}
end() {
  local name=$1 rc=$2
  if ((rc == 0)); then
    printf '=== %s: ok (%ds)\n' "$name" $((SECONDS - stage_start))
  else
    printf '=== %s: FAILED, exit %d (%ds)\n' "$name" "$rc" $((SECONDS - stage_start))
    failed+=("$name")
  fi
}

# The unit tests are built and run once, under ASan+UBSan (build-asan), not
# also in ./build; without the ASan stage they are built and run in ./build.
asan=1
[[ "${SKIP_ASAN:-0}" == 1 ]] && asan=0
begin "setup"
if ((asan)); then
  BUILD_TARGET=all_but_unit_tests bash scripts/setup.sh
else
  bash scripts/setup.sh
fi
rc=$?
end setup $rc
if ((rc != 0)); then
  echo "setup failed; nothing else can run" >&2
  exit 1
fi

if [[ "${SKIP_LINT:-0}" != 1 ]]; then
  begin "lint (clang-format, clang-tidy)"
  BUILD_DIR=build bash scripts/lint.sh
  end lint $?
fi

# The unit tests with AddressSanitizer and UndefinedBehaviorSanitizer: the
# pure modules (policy, shell analysis, patterns) parse untrusted text. -O0:
# the sanitizers miss nothing without optimisation, and it halves this
# stage's compile time (policy_flags_test.cc: 39.8 s at -O1, 17.4 s at -O0).
if ((asan)); then
  begin "unit tests under ASan+UBSan (build-asan)"
  (
    set -e
    if [[ ! -f build-asan/build.ninja ]]; then
      cmake -S . -B build-asan -G Ninja -DCORDON_SANITIZE=ON -DCORDON_BENCH=OFF \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O0" -DCMAKE_C_FLAGS_DEBUG="-g1 -O0" \
        >/dev/null
    fi
    if ninja -C build-asan -t targets all | grep -q '^unit_tests:'; then
      cmake --build build-asan --parallel "$jobs" --target unit_tests -- --quiet
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
      export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      # The full log only when something failed; the summary otherwise.
      log=build-asan/ctest-unit.log
      if ctest --test-dir build-asan -R '^unit\.' --output-on-failure -j "$jobs" \
        --no-tests=error >"$log" 2>&1; then
        grep -E 'tests passed|tests failed' "$log" || tail -n 3 "$log"
      else
        cat "$log"
        exit 1
      fi
    else
      echo "no unit_tests target yet (tests/unit/ is empty)"
    fi
  )
  end asan $?
fi

# The main job, end to end: also proves the README's first command works.
if [[ "${SKIP_DEMO:-0}" != 1 ]]; then
  begin "demo (scripts/demo.sh)"
  bash scripts/demo.sh
  end demo $?
fi

if ((asan)); then
  begin "ctest: integration and escape tests (build; the unit tests ran under ASan above)"
  ctest --test-dir build --output-on-failure -j "$jobs" --no-tests=error -E '^unit'
else
  begin "ctest: unit, integration and escape tests (build)"
  ctest --test-dir build --output-on-failure -j "$jobs" --no-tests=error
fi
ctest_rc=$?
if ((${#failed[@]} > 0)); then
  printf '\nFAILED stages before ctest: %s\n' "${failed[*]}" >&2
  exit 1
fi
exit "$ctest_rc"
