# shellcheck shell=bash
# The durability part of scripts/bench (issue 15): what --state costs on the admission path. The
# same closed-loop load (grid-loadgen over ZeroMQ, 1 kW cars that stay an hour, so the sessions
# pile up and every control tick checkpoints more of them) against a balancer and one substation,
# alternately without and with --state (a fresh file each round), and side by side:
#   CPU seconds of the substation process per 1,000 admissions, p99 latency and throughput.
# The in-memory substation is the floor: the ratios are what durability costs.
# Sourced by scripts/bench after bench_lib.sh; uses its spawn/take_port/wait_for/record helpers,
# its drive() and its variables (out, quick, rounds, the *_bin paths).

# durability_round MODE VEHICLES W: one run on a fresh grid; sets dur_rps, dur_p99 (ms) and dur_cpu
# (CPU microseconds of the substation per admission). Not in a subshell: the processes it starts
# stay known to stop_all.
durability_round() {
  local mode=$1 vehicles=$2 w=$3
  take_port; local frontend=tcp://127.0.0.1:$port
  take_port; local backend=tcp://127.0.0.1:$port
  take_port; local heartbeats=tcp://127.0.0.1:$port
  take_port; local balancer_metrics=http://127.0.0.1:$port/metrics
  spawn "$out/durability-balancer-$mode.log" "$balancer_bin" --frontend "$frontend" --backend "$backend" \
    --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --max-in-flight 100000 --log-level warn
  local balancer=$spawned state=()
  if [ "$mode" = state ]; then
    rm -f "$out"/durability-sub.db*
    state=(--state "$out/durability-sub.db")
  fi
  take_port
  spawn "$out/durability-substation-$mode.log" "$substation_bin" --id sub-1 --capacity-kw 1000000 \
    --balancer "$backend" --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --time-scale 1 --log-level warn \
    "${state[@]}"
  local substation=$spawned
  wait_for 60 "a live substation ($mode)" metric_is "$balancer_metrics" balancer_substations_live 1
  read -r dur_rps dur_p99 dur_cpu < <(drive "$frontend" "$w" "$vehicles" "$out/durability-$mode-$RANDOM.json" "$substation")
  stop_pids "$substation" "$balancer"
}

bench_durability() {
  local vehicles=20000 w=16 round
  $quick && vehicles=4000
  echo "bench: durability, $vehicles admissions at W=$w with and without --state ($rounds rounds)"
  local mem_rps=() mem_p99=() mem_cpu=() st_rps=() st_p99=() st_cpu=()
  for ((round = 1; round <= rounds; round++)); do
    durability_round memory "$vehicles" "$w"
    mem_rps+=("$dur_rps"); mem_p99+=("$dur_p99"); mem_cpu+=("$dur_cpu")
    durability_round state "$vehicles" "$w"
    st_rps+=("$dur_rps"); st_p99+=("$dur_p99"); st_cpu+=("$dur_cpu")
  done
  # drive reports microseconds of CPU per admission: the same figure as milliseconds per 1,000.
  record "durability: substation CPU per 1,000 admissions" "$(median "${st_cpu[@]}")" "ms" "$(median "${mem_cpu[@]}")"
  record "durability: p99 admission latency" "$(median "${st_p99[@]}")" "ms" "$(median "${mem_p99[@]}")"
  record "durability: throughput" "$(median "${st_rps[@]}")" "req/s" "$(median "${mem_rps[@]}")"
}
