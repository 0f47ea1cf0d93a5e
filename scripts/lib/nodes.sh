# shellcheck shell=bash
# Shell helpers for scripts that run grid nodes as background processes on this machine: start
# them with their output in a log, wait for an event (a /healthz answer), stop them cleanly.
# Source it; it keeps the started processes in the arrays node_pids and node_names.

node_pids=()
node_names=()
node_logs=()
# More curl options for wait_http (e.g. --cacert FILE for an HTTPS node).
wait_http_curl_options=()

# True when something accepts TCP connections on 127.0.0.1:PORT (a listener on 0.0.0.0 too).
port_in_use() {
  (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

# start_node NAME LOG COMMAND...: runs COMMAND in the background with its output in LOG.
start_node() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  node_pids+=($!)
  node_names+=("$name")
  node_logs+=("$log")
}

# Prints the last lines of a node's log, for a failure message.
show_log_tail() {
  local name=$1 log=$2
  echo "---- last lines of $name's log ($log):" >&2
  tail -n 20 "$log" >&2 || true
  echo "----" >&2
}

# wait_http NAME PID LOG URL SECONDS [PATTERN]: polls URL until it answers 200 (and its body
# matches the extended regex PATTERN, when given). Fails early, with the node's log, if the node
# exits; fails after SECONDS otherwise. Each poll is bounded by curl's own timeout.
wait_http() {
  local name=$1 pid=$2 log=$3 url=$4 seconds=$5 pattern=${6:-}
  local deadline=$((SECONDS + seconds)) body
  while true; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name exited while starting" >&2
      show_log_tail "$name" "$log"
      return 1
    fi
    if body=$(curl -fsS --max-time 1 "${wait_http_curl_options[@]}" "$url" 2>/dev/null); then
      if [ -z "$pattern" ] || grep -Eq "$pattern" <<<"$body"; then
        return 0
      fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo: $name is not ready after ${seconds}s ($url answered: ${body:-nothing})" >&2
      show_log_tail "$name" "$log"
      return 1
    fi
    sleep 0.1
  done
}

# stop_nodes: SIGTERM to every started node (newest first), then waits up to 5 s for each and
# reports how it ended; a node that does not stop is killed.
stop_nodes() {
  local i pid name status waited
  for ((i = ${#node_pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${node_pids[$i]}" 2>/dev/null || true
  done
  for ((i = ${#node_pids[@]} - 1; i >= 0; i--)); do
    pid=${node_pids[$i]}
    name=${node_names[$i]}
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "  $name did not stop within 5 s: killed" >&2
    fi
    status=0
    wait "$pid" 2>/dev/null || status=$?
    if [ "$status" -eq 0 ]; then
      echo "  stopped $name"
    else
      echo "  stopped $name (exit status $status; log: ${node_logs[$i]})"
    fi
  done
  node_pids=()
  node_names=()
  node_logs=()
}
