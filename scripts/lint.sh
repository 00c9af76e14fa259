#!/usr/bin/env bash
# Checks formatting (clang-format, .clang-format) and runs the static checks
# (clang-tidy, .clang-tidy) over cordon's sources. Exits non-zero on any
# finding. Needs a configured build directory for compile_commands.json
# (scripts/setup.sh makes one).
#
#   bash scripts/lint.sh             # both
#   bash scripts/lint.sh format      # clang-format only (seconds)
#   bash scripts/lint.sh tidy        # clang-tidy only (minutes)
#   bash scripts/lint.sh fix         # rewrite files in place with clang-format
#
# Environment:
#   BUILD_DIR   the build with compile_commands.json (default: build)
#   JOBS        parallel clang-tidy processes (default: nproc)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly build_dir="${BUILD_DIR:-build}"
readonly jobs="${JOBS:-$(nproc)}"
readonly what="${1:-all}"

say() { printf '[lint] %s\n' "$*"; }

# Tracked and new (not ignored) files, so that a file is checked before its
# first commit; outside a git checkout, every file.
list_sources() {
  local dirs=("$@")
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- "${dirs[@]}"
  else
    find "${dirs[@]}" -type f 2>/dev/null
  fi | grep -E '\.(c|cc|cpp|h|hh|hpp)$' | while read -r f; do
    [[ -f "$f" ]] && printf '%s\n' "$f" # skip files deleted but not yet committed
  done | sort -u
}

run_format() {
  local files
  mapfile -t files < <(list_sources src tools tests bench)
  if ((${#files[@]} == 0)); then
    say "clang-format: no files"
    return 0
  fi
  if [[ "$what" == fix ]]; then
    clang-format -i "${files[@]}"
    say "clang-format: rewrote ${#files[@]} file(s) in place"
    return 0
  fi
  if clang-format --dry-run --Werror "${files[@]}"; then
    say "clang-format: ${#files[@]} file(s) clean"
  else
    say "clang-format: findings above; fix with: bash scripts/lint.sh fix"
    return 1
  fi
}

run_tidy() {
  local db="$build_dir/compile_commands.json"
  if [[ ! -f "$db" ]]; then
    say "clang-tidy: $db missing; run scripts/setup.sh first"
    return 1
  fi
  # Translation units only: headers are checked through them
  # (HeaderFilterRegex in .clang-tidy). Only files the build compiles have
  # the flags clang-tidy needs.
  local files
  mapfile -t files < <(list_sources src tools | grep -E '\.(c|cc|cpp)$' | while read -r f; do
    grep -qF "\"$PWD/$f\"" "$db" && printf '%s\n' "$f"
  done || true)
  if ((${#files[@]} == 0)); then
    say "clang-tidy: no translation units in $db"
    return 0
  fi
  local log
  log="$(mktemp)"
  # One clang-tidy per file, $jobs at a time; --quiet drops the
  # "N warnings generated" noise, the grep drops what is left of it.
  local rc=0
  printf '%s\n' "${files[@]}" |
    xargs -P "$jobs" -n 1 clang-tidy -p "$build_dir" --quiet >"$log" 2>&1 || rc=$?
  grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' \
    "$log" || true
  rm -f "$log"
  if ((rc != 0)); then
    say "clang-tidy: findings above (${#files[@]} file(s) checked)"
    return 1
  fi
  say "clang-tidy: ${#files[@]} file(s) clean"
}

rc=0
case "$what" in
  all) run_format || rc=1; run_tidy || rc=1 ;;
  format | fix) run_format || rc=1 ;;
  tidy) run_tidy || rc=1 ;;
  *) echo "usage: $0 [all|format|tidy|fix]" >&2; exit 2 ;;
esac
exit "$rc"
