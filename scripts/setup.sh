#!/usr/bin/env bash
# Sets up a machine for cordon and builds it into ./build.
#
# Run as root on a fresh Debian 12: installs every Debian package the build,
# the tests and the benchmarks need, creates the unprivileged test user, then
# configures and builds (RelWithDebInfo, Ninja). Safe to run again: packages
# already present are not reinstalled, the user is created once, and the build
# is incremental. Works from any clone path, with no terminal (CI).
#
# Environment:
#   BUILD_DIR    where to build (default: build, relative to the repository)
#   BUILD_TYPE   CMake build type (default: RelWithDebInfo)
#   JOBS         parallel build jobs (default: nproc)
#   BUILD_TARGET what to build (default: all; scripts/test.sh builds
#                all_but_unit_tests, since it builds the unit tests with ASan)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly repo_root="$PWD"
readonly build_dir="${BUILD_DIR:-build}"
readonly build_type="${BUILD_TYPE:-RelWithDebInfo}"
readonly jobs="${JOBS:-$(nproc)}"
readonly build_target="${BUILD_TARGET:-all}"
readonly test_user="cordon-test"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# Everything the project uses, grouped by what needs it. Keep this list the
# single place where a dependency is added (DESIGN.md "Dependencies").
packages=(
  # build
  cmake ninja-build g++ make pkg-config
  # clang: clang-tidy, the sanitizer and libFuzzer runtimes, clang-format
  clang libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libseccomp-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libasio-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev
  # IDNA host names for the egress proxy (static archives: libidn2.a and libunistring.a)
  libidn2-dev libunistring-dev
  # tests, demo and benchmarks: peers to compare with, and what probes use
  bubblewrap hyperfine curl git python3 openssl iproute2 procps util-linux nftables strace
  # useradd/usermod (priority "required" on Debian, listed so that a
  # trimmed image still gets it)
  passwd
)

# --- packages ---------------------------------------------------------------

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  [[ $EUID -eq 0 ]] || die "packages missing (${missing[*]}); run this script as root to install them"
  command -v apt-get >/dev/null || die "apt-get not found: this script expects Debian 12"
  say "installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
else
  say "all ${#packages[@]} packages present"
fi

# --- test user ----------------------------------------------------------------

# The integration and escape tests also run cordon as an ordinary user, since
# unprivileged use is cordon's main case and root hides mistakes.
if [[ $EUID -eq 0 ]]; then
  if ! id -u "$test_user" >/dev/null 2>&1; then
    say "creating user $test_user"
    useradd --create-home --shell /bin/bash --user-group "$test_user"
  fi
elif ! id -u "$test_user" >/dev/null 2>&1; then
  say "note: user $test_user does not exist (run as root to create it); tests needing it will skip"
fi

# cordon's full mode needs unprivileged user namespaces. Debian 12 allows
# them by default; say so plainly when this host does not, since the tests
# as $test_user would then fail for a reason that is not cordon's.
userns_sysctl=/proc/sys/kernel/unprivileged_userns_clone
if [[ -r $userns_sysctl && "$(cat "$userns_sysctl")" == 0 ]]; then
  say "warning: kernel.unprivileged_userns_clone=0; unprivileged users cannot create user"
  say "         namespaces here (enable with: sysctl -w kernel.unprivileged_userns_clone=1)"
fi
if [[ -r /proc/sys/user/max_user_namespaces && "$(cat /proc/sys/user/max_user_namespaces)" == 0 ]]; then
  say "warning: user.max_user_namespaces=0; user namespaces are disabled on this host"
fi

# --- build --------------------------------------------------------------------

# Reconfigure only when there is no configured tree yet; the build itself
# re-runs CMake whenever a CMakeLists.txt changed.
if [[ ! -f "$build_dir/build.ninja" ]]; then
  say "configuring $build_dir ($build_type)"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
fi
say "building $build_target in $build_dir with $jobs job(s)"
cmake --build "$build_dir" --parallel "$jobs" --target "$build_target" -- --quiet
say "built $repo_root/$build_dir/cordon"
