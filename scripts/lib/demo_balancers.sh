# shellcheck shell=bash
# scripts/demo's several balancers (issue 16): their names and ports, the flags that point the
# substations and the edge at all of them, and the closing table of how they shared the work.
# Source it after scripts/lib/nodes.sh; it reads and sets plain variables of the demo.

# balancer_layout N PORT_BASE: names and ports of N balancers, in the arrays balancer_names,
# balancer_frontends, balancer_backends, balancer_heartbeats and balancer_metrics (ports). With a
# port base the first balancer keeps the demo's ports N..N+3 (substations N+4..N+6, edge N+7,
# Prometheus N+8) and each further one takes the next four from N+9; without one, balancer k
# (from 0) uses 5555+10k, 5556+10k, 5557+10k and metrics 9100+10k.
balancer_layout() {
  local count=$1 base=$2 k first
  balancer_names=() balancer_frontends=() balancer_backends=() balancer_heartbeats=() balancer_metrics=()
  for ((k = 0; k < count; k++)); do
    if [ "$count" -eq 1 ]; then
      balancer_names+=(balancer)
    else
      balancer_names+=("balancer-$(printf "\\x$(printf %x $((97 + k)))")")  # balancer-a, -b, ...
    fi
    if [ -n "$base" ]; then
      first=$base
      [ "$k" -gt 0 ] && first=$((base + 9 + 4 * (k - 1)))
      balancer_frontends+=("$first") balancer_backends+=($((first + 1))) balancer_heartbeats+=($((first + 2)))
      balancer_metrics+=($((first + 3)))
    else
      balancer_frontends+=($((5555 + 10 * k))) balancer_backends+=($((5556 + 10 * k)))
      balancer_heartbeats+=($((5557 + 10 * k))) balancer_metrics+=($((9100 + 10 * k)))
    fi
  done
}

# each_endpoint FLAG PORTS...: "FLAG tcp://127.0.0.1:PORT" for every port, one word each, so a
# substation or the edge is given every balancer (the nodes take the flag repeated).
each_endpoint() {
  local flag=$1 port
  shift
  for port in "$@"; do printf '%s\n%s\n' "$flag" "tcp://127.0.0.1:$port"; done
}

# metric_sum URL SERIES_PREFIX: the sum of every series of a /metrics page whose name and labels
# start with the prefix (0 when none, or no answer).
metric_sum() {
  curl -fsS --max-time 2 "$1" 2>/dev/null | awk -v p="$2" 'index($1, p) == 1 { s += $2 } END { printf "%.0f\n", s }'
}

# show_work_shared: each balancer's admissions (balancer_requests_total{outcome="charging"}) and
# its share of them, then every balancer's answers by outcome.
show_work_shared() {
  local k total=0 counts=()
  for k in "${!balancer_names[@]}"; do
    counts+=("$(metric_sum "http://127.0.0.1:${balancer_metrics[$k]}/metrics" 'balancer_requests_total{outcome="charging"}')")
    total=$((total + counts[k]))
  done
  echo
  if [ "${#balancer_names[@]}" -gt 1 ]; then
    echo "How the ${#balancer_names[@]} balancers shared the work (admissions: balancer_requests_total{outcome=\"charging\"}):"
  else
    echo "The balancer's admissions (balancer_requests_total{outcome=\"charging\"}):"
  fi
  for k in "${!balancer_names[@]}"; do
    awk -v name="${balancer_names[$k]}" -v n="${counts[$k]}" -v t="$total" \
      'BEGIN { printf "  %-12s %6d admissions  %5.1f%%\n", name, n, (t > 0 ? 100 * n / t : 0) }'
  done
  echo
  echo "What each balancer counted (balancer_requests_total by outcome):"
  for k in "${!balancer_names[@]}"; do
    curl -fsS --max-time 2 "http://127.0.0.1:${balancer_metrics[$k]}/metrics" 2>/dev/null |
      grep '^balancer_requests_total' | sed "s/^/  ${balancer_names[$k]}: /" ||
      echo "  ${balancer_names[$k]}: (no answer)"
  done
}
