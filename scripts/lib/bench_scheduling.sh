# shellcheck shell=bash
# The scheduling part of scripts/bench (issue 13): a month of synthetic workplace charging
# (scripts/trace-synth, ~1,000 sessions, ~35 cars at once on a typical morning) replayed through
# real processes (balancer, substations, edge, grid-loadgen --trace) on a grid much smaller than
# the cars' summed maximum power, once per allocation policy and routing policy:
#   one    one 50 kW substation
#   three  three substations splitting the same 50 kW (20, 15, 15)
# Then the cost of one re-allocation at 10, 1,000 and 10,000 sessions (Google Benchmark).
# Sourced by scripts/bench after bench_lib.sh; uses its spawn/take_port/wait_for/record helpers
# and its variables (out, quick, the *_bin paths).

# Grid seconds per real second: a day per second, so a month replays in about 30 s. The control
# tick (10 ms real = 14 grid minutes) and heartbeats (50 ms) are shortened to keep up.
scheduling_scale=86400

# scheduling_run NAME ROUTING ALLOCATION ID=KW...: one replay of $scheduling_trace on a fresh grid.
# Appends one row to scheduling_table and records its figures.
scheduling_run() {
  local layout=$1 routing=$2 allocation=$3
  shift 3
  take_port; local frontend=tcp://127.0.0.1:$port
  take_port; local backend=tcp://127.0.0.1:$port
  take_port; local heartbeats=tcp://127.0.0.1:$port
  take_port; local balancer_metrics=http://127.0.0.1:$port/metrics
  spawn "$out/sched-balancer.log" "$balancer_bin" --frontend "$frontend" --backend "$backend" \
    --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --policy "$routing" --heartbeat-ms 50 --log-level warn
  local pids=("$spawned") metrics=() spec
  for spec in "$@"; do
    take_port
    spawn "$out/sched-${spec%%=*}.log" "$substation_bin" --id "${spec%%=*}" --capacity-kw "${spec#*=}" \
      --balancer "$backend" --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --time-scale "$scheduling_scale" \
      --allocation "$allocation" --control-ms 10 --heartbeat-ms 50 --log-level warn
    pids+=("$spawned")
    metrics+=("http://127.0.0.1:$port/metrics|${spec%%=*}")
  done
  take_port
  local edge_port=$port
  spawn "$out/sched-edge.log" "$edge_bin" --listen "127.0.0.1:$edge_port" --balancer "$frontend" --log-level warn
  pids+=("$spawned")
  wait_for 30 "$# live substations" metric_is "$balancer_metrics" balancer_substations_live "$#"
  wait_for 30 "the edge's /healthz" http_ok "http://127.0.0.1:$edge_port/healthz"

  local json=$out/scheduling-$layout-$routing-$allocation.json
  local started=$SECONDS
  "$loadgen_bin" --target "http://127.0.0.1:$edge_port" --trace "$scheduling_trace" --time-scale "$scheduling_scale" \
    --concurrency 16 --sample-ms 50 --timeout-ms 10000 --json "$json" --quiet \
    --report "${json%.json}.html" >"${json%.json}.txt" 2>&1 || true
  local wall=$((SECONDS - started))
  local switches=0 entry value
  for entry in "${metrics[@]}"; do
    value=$(metric_value "${entry%%|*}" "substation_session_switches_total{substation=\"${entry#*|}\"}") || value=0
    switches=$(awk -v a="$switches" -v b="${value:-0}" 'BEGIN { print a + b }')
  done
  stop_pids "${pids[@]}"

  local admitted refused energy met peak violations per_session name
  admitted=$(json_number "$json" admitted)
  refused=$(json_number "$json" refused)
  energy=$(awk -v v="$(json_number "$json" delivered_share)" 'BEGIN { printf "%.1f", 100 * v }')
  met=$(awk -v v="$(json_number "$json" demand_met_share)" 'BEGIN { printf "%.1f", 100 * v }')
  peak=$(json_number "$json" grid_peak_kw)
  violations=$(json_number "$json" limit_violations)
  per_session=$(awk -v s="$switches" -v n="$admitted" 'BEGIN { printf "%.2f", (n > 0 ? s / n : 0) }')
  scheduling_table+=("$(printf '%-6s %-18s %-12s %9s %8s %9s %8s %8s %11s %10s %6s' "$layout" "$routing" \
    "$allocation" "$admitted" "$refused" "$energy" "$met" "$peak" "$violations" "$per_session" "$wall")")
  name="scheduling $layout $routing $allocation"
  record_json "$name: energy delivered" "$energy" "%"
  record_json "$name: demand met" "$met" "%"
  record_json "$name: peak" "$peak" "kW"
  record_json "$name: limit violations" "$violations" "count"
  record_json "$name: switches per session" "$per_session" "count"
}

bench_scheduling() {
  local days=30
  $quick && days=5
  scheduling_trace=$out/workplace-$days-days.csv
  "$root/scripts/trace-synth" workplace --days "$days" --seed 1 --out "$scheduling_trace" 2>"$out/trace-synth.txt"
  echo "bench: scheduling: $(sed 's/^trace-synth: //' "$out/trace-synth.txt"), at ${scheduling_scale}x"
  scheduling_table=()
  local allocation routing
  for allocation in llf edf equal-share fcfs; do
    scheduling_run one least-utilization "$allocation" site=50
    scheduling_run three least-utilization "$allocation" north=20 south=15 east=15
  done
  for routing in least-load round-robin p2c random; do
    scheduling_run three "$routing" llf north=20 south=15 east=15
  done
  scheduling_matrix=$(
    printf '%-6s %-18s %-12s %9s %8s %9s %8s %8s %11s %10s %6s\n' "grid" "routing" "allocation" "admitted" \
      "refused" "energy %" "met %" "peak kW" "violations" "switch/ses" "wall s"
    printf '%s\n' "${scheduling_table[@]}"
  )

  echo "bench: one re-allocation at 10, 1,000 and 10,000 sessions (Google Benchmark)"
  local min_time=0.5
  $quick && min_time=0.05
  "$reallocation_bin" --benchmark_min_time="$min_time" --benchmark_out="$out/reallocation.json" \
    --benchmark_out_format=json >"$out/reallocation.txt" 2>&1
  local name us at_1000=""
  while read -r name us; do
    case "$name" in
      */10000)
        record "re-allocation: ${name#reallocate/}" "$us" "us" "" "< 1000 us" "$(meets "$us" "<=" 1000)"
        # From 1,000 to 10,000 sessions n log n grows 13.3 times; allow 1.5x that for caches.
        [ -n "$at_1000" ] && record "re-allocation growth ${name#reallocate/} / 1000" \
          "$(ratio "$us" "$at_1000")" "x" "" "<= 20 (n log n: 13.3)" "$(meets "$(ratio "$us" "$at_1000")" "<=" 20)" ;;
      */1000) at_1000=$us; record_json "$name" "$us" "us" ;;
      */10) record_json "$name" "$us" "us" ;;
    esac
  done < <(awk -F': ' '/"name":/ { gsub(/[",]/, "", $2); name = $2 } /"cpu_time":/ { gsub(/,/, "", $2); printf "%s %.2f\n", name, $2 }' \
      "$out/reallocation.json" | grep -v -e _BigO -e _RMS)
}
