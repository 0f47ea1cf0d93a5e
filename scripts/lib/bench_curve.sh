# shellcheck shell=bash
# The CURVE part of scripts/bench (issue 17): what CurveZMQ costs on the admission path. Two grids
# run side by side, each a balancer and three substations, one in clear text and one with CURVE
# on every link (keys from grid-keygen, allow directories as in docs/operations.md); the same
# closed-loop grid-loadgen runs go over ZeroMQ straight to each frontend, alternating, round by
# round. Figures: CPU seconds per 1,000 admissions of the balancer and of the substations, and
# p99, with the CURVE grid's figure over the clear grid's as the ratio. Each session is over in
# about 36 ms (1 Wh at 1 kW, grid time 100 times faster), so a substation's CPU goes to admitting
# and ending sessions rather than to re-allocating a book that grows through the run.
# Sourced by scripts/bench after bench_lib.sh; uses its spawn/take_port/wait_for/record helpers
# and its variables (out, quick, rounds, the *_bin paths).

# curve_keys DIR: a key pair per node and the balancer's allow directories, as an operator would.
curve_keys() {
  local dir=$1 name
  mkdir -p "$dir/keys" "$dir/allow-substations" "$dir/allow-clients"
  for name in balancer sub-1 sub-2 sub-3 loadgen; do
    "$keygen_bin" "$name" --dir "$dir/keys" >/dev/null
  done
  cp "$dir/keys/sub-"[123].key "$dir/allow-substations/"
  cp "$dir/keys/loadgen.key" "$dir/allow-clients/"
}

# curve_grid NAME [KEYS_DIR]: a balancer and three substations, with CURVE when KEYS_DIR is given.
# Sets curve_frontend, curve_balancer_pid, curve_substation_pids.
curve_grid() {
  local name=$1 keys=${2:-}
  take_port; curve_frontend=tcp://127.0.0.1:$port
  take_port; local backend=tcp://127.0.0.1:$port
  take_port; local heartbeats=tcp://127.0.0.1:$port
  take_port; local metrics=http://127.0.0.1:$port/metrics
  local balancer_keys=() substation_keys=()
  if [ -n "$keys" ]; then
    balancer_keys=(--curve-secret "$keys/keys/balancer.key_secret" --curve-allow-substations "$keys/allow-substations"
                   --curve-allow-clients "$keys/allow-clients")
  fi
  spawn "$out/curve-$name-balancer.log" "$balancer_bin" --frontend "$curve_frontend" --backend "$backend" \
    --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --max-in-flight 100000 --log-level warn "${balancer_keys[@]}"
  curve_balancer_pid=$spawned
  curve_substation_pids=()
  local i
  for i in 1 2 3; do
    [ -n "$keys" ] && substation_keys=(--curve-secret "$keys/keys/sub-$i.key_secret" --balancer-key "$keys/keys/balancer.key")
    take_port
    spawn "$out/curve-$name-sub-$i.log" "$substation_bin" --id "sub-$i" --capacity-kw 1000000 --balancer "$backend" \
      --heartbeats "$heartbeats" --metrics "127.0.0.1:$port" --time-scale 100 --log-level warn "${substation_keys[@]}"
    curve_substation_pids+=("$spawned")
  done
  wait_for 60 "3 live substations ($name grid)" metric_is "$metrics" balancer_substations_live 3
  curve_metrics=$metrics
}

# curve_drive TARGET JSON [LOADGEN FLAGS...]: one closed-loop run; prints "admitted p99_ms
# balancer_cpu_s_per_1000 substations_cpu_s_per_1000 throughput_rps".
curve_drive() {
  local target=$1 json=$2
  shift 2
  local balancer_before substations_before
  balancer_before=$(cpu_ticks "$curve_balancer_pid")
  substations_before=$(cpu_ticks "${curve_substation_pids[@]}")
  "$loadgen_bin" --target "$target" --vehicles "$curve_vehicles" --concurrency "$curve_w" --power-kw 1 \
    --energy-kwh 0.001 --timeout-ms 20000 --json "$json" --quiet "$@" 2>"${json%.json}.log" ||
    { echo "bench: grid-loadgen failed against $target (see $json)" >&2; return 1; }
  local balancer_ticks substations_ticks admitted
  balancer_ticks=$(($(cpu_ticks "$curve_balancer_pid") - balancer_before))
  substations_ticks=$(($(cpu_ticks "${curve_substation_pids[@]}") - substations_before))
  admitted=$(json_number "$json" charging)
  awk -v n="$admitted" -v p="$(json_number "$json" p99)" -v b="$balancer_ticks" -v s="$substations_ticks" \
    -v hz="$clock_ticks" -v r="$(json_number "$json" throughput_rps)" \
    'BEGIN { printf "%d %.3f %.4f %.4f %.0f\n", n, p, b / hz * 1000 / n, s / hz * 1000 / n, r }'
}

bench_curve() {
  curve_w=16 curve_vehicles=20000
  $quick && curve_vehicles=4000
  echo "bench: CURVE vs clear text on the admission path, W=$curve_w, $curve_vehicles EVs a run ($rounds rounds)"
  local keys=$out/curve-keys
  curve_keys "$keys"
  curve_grid clear
  local clear_frontend=$curve_frontend clear_balancer=$curve_balancer_pid clear_subs=("${curve_substation_pids[@]}")
  curve_grid curve "$keys"
  local secure_frontend=$curve_frontend secure_balancer=$curve_balancer_pid secure_subs=("${curve_substation_pids[@]}")
  local secure_metrics=$curve_metrics
  local client_keys=(--curve-secret "$keys/keys/loadgen.key_secret" --balancer-key "$keys/keys/balancer.key")

  local clear_p99=() clear_bal=() clear_sub=() clear_rps=() secure_p99=() secure_bal=() secure_sub=() secure_rps=()
  local round admitted p99 bal sub rps
  local short=0
  for ((round = 1; round <= rounds; round++)); do
    curve_balancer_pid=$clear_balancer curve_substation_pids=("${clear_subs[@]}")
    read -r admitted p99 bal sub rps < <(curve_drive "$clear_frontend" "$out/curve-clear-r$round.json")
    [ -n "$admitted" ] || return 1
    clear_p99+=("$p99"); clear_bal+=("$bal"); clear_sub+=("$sub"); clear_rps+=("$rps")
    [ "$admitted" -lt "$curve_vehicles" ] && short=$((short + curve_vehicles - admitted))
    curve_balancer_pid=$secure_balancer curve_substation_pids=("${secure_subs[@]}")
    read -r admitted p99 bal sub rps < <(curve_drive "$secure_frontend" "$out/curve-secure-r$round.json" \
      "${client_keys[@]}")
    [ -n "$admitted" ] || return 1
    secure_p99+=("$p99"); secure_bal+=("$bal"); secure_sub+=("$sub"); secure_rps+=("$rps")
    [ "$admitted" -lt "$curve_vehicles" ] && short=$((short + curve_vehicles - admitted))
  done
  local refused
  # metric_value's awk stops reading at the series, which curl may report as a failed write.
  refused=$(metric_value "$secure_metrics" 'balancer_auth_refused_total{socket="frontend"}') || true
  stop_pids "$clear_balancer" "${clear_subs[@]}" "$secure_balancer" "${secure_subs[@]}"

  # "ours" is the CURVE grid, the "floor" the same grid in clear text: the ratio is what CURVE costs.
  record "curve W=$curve_w balancer CPU per 1000 admissions" "$(median "${secure_bal[@]}")" "s" "$(median "${clear_bal[@]}")"
  record "curve W=$curve_w substations CPU per 1000 admissions" "$(median "${secure_sub[@]}")" "s" \
    "$(median "${clear_sub[@]}")"
  record "curve W=$curve_w p99" "$(median "${secure_p99[@]}")" "ms" "$(median "${clear_p99[@]}")"
  record "curve W=$curve_w throughput" "$(median "${secure_rps[@]}")" "req/s" "$(median "${clear_rps[@]}")"
  record "curve: requests not admitted (both grids)" "$short" "count" "" "0" "$(meets "$short" "<=" 0)"
  record "curve: frontend handshakes refused" "${refused:-0}" "count" "" "0" "$(meets "${refused:-0}" "<=" 0)"
}
