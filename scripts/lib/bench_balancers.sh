# shellcheck shell=bash
# The several-balancers part of scripts/bench (issue 16): does a second (and a fourth) balancer
# add throughput? Three grids run side by side, each of 8 substations with ample capacity, one
# with 1 balancer, one with 2, one with 4; every substation of a grid reports to each of its
# balancers (jobs from all, heartbeats and Admitted announcements to all). The same open-loop
# grid-loadgen run, at an offered rate above what one balancer takes, goes over ZeroMQ to all of
# a grid's frontends (--target repeated: requests spread round robin), grid after grid, round by
# round. Figures: admissions per second and p99 with their ratios to the 1-balancer grid; CPU
# seconds per 1,000 admissions of the balancers (all of a grid's together, and one balancer's
# for its own admissions) and of the substations; and what each balancer receives per second
# (heartbeats, Admitted announcements), for sizing larger grids (docs/operations.md).
# Sessions last about 36 ms (1 Wh at 1 kW, grid time 100 times faster), as in the CURVE part.
# Sourced by scripts/bench after bench_lib.sh; uses its spawn/take_port/wait_for/record helpers
# and its variables (out, quick, rounds, the *_bin paths).

balancers_substations=8
balancers_heartbeat_ms=250

# balancers_grid N: N balancers and the substations, reporting to all of them. Sets
# grid_frontends (comma list), grid_balancer_pids, grid_balancer_metrics, grid_substation_pids,
# grid_substation_metrics.
balancers_grid() {
  local n=$1 k i
  local to_backends=() to_heartbeats=()
  grid_frontends="" grid_balancer_pids=() grid_balancer_metrics=() grid_substation_pids=() grid_substation_metrics=()
  for ((k = 1; k <= n; k++)); do
    take_port; local frontend=tcp://127.0.0.1:$port
    take_port; local backend=tcp://127.0.0.1:$port
    take_port; local heartbeat=tcp://127.0.0.1:$port
    take_port
    spawn "$out/balancers-$n-balancer-$k.log" "$balancer_bin" --frontend "$frontend" --backend "$backend" \
      --heartbeats "$heartbeat" --metrics "127.0.0.1:$port" --heartbeat-ms "$balancers_heartbeat_ms" \
      --max-in-flight 100000 --log-level warn
    grid_balancer_pids+=("$spawned")
    grid_balancer_metrics+=("http://127.0.0.1:$port/metrics")
    grid_frontends+=${grid_frontends:+,}$frontend
    to_backends+=(--balancer "$backend")
    to_heartbeats+=(--heartbeats "$heartbeat")
  done
  for ((i = 1; i <= balancers_substations; i++)); do
    take_port
    spawn "$out/balancers-$n-sub-$i.log" "$substation_bin" --id "sub-$i" --capacity-kw 1000000 "${to_backends[@]}" \
      "${to_heartbeats[@]}" --heartbeat-ms "$balancers_heartbeat_ms" --metrics "127.0.0.1:$port" --time-scale 100 \
      --log-level warn
    grid_substation_pids+=("$spawned")
    grid_substation_metrics+=("http://127.0.0.1:$port/metrics")
  done
  for k in "${!grid_balancer_metrics[@]}"; do
    wait_for 60 "$balancers_substations live substations at balancer $((k + 1)) of $n" \
      metric_is "${grid_balancer_metrics[$k]}" balancer_substations_live "$balancers_substations"
  done
}

# metrics_total URLS... -- PREFIX: the sum over the pages of every series starting with PREFIX.
metrics_total() {
  local urls=() url
  while [ "$1" != "--" ]; do urls+=("$1"); shift; done
  local prefix=$2 total=0 value
  for url in "${urls[@]}"; do
    value=$(curl -fsS --max-time 2 "$url" 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 { s += $2 } END { print s + 0 }')
    total=$(awk -v a="$total" -v b="${value:-0}" 'BEGIN { print a + b }')
  done
  echo "$total"
}

# balancers_drive N JSON: one open-loop run against the grid of N balancers (its variables
# selected by the caller). Prints "admissions_per_s p99_ms balancers_cpu_s_per_1000
# one_balancer_cpu_s_per_1000 substations_cpu_s_per_1000 heartbeats_per_s_per_balancer
# admitted_per_s_per_balancer not_admitted".
balancers_drive() {
  local n=$1 json=$2
  local balancer_ticks_before=() k
  for k in "${!grid_balancer_pids[@]}"; do balancer_ticks_before+=("$(cpu_ticks "${grid_balancer_pids[$k]}")"); done
  local substations_before heartbeats_before announced_before own_before started
  substations_before=$(cpu_ticks "${grid_substation_pids[@]}")
  heartbeats_before=$(metrics_total "${grid_balancer_metrics[@]}" -- balancer_heartbeats_received_total)
  announced_before=$(metrics_total "${grid_substation_metrics[@]}" -- substation_admissions_announced_total)
  own_before=$(metrics_total "${grid_balancer_metrics[0]}" -- 'balancer_requests_total{outcome="charging"}')
  started=$(date +%s.%N)
  "$loadgen_bin" --target "$grid_frontends" --vehicles "$balancers_vehicles" --rate "$balancers_rate" \
    --concurrency 512 --power-kw 1 --energy-kwh 0.001 --timeout-ms 20000 --json "$json" --quiet \
    2>"${json%.json}.log" || true
  local elapsed
  elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  local balancers_ticks=0 first_ticks
  for k in "${!grid_balancer_pids[@]}"; do
    local ticks=$(($(cpu_ticks "${grid_balancer_pids[$k]}") - balancer_ticks_before[k]))
    [ "$k" = 0 ] && first_ticks=$ticks
    balancers_ticks=$((balancers_ticks + ticks))
  done
  local substations_ticks=$(($(cpu_ticks "${grid_substation_pids[@]}") - substations_before))
  local received announced own admitted
  received=$(awk -v a="$heartbeats_before" -v b="$(metrics_total "${grid_balancer_metrics[@]}" -- \
    balancer_heartbeats_received_total)" 'BEGIN { print b - a }')
  announced=$(awk -v a="$announced_before" -v b="$(metrics_total "${grid_substation_metrics[@]}" -- \
    substation_admissions_announced_total)" 'BEGIN { print b - a }')
  own=$(awk -v a="$own_before" -v b="$(metrics_total "${grid_balancer_metrics[0]}" -- \
    'balancer_requests_total{outcome="charging"}')" 'BEGIN { print b - a }')
  admitted=$(json_number "$json" charging)
  # Every balancer's SUB receives every substation's heartbeats and announcements: per balancer,
  # heartbeats are the grid's total over n; each announcement is published once and reaches all n.
  awk -v a="${admitted:-0}" -v w="$(json_number "$json" wall_s)" -v p="$(json_number "$json" p99)" \
    -v bt="$balancers_ticks" -v ft="$first_ticks" -v own="$own" -v st="$substations_ticks" -v hz="$clock_ticks" \
    -v hb="$received" -v an="$announced" -v el="$elapsed" -v n="$n" -v planned="$balancers_vehicles" \
    'BEGIN { per = (a > 0) ? 1000 / a : 0
             printf "%.0f %.3f %.4f %.4f %.4f %.1f %.0f %d\n", (w > 0 ? a / w : 0), p, bt / hz * per,
               (own > 0 ? ft / hz * 1000 / own : 0), st / hz * per, hb / n / el, an / el, planned - a }'
}

# balancers_heartbeat_load: what heartbeats alone cost one balancer of a large grid. One balancer
# hears 10,000 invented substations every 250 ms (40,000 heartbeats a second, grid_heartbeat_flood)
# for 10 s: its CPU share of one core, the heartbeats it applied per second, its resident memory.
balancers_heartbeat_load() {
  if [ ! -x "$flood_bin" ]; then
    echo "bench: no $flood_bin (a build with -DGRID_BUILD_BENCH=ON): heartbeat load skipped"
    return 0
  fi
  local substations=10000 interval_ms=250 seconds=10
  take_port; local frontend=$port; take_port; local backend=$port; take_port; local heartbeats=$port
  take_port; local metrics=http://127.0.0.1:$port/metrics
  spawn "$out/balancers-flood-balancer.log" "$balancer_bin" --frontend "tcp://127.0.0.1:$frontend" \
    --backend "tcp://127.0.0.1:$backend" --heartbeats "tcp://127.0.0.1:$heartbeats" --metrics "127.0.0.1:$port" \
    --max-substations "$substations" --heartbeat-ms "$interval_ms" --log-level warn
  local balancer=$spawned
  wait_for 30 "the balancer's /healthz" http_ok "${metrics%/metrics}/healthz"
  spawn "$out/balancers-flood.log" "$flood_bin" --heartbeats "tcp://127.0.0.1:$heartbeats" \
    --substations "$substations" --interval-ms "$interval_ms"
  local flood=$spawned
  wait_for 60 "$substations live substations" metric_is "$metrics" balancer_substations_live "$substations"
  local ticks_before received_before ticks received
  ticks_before=$(cpu_ticks "$balancer")
  received_before=$(metrics_total "$metrics" -- balancer_heartbeats_received_total)
  sleep "$seconds"
  ticks=$(($(cpu_ticks "$balancer") - ticks_before))
  received=$(awk -v a="$received_before" -v b="$(metrics_total "$metrics" -- balancer_heartbeats_received_total)" \
    'BEGIN { print b - a }')
  record "balancers: 10000 substations at 250 ms, heartbeats applied" \
    "$(awk -v r="$received" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')" "1/s"
  record "balancers: 10000 substations at 250 ms, balancer CPU" \
    "$(awk -v t="$ticks" -v hz="$clock_ticks" -v s="$seconds" 'BEGIN { printf "%.1f", 100 * t / hz / s }')" "%"
  record "balancers: 10000 substations at 250 ms, balancer RSS" "$(($(rss_kb "$balancer" VmRSS) / 1024))" "MiB"
  stop_pids "$flood" "$balancer"
}

bench_balancers() {
  # Above what one balancer's grid takes on 2 cores (about 26,000 a second, loadgen included), so
  # the 1-balancer grid is saturated and any gain of more balancers can show; 5 s a run.
  balancers_rate=40000 balancers_vehicles=200000
  $quick && balancers_vehicles=40000
  echo "bench: 1, 2 and 4 balancers, $balancers_substations substations, open loop at $balancers_rate/s," \
    "$balancers_vehicles EVs a run ($rounds rounds)"
  local n counts=(1 2 4)
  local -A frontends balancer_pids balancer_metrics substation_pids substation_metrics
  for n in "${counts[@]}"; do
    balancers_grid "$n"
    frontends[$n]=$grid_frontends
    balancer_pids[$n]="${grid_balancer_pids[*]}" balancer_metrics[$n]="${grid_balancer_metrics[*]}"
    substation_pids[$n]="${grid_substation_pids[*]}" substation_metrics[$n]="${grid_substation_metrics[*]}"
  done
  local -A rate p99 cpu one_cpu sub_cpu hb_rate admitted_rate
  local round short=0 r p c o s h an missing
  for ((round = 1; round <= rounds; round++)); do
    for n in "${counts[@]}"; do
      grid_frontends=${frontends[$n]}
      read -ra grid_balancer_pids <<<"${balancer_pids[$n]}"
      read -ra grid_balancer_metrics <<<"${balancer_metrics[$n]}"
      read -ra grid_substation_pids <<<"${substation_pids[$n]}"
      read -ra grid_substation_metrics <<<"${substation_metrics[$n]}"
      read -r r p c o s h an missing < <(balancers_drive "$n" "$out/balancers-$n-r$round.json")
      [ -n "$r" ] || return 1
      rate[$n]+=" $r" p99[$n]+=" $p" cpu[$n]+=" $c" one_cpu[$n]+=" $o" sub_cpu[$n]+=" $s"
      hb_rate[$n]+=" $h" admitted_rate[$n]+=" $an"
      short=$((short + missing))
    done
  done
  local all_pids=()
  for n in "${counts[@]}"; do
    # shellcheck disable=SC2206  # pid lists: words by design
    all_pids+=(${balancer_pids[$n]} ${substation_pids[$n]})
  done
  stop_pids "${all_pids[@]}"

  # "ours" is the grid of n balancers, the "floor" the grid of one: the ratio is what n bought.
  local one_rate one_p99
  # shellcheck disable=SC2086  # the per-round figures, one word each
  { one_rate=$(median ${rate[1]}); one_p99=$(median ${p99[1]}); }
  balancers_table=()
  for n in "${counts[@]}"; do
    local mr mp mc mo ms mh ma
    # shellcheck disable=SC2086
    { mr=$(median ${rate[$n]}); mp=$(median ${p99[$n]}); mc=$(median ${cpu[$n]}); mo=$(median ${one_cpu[$n]})
      ms=$(median ${sub_cpu[$n]}); mh=$(median ${hb_rate[$n]}); ma=$(median ${admitted_rate[$n]}); }
    if [ "$n" = 1 ]; then
      record "balancers 1: admissions" "$mr" "adm/s"
      record "balancers 1: p99" "$mp" "ms"
    else
      record "balancers $n: admissions" "$mr" "adm/s" "$one_rate"
      record "balancers $n: p99" "$mp" "ms" "$one_p99"
    fi
    record_json "balancers $n: balancers CPU per 1000 admissions" "$mc" "s"
    record_json "balancers $n: one balancer CPU per 1000 of its admissions" "$mo" "s"
    record_json "balancers $n: substations CPU per 1000 admissions" "$ms" "s"
    record_json "balancers $n: heartbeats received per balancer" "$mh" "1/s"
    record_json "balancers $n: Admitted announcements per balancer" "$ma" "1/s"
    balancers_table+=("$(printf '%-10s %10s %7s %9s %7s %13s %13s %12s %11s %11s' "$n" "$(shown "$mr")" \
      "$(ratio "$mr" "$one_rate")" "$(shown "$mp")" "$(ratio "$mp" "$one_p99")" "$mc" "$mo" "$ms" "$mh" "$ma")")
  done
  record "balancers: requests not admitted (all grids)" "$short" "count" "" "0" "$(meets "$short" "<=" 0)"
  balancers_matrix=$(
    printf '%-10s %10s %7s %9s %7s %13s %13s %12s %11s %11s\n' "balancers" "adm/s" "x 1" "p99 ms" "x 1" \
      "bal CPU s/1k" "one bal s/1k" "subs s/1k" "hb/s each" "Adm/s each"
    printf '%s\n' "${balancers_table[@]}"
  )
  balancers_heartbeat_load
}
