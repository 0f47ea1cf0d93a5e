#!/usr/bin/env bash
# Instruction counts of the hot paths, with valgrind's callgrind (exact and repeatable, unlike
# timings on a shared machine; this machine's perf has no hardware counters).
#   scripts/lib/bench_profile.sh balancer [REQUESTS]   the balancer under W=64 from grid-loadgen
#   scripts/lib/bench_profile.sh substation [REQUESTS] one of the 3 substations, same load
#   scripts/lib/bench_profile.sh edge [REQUESTS]       the edge under 64 HTTP connections
# Uses the binaries of build-bench/ (run scripts/bench once first). Prints instructions per
# request of the node's loop thread (inclusive) and of the whole process, then the top entries;
# the callgrind file stays in bench-results/profile-<node>-<time>.out for callgrind_annotate.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
source "$root/scripts/lib/bench_lib.sh"
node=${1:?"usage: $0 balancer|substation|edge [REQUESTS]"}
requests=${2:-20000}
build=$root/build-bench
mkdir -p "$root/bench-results"
out=$root/bench-results/profile-$node-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

under() { if [ "$node" = "$1" ]; then echo valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out"; fi; }

take_port; frontend=tcp://127.0.0.1:$port
take_port; backend=tcp://127.0.0.1:$port
take_port; heartbeats=tcp://127.0.0.1:$port
take_port; metrics=127.0.0.1:$port
# shellcheck disable=SC2046
spawn "$out/balancer.log" $(under balancer) "$build/apps/balancer/grid-balancer" --frontend "$frontend" \
  --backend "$backend" --heartbeats "$heartbeats" --metrics "$metrics" --log-level warn --max-in-flight 100000
for i in 1 2 3; do
  take_port
  wrap=""
  [ "$i" = 1 ] && wrap=$(under substation)
  # shellcheck disable=SC2086
  spawn "$out/substation-$i.log" $wrap "$build/apps/substation/grid-substation" --id "sub-$i" --capacity-kw 1000000 \
    --balancer "$backend" --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --log-level warn
done
wait_for 120 "3 live substations" metric_is "http://$metrics/metrics" balancer_substations_live 3
profiled=${bench_pids[0]}
[ "$node" = substation ] && profiled=${bench_pids[1]}
target=$frontend
if [ "$node" = edge ]; then
  take_port
  # shellcheck disable=SC2046
  spawn "$out/edge.log" $(under edge) "$build/apps/edge/grid-edge" --listen "127.0.0.1:$port" --balancer "$frontend" \
    --log-level warn
  profiled=$spawned
  target=http://127.0.0.1:$port
  wait_for 120 "the edge's /healthz" http_ok "$target/healthz"
fi
"$build/apps/loadgen/grid-loadgen" --target "$target" --vehicles "$requests" --concurrency 64 --power-kw 1 \
  --energy-kwh 1 --timeout-ms 60000 --json "$out/loadgen.json" --quiet
stop_pids "$profiled"
echo "profile of $node: $requests requests, W=64 ($(json_number "$out/loadgen.json" throughput_rps) req/s under valgrind)"
callgrind_annotate --inclusive=yes "$out/callgrind.out" >"$out/inclusive.txt" 2>/dev/null
callgrind_annotate "$out/callgrind.out" >"$out/exclusive.txt" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ { gsub(/,/, "", $1); print $1; exit }' "$out/inclusive.txt")
loop=$(awk '/PollLoop::run\(\)/ { gsub(/,/, "", $1); print $1; exit }' "$out/inclusive.txt")
awk -v t="$total" -v l="$loop" -v n="$requests" \
  'BEGIN { printf "instructions per request: node loop thread %.0f, whole process %.0f\n", l / n, t / n }'
echo "top entries, exclusive:"
sed -n '/^Ir/,$p' "$out/exclusive.txt" | grep -E '^ *[0-9]' | head -n 25 | cut -c1-160
echo "callgrind file: $out/callgrind.out"
