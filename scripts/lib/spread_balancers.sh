#!/usr/bin/env bash
# How evenly N balancers deciding at once spread a burst over substations of different sizes
# (docs/performance.md, "Several balancers": the spread under a burst). Starts N balancers and
# three substations (300, 200 and 100 kW) wired to all of them on loopback, then sends 400 cars at
# once (3 kW each, so every substation is shared out) over ZeroMQ to all balancers, and prints
# grid-loadgen's spread table: each substation's share of the sessions against its share of the
# capacity.
#
#   scripts/lib/spread_balancers.sh N [BUILD_DIR] [BASE_PORT]     N: 1 to 4; BUILD_DIR: build
set -euo pipefail
n=${1:?usage: spread_balancers.sh N [BUILD_DIR] [BASE_PORT]}
[[ $n =~ ^[1-4]$ ]] || { echo "spread_balancers.sh: N must be 1 to 4" >&2; exit 2; }
bin=${2:-build}/apps
base=${3:-43000}
dir=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

frontends=() backends=() heartbeats=()
for i in $(seq 0 $((n - 1))); do
  port=$((base + i * 10))
  "$bin/balancer/grid-balancer" --frontend "tcp://127.0.0.1:$port" --backend "tcp://127.0.0.1:$((port + 1))" \
    --heartbeats "tcp://127.0.0.1:$((port + 2))" --metrics "127.0.0.1:$((port + 3))" --heartbeat-ms 100 \
    --log-level warn >"$dir/balancer-$i.log" 2>&1 &
  pids+=($!)
  frontends+=("tcp://127.0.0.1:$port")
  backends+=("tcp://127.0.0.1:$((port + 1))")
  heartbeats+=("tcp://127.0.0.1:$((port + 2))")
done
join() { local IFS=,; echo "$*"; }
metrics_port=$((base + 50))
for substation in a:300 b:200 c:100; do
  metrics_port=$((metrics_port + 1))  # not inside the command: a background command expands in its own shell
  "$bin/substation/grid-substation" --id "${substation%%:*}" --capacity-kw "${substation##*:}" \
    --balancer "$(join "${backends[@]}")" --heartbeats "$(join "${heartbeats[@]}")" --heartbeat-ms 100 \
    --metrics "127.0.0.1:$metrics_port" --log-level warn >"$dir/substation-${substation%%:*}.log" 2>&1 &
  pids+=($!)
done
# Every balancer must have heard all three substations before the burst.
for i in $(seq 0 $((n - 1))); do
  for _ in $(seq 100); do
    live=$(curl -fsS "http://127.0.0.1:$((base + i * 10 + 3))/metrics" 2>/dev/null |
      awk '/^balancer_substations_live /{print $2}')
    [[ ${live:-0} == 3 ]] && break
    sleep 0.1
  done
done
echo "$n balancer(s), 400 cars at once:"
"$bin/loadgen/grid-loadgen" --target "$(join "${frontends[@]}")" --vehicles 400 --concurrency 400 --power-kw 3 \
  --energy-kwh 200 --capacity a=300 --capacity b=200 --capacity c=100 |
  sed -n "/outcomes/p;/substation  /,/imbalance/p"
