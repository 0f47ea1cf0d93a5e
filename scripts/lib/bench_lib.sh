# shellcheck shell=bash
# Helpers for scripts/bench: processes it starts (and must stop), loopback ports, waiting for
# events, reading figures from /proc, from grid-loadgen's JSON and from wrk's report, and the
# records that become the results file. Source it; needs bash 4+, curl, awk.

bench_pids=()

# spawn LOG COMMAND...: runs COMMAND in the background, output to LOG; its pid is in $spawned.
spawn() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  spawned=$!
  bench_pids+=("$spawned")
}

# Stops the given pids (SIGTERM, up to 3 s, then SIGKILL) and forgets them.
stop_pids() {
  local pid waited
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  local kept=() p stopped
  for p in "${bench_pids[@]}"; do
    stopped=false
    for pid in "$@"; do [ "$p" = "$pid" ] && stopped=true; done
    $stopped || kept+=("$p")
  done
  bench_pids=("${kept[@]}")
}

stop_all() {
  [ ${#bench_pids[@]} -gt 0 ] && stop_pids "${bench_pids[@]}"
  return 0
}

# True when no TCP socket of this machine (listening or connected, IPv4 or IPv6) uses the port.
port_free() {
  local hex
  hex=$(printf ':%04X ' "$1")
  ! grep -q "^ *[0-9]*: [0-9A-F]*$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Hands out loopback ports that no socket uses now, below the kernel's ephemeral range (where
# the bench's own client connections take their ports) and from a random base so that two
# benches (or a test suite) on the machine rarely meet. Result in $port.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
next_port=$((10000 + RANDOM % (ephemeral_low - 12000)))
take_port() {
  while ! port_free "$next_port"; do next_port=$((next_port + 1)); done
  # shellcheck disable=SC2034  # read by the scripts that source this file
  port=$next_port
  next_port=$((next_port + 1))
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "bench: gave up after ${seconds}s waiting for $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

http_ok() { curl -fsS --max-time 1 "$1" >/dev/null; }

# metric_value URL SERIES: the value of one series (exact name and labels) in a /metrics scrape.
metric_value() {
  curl -fsS --max-time 2 "$1" | awk -v s="$2" '$1 == s { print $2; exit }'
}

# metric_is URL SERIES VALUE: true when the series has exactly that value.
metric_is() {
  local value
  value=$(metric_value "$1" "$2") || return 1
  awk -v a="$value" -v b="$3" 'BEGIN { exit !(a + 0 == b + 0) }'
}

# rss_kb PID FIELD: VmRSS or VmHWM of a process, in kB.
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# cpu_ticks PID...: user + system clock ticks used so far by these processes (all threads).
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
    fields=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
    total=$((total + fields))
  done
  echo "$total"
}
clock_ticks=$(getconf CLK_TCK)

# cpu_us_per TICKS REQUESTS: CPU microseconds per request from a tick difference.
cpu_us_per() { awk -v t="$1" -v hz="$clock_ticks" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f\n", t / hz * 1e6 / n; else print 0 }'; }

# json_number FILE KEY: the first number after "KEY": in a JSON file (grid-loadgen's and Google
# Benchmark's files put one key per line, which is all this needs).
json_number() {
  grep -o "\"$2\": *[-0-9.eE+]*" "$1" | head -n 1 | sed 's/.*: *//'
}

# wrk_figures FILE: "requests_per_s p50_ms p99_ms non_2xx socket_errors requests" from wrk --latency
# output.
wrk_figures() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    / requests in / { requests = $1 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { split($0, parts, /[ ,]+/); for (i in parts) if (parts[i] ~ /^[0-9]+$/) errors += parts[i] }
    END { printf "%s %s %s %d %d %d\n", rps, p50, p99, bad, errors, requests }
  ' "$1"
}

# median VALUES...: the median (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ratio A B: A / B with 2 decimals ("-" when B is 0 or empty).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }

# Records for the results file and the table. record NAME VALUE UNIT [FLOOR] [TARGET] [STATUS]
records=()
table_rows=()
record() {
  local name=$1 value=$2 unit=$3 floor=${4:-} target=${5:-} status=${6:-}
  local r="-"
  [ -n "$floor" ] && r=$(ratio "$value" "$floor")
  local json="{\"name\": \"$name\", \"value\": $value, \"unit\": \"$unit\""
  [ -n "$floor" ] && json+=", \"floor\": $floor, \"ratio\": ${r/-/null}"
  [ -n "$target" ] && json+=", \"target\": \"$target\""
  [ -n "$status" ] && json+=", \"status\": \"$status\""
  records+=("$json}")
  table_rows+=("$(printf '%-44s %10s %-6s %10s %6s  %-16s %s' "$name" "$(shown "$value")" "$unit" "$(shown "${floor:--}")" \
    "$r" "${target:--}" "$status")")
}

# A figure as the table shows it: whole numbers from 100 up, three significant digits below.
shown() {
  awk -v v="$1" 'BEGIN { if (v !~ /[0-9]/) print v; else if (v + 0 >= 100) printf "%.0f\n", v; else printf "%.3g\n", v }'
}

# record_json NAME VALUE UNIT: a record for the results file only (the policy matrix prints itself).
record_json() { records+=("{\"name\": \"$1\", \"value\": $2, \"unit\": \"$3\"}"); }

# meets VALUE OP LIMIT: "met" or "NOT met" (OP is >= or <=).
meets() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0); print ok ? "met" : "NOT met" }'
}
