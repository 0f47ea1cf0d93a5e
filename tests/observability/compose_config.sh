#!/usr/bin/env bash
# `docker-compose config` on compose/docker-compose.yml, alone and with the secure override: the
# compose client's own validation of the files (schema, anchors, variable defaults, profiles,
# secrets). No Docker engine is needed. Exits 77
# (ctest: skipped) when no compose client is installed (scripts/install-deps --compose adds one).
set -euo pipefail
cd "$(dirname "$0")/../.."
file=compose/docker-compose.yml

if command -v docker-compose >/dev/null; then
  compose=(docker-compose)
elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "skipped: no docker-compose client (scripts/install-deps --compose installs one)"
  exit 77
fi

"${compose[@]}" -f "$file" config -q
services=$("${compose[@]}" -f "$file" config --services | sort | tr '\n' ' ')
with_loadgen=$("${compose[@]}" -f "$file" --profile loadgen config --services | sort | tr '\n' ' ')
echo "services: $services"
echo "with --profile loadgen: $with_loadgen"
for service in balancer-a balancer-b substation-north substation-south substation-east edge prometheus grafana; do
  [[ " $with_loadgen " == *" $service "* ]] || { echo "FAILED: no service $service" >&2; exit 1; }
done
[[ " $with_loadgen " == *" loadgen "* ]] || { echo "FAILED: no loadgen service under --profile loadgen" >&2; exit 1; }
# The override's secrets name files under compose/keys/ (scripts/compose-keys makes them).
"${compose[@]}" -f "$file" -f compose/docker-compose.secure.yml --profile loadgen config -q
echo "compose config ok (${compose[*]} $("${compose[@]}" version --short 2>/dev/null || true))"
