#!/usr/bin/env bash
# The egress proxy against a direct loopback connection, in one run, as
# ratios (DESIGN.md "Performance"; issue 4):
#
#   throughput   curl downloading SIZE bytes (1 GiB) from a local HTTP server,
#                directly and through the proxy's CONNECT (`curl -p --proxy`),
#                RUNS times each, alternating; medians and their ratio.
#                Target: proxied / direct >= 0.9. The floor relay (below) is
#                measured in the same rotation, and when socat is installed, a
#                socat TCP relay too (the issue's peer).
#   connections  connect, one byte each way, close: per second and per
#                connection (p50, p99), directly and through CONNECT; the
#                difference of the medians is the latency the proxy adds.
#                One client is measured ROUNDS times in turn with the floor
#                relay and direct, and the medians of the rounds are kept.
#   floor        `egress_bench floor`: the least any CONNECT proxy does here
#                (blocking, one connection at a time, no decision, splice).
#                What it costs over direct is the protocol's and the
#                kernel's share; what the proxy costs over it is the proxy's.
#   memory       RSS of the proxy process with IDLE client connections that
#                sent nothing, and with IDLE established, idle CONNECT tunnels.
#
# Every server and client is on 127.0.0.1; the proxy is bench/egress_proxy_main
# (one allow rule for bench.test, mapped to 127.0.0.1).
#
# Environment:
#   BUILD_DIR  the build with bench/egress_bench and bench/egress_proxy_main
#              (default: build)
#   SIZE       bytes per download (default: 1073741824)
#   RUNS       downloads per side (default: 5)
#   IDLE       idle connections (default: 5000)
#   RATE_SECONDS  seconds per connection-rate measurement (default: 3)
#   ROUNDS     one-client latency rounds (default: 5)
#   OUT_DIR    where egress.md goes (default: bench/results)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
[[ "$build" = /* ]] || build="$repo/$build"
size="${SIZE:-1073741824}"
runs="${RUNS:-5}"
idle="${IDLE:-5000}"
rate_seconds="${RATE_SECONDS:-3}"
rounds="${ROUNDS:-5}"
out_dir="${OUT_DIR:-$repo/bench/results}"
bench="$build/bench/egress_bench"
proxy_bin="$build/bench/egress_proxy_main"

for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/setup.sh" >&2; exit 1; }
done
for bin in "$bench" "$proxy_bin"; do
  [[ -x "$bin" ]] || { echo "$bin not built: ninja -C $build egress_bench egress_proxy_main" >&2; exit 1; }
done
mkdir -p "$out_dir"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cordon-bench-egress.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts a program in the background whose first line says its ports; waits
# for that line.
start() {
  local name="$1"
  shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=("$!")
  for _ in $(seq 100); do
    [[ -s "$tmp/$name.out" ]] && return 0
    sleep 0.05
  done
  echo "$name did not start: $(cat "$tmp/$name.err")" >&2
  exit 1
}
field() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$tmp/$1.out"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

start servers "$bench" serve
http_port="$(field servers http)"
echo_port="$(field servers echo)"
start proxy "$proxy_bin"
proxy_port="$(field proxy http)"
start floor "$bench" floor
floor_port="$(field floor http)"

socat_port=""
if command -v socat >/dev/null && command -v ss >/dev/null; then
  socat TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr "TCP:127.0.0.1:$http_port" &
  pids+=("$!")
  socat_pid="$!"
  for _ in $(seq 50); do
    socat_port="$(ss -ltnp | grep "pid=$socat_pid," | awk '{print $4}' | sed 's/.*://' | head -1)"
    [[ -n "$socat_port" ]] && break
    sleep 0.05
  done
fi

load_before="$(cut -d" " -f1-3 /proc/loadavg)"
echo "[egress] load average before: $load_before; $(nproc) CPUs"

# --- Throughput.
url="http://bench.test:$http_port/$size"
: >"$tmp/direct" && : >"$tmp/proxied" && : >"$tmp/socat" && : >"$tmp/floor"
sides=(direct proxied floor)
[[ -n "$socat_port" ]] && sides+=(socat)
for i in $(seq "$runs"); do
  # Rotate the order so that no side always runs first.
  for j in "${!sides[@]}"; do
    side="${sides[$(((i + j) % ${#sides[@]}))]}"
    case "$side" in
      direct) curl -sS -o /dev/null -w '%{speed_download}\n' "http://127.0.0.1:$http_port/$size" ;;
      proxied)
        curl -sS -p --proxy "http://127.0.0.1:$proxy_port" -o /dev/null \
          -w '%{speed_download}\n' "$url"
        ;;
      floor)
        curl -sS -p --proxy "http://127.0.0.1:$floor_port" -o /dev/null \
          -w '%{speed_download}\n' "$url"
        ;;
      socat) curl -sS -o /dev/null -w '%{speed_download}\n' "http://127.0.0.1:$socat_port/$size" ;;
    esac >>"$tmp/$side"
  done
done
direct_bps="$(median <"$tmp/direct")"
proxied_bps="$(median <"$tmp/proxied")"
ratio="$(python3 -c "print(f'{$proxied_bps / $direct_bps:.2f}')")"
mib() { python3 -c "print(f'{$1 / 1048576:.0f}')"; }
echo "[egress] throughput: direct $(mib "$direct_bps") MiB/s, CONNECT $(mib "$proxied_bps") MiB/s, ratio $ratio"
echo "[egress]   direct runs (B/s): $(tr '\n' ' ' <"$tmp/direct")"
echo "[egress]   proxied runs (B/s): $(tr '\n' ' ' <"$tmp/proxied")"
floor_bps="$(median <"$tmp/floor")"
floor_ratio="$(python3 -c "print(f'{$floor_bps / $direct_bps:.2f}')")"
vs_floor="$(python3 -c "print(f'{$proxied_bps / $floor_bps:.2f}')")"
echo "[egress]   floor relay runs (B/s): $(tr '\n' ' ' <"$tmp/floor"); ratio $floor_ratio; proxy / floor $vs_floor"
socat_row="-"  # no socat: the row is left out
if [[ -s "$tmp/socat" ]]; then
  socat_bps="$(median <"$tmp/socat")"
  socat_ratio="$(python3 -c "print(f'{$socat_bps / $direct_bps:.2f}')")"
  echo "[egress]   socat relay runs (B/s): $(tr '\n' ' ' <"$tmp/socat"); ratio $socat_ratio"
  socat_row="| throughput, curl, socat TCP relay (peer), median of $runs | $(mib "$direct_bps") MiB/s | $(mib "$socat_bps") MiB/s | ${socat_ratio}x |"
fi

# --- Connections.
# One client: ROUNDS rounds of direct, proxy and floor in turn; the median of
# each side's p50 (and p99) over the rounds.
: >"$tmp/lat_direct" && : >"$tmp/lat_proxied" && : >"$tmp/lat_floor"
val() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
for _ in $(seq "$rounds"); do
  for side in direct proxied floor; do
    case "$side" in
      direct) r="$("$bench" rate "$echo_port" "$rate_seconds" 1)" ;;
      proxied) r="$("$bench" rate "$echo_port" "$rate_seconds" 1 "$proxy_port")" ;;
      floor) r="$("$bench" rate "$echo_port" "$rate_seconds" 1 "$floor_port")" ;;
    esac
    echo "$(val "$r" p50_us) $(val "$r" p99_us)" >>"$tmp/lat_$side"
  done
done
p50() { cut -d" " -f1 <"$tmp/lat_$1" | median; }
p99() { cut -d" " -f2 <"$tmp/lat_$1" | median; }
direct4="$("$bench" rate "$echo_port" "$rate_seconds" 4)"
proxied4="$("$bench" rate "$echo_port" "$rate_seconds" 4 "$proxy_port")"
added_us="$(python3 -c "print(f'{$(p50 proxied) - $(p50 direct):.0f}')")"
floor_us="$(python3 -c "print(f'{$(p50 floor) - $(p50 direct):.0f}')")"
own_us="$(python3 -c "print(f'{$(p50 proxied) - $(p50 floor):.0f}')")"
rate_ratio="$(python3 -c "print(f'{$(val "$proxied4" rate) / $(val "$direct4" rate):.2f}')")"
for side in direct proxied floor; do
  echo "[egress] one client, $side: p50 / p99 per round (us): $(tr '\n' ',' <"$tmp/lat_$side")"
done
echo "[egress] four clients: direct $direct4"
echo "[egress]               CONNECT $proxied4"
echo "[egress] added per connection (p50, one client): proxy ${added_us} us, floor relay ${floor_us} us, proxy over floor ${own_us} us; rate ratio (four clients): $rate_ratio"

# --- Memory with idle connections (a fresh proxy for each kind).
measure_idle() {
  local kind="$1"
  start "proxy_$kind" "$proxy_bin"
  local port pid before after
  port="$(field "proxy_$kind" http)"
  pid="$(field "proxy_$kind" pid)"
  before="$(rss_kib "$pid")"
  mkfifo "$tmp/hold_$kind"
  "$bench" idle "$echo_port" "$idle" "$port" "$kind" <"$tmp/hold_$kind" >"$tmp/idle_$kind.out" &
  local client="$!"
  exec 9>"$tmp/hold_$kind"
  for _ in $(seq 600); do
    grep -q "^open" "$tmp/idle_$kind.out" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  after="$(rss_kib "$pid")"
  exec 9>&-
  wait "$client"
  kill "$pid"
  echo "$before $after"
}
read -r client_before client_after <<<"$(measure_idle client)"
read -r tunnel_before tunnel_after <<<"$(measure_idle tunnel)"
per_conn() { python3 -c "print(f'{($2 - $1) * 1024 / $idle:.0f}')"; }
echo "[egress] memory: $idle idle client connections: RSS ${client_before} -> ${client_after} KiB ($(per_conn "$client_before" "$client_after") B each)"
echo "[egress]         $idle idle CONNECT tunnels:     RSS ${tunnel_before} -> ${tunnel_after} KiB ($(per_conn "$tunnel_before" "$tunnel_after") B each)"

load_after="$(cut -d" " -f1-3 /proc/loadavg)"
grep -vx -- - >"$out_dir/egress.md" <<EOF
| measure | direct | through the proxy | ratio / cost |
|---|---|---|---|
| throughput, curl, $(mib "$size") MiB, CONNECT, median of $runs | $(mib "$direct_bps") MiB/s | $(mib "$proxied_bps") MiB/s | **${ratio}x** |
| throughput, floor relay (blocking, splice, no decision), median of $runs | $(mib "$direct_bps") MiB/s | $(mib "$floor_bps") MiB/s | ${floor_ratio}x (proxy / floor: ${vs_floor}x) |
${socat_row}
| connections/s, 4 clients, ${rate_seconds} s | $(val "$direct4" rate) | $(val "$proxied4" rate) | ${rate_ratio}x |
| per connection, 1 client, p50 / p99, median of $rounds rounds | $(p50 direct) / $(p99 direct) µs | $(p50 proxied) / $(p99 proxied) µs | +${added_us} µs (p50) |
| per connection, floor relay, same rounds | $(p50 direct) / $(p99 direct) µs | $(p50 floor) / $(p99 floor) µs | +${floor_us} µs (p50); proxy over floor: +${own_us} µs |
| proxy RSS, $idle idle client connections | | ${client_before} → ${client_after} KiB | $(per_conn "$client_before" "$client_after") B each |
| proxy RSS, $idle idle CONNECT tunnels | | ${tunnel_before} → ${tunnel_after} KiB | $(per_conn "$tunnel_before" "$tunnel_after") B each |

Load average before / after: $load_before / $load_after ($(nproc) CPUs).
EOF
echo "[egress] wrote $out_dir/egress.md"
