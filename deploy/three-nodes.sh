#!/usr/bin/env bash
# Starts a three-process Jamba cluster on loopback, one process per role set, waits until every node
# is ready, runs a greedy completion through two of them, checks both give the same text, and stops
# the processes. The placement plan deploy/placement-three-nodes.json splits the layers over two
# nodes and spreads the experts over all three:
#
#   node A (the seed): layers 0-3, experts, sessions
#   node B:            layers 4-7, experts
#   node C:            experts
#
# Environment settings:
#   JAMBA_SERVER_DLL  server build to run (default: the Release build, built when missing)
#   JAMBA_MODEL       model folder (default: models/jamba-tiny-kjv)
#   JAMBA_PLACEMENT   placement plan shared by the nodes (default: deploy/placement-three-nodes.json)
#   HTTP_PORTS        three space-separated HTTP ports (default: 8101 8102 8103)
#   AKKA_PORTS        three space-separated Akka.Remote ports (default: 4101 4102 4103)
#   READY_TIMEOUT     seconds to wait for every node's /ready (default: 180)
set -euo pipefail
cd "$(dirname "$0")/.."

model="${JAMBA_MODEL:-models/jamba-tiny-kjv}"
server="${JAMBA_SERVER_DLL:-services/Jamba.Server/bin/Release/net10.0/Jamba.Server.dll}"
read -r -a http_ports <<< "${HTTP_PORTS:-8101 8102 8103}"
read -r -a akka_ports <<< "${AKKA_PORTS:-4101 4102 4103}"
ready_timeout="${READY_TIMEOUT:-180}"
placement="${JAMBA_PLACEMENT:-deploy/placement-three-nodes.json}"
roles=("layers-a,experts,sessions" "layers-b,experts" "experts")
names=(A B C)

if [[ ${#http_ports[@]} -ne 3 || ${#akka_ports[@]} -ne 3 ]]; then
  echo "three-nodes: HTTP_PORTS and AKKA_PORTS need three ports each" >&2
  exit 2
fi

if [[ ! -f "$server" ]]; then
  echo "three-nodes: $server not found; building services/Jamba.Server (Release)"
  dotnet build services/Jamba.Server/Jamba.Server.csproj -c Release --nologo -v quiet
fi

logs="$(mktemp -d)"
pids=()

stop_nodes() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

show_logs() {
  for i in 0 1 2; do
    echo "--- node ${names[$i]} (${roles[$i]}), last lines of $logs/node-${names[$i]}.log" >&2
    tail -n 20 "$logs/node-${names[$i]}.log" >&2 || true
  done
}

trap stop_nodes EXIT

seed="akka.tcp://jamba@127.0.0.1:${akka_ports[0]}"
for i in 0 1 2; do
  seeds=()
  if [[ $i -gt 0 ]]; then
    seeds=(--SeedNodes "$seed")
  fi

  dotnet "$server" --urls "http://127.0.0.1:${http_ports[$i]}" --Model "$model" --Roles "${roles[$i]}" \
    --PlacementFile "$placement" \
    --AkkaHostname 127.0.0.1 --AkkaPort "${akka_ports[$i]}" "${seeds[@]}" \
    > "$logs/node-${names[$i]}.log" 2>&1 &
  pids+=("$!")
  echo "three-nodes: node ${names[$i]} (${roles[$i]}) pid $! on http://127.0.0.1:${http_ports[$i]}, akka port ${akka_ports[$i]}"
done

# /ready returns 200 once the cluster is formed and every layer group and expert is loaded.
deadline=$((SECONDS + ready_timeout))
for i in 0 1 2; do
  until curl -sf -o /dev/null "http://127.0.0.1:${http_ports[$i]}/ready"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "three-nodes: node ${names[$i]} exited before it was ready" >&2
      show_logs
      exit 1
    fi

    if [[ $SECONDS -ge $deadline ]]; then
      echo "three-nodes: node ${names[$i]} not ready after ${ready_timeout} s" >&2
      show_logs
      exit 1
    fi

    sleep 0.5
  done
done
echo "three-nodes: cluster ready"

complete() {
  curl -sf "http://127.0.0.1:$1/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt": "In the beginning", "max_tokens": 16, "temperature": 0}'
}

text_of() {
  sed -n 's/.*"text":"\([^"]*\)".*/\1/p' <<< "$1"
}

for port_index in 0 2; do
  if ! response="$(complete "${http_ports[$port_index]}")"; then
    echo "three-nodes: completion through node ${names[$port_index]} failed" >&2
    show_logs
    exit 1
  fi

  echo "three-nodes: completion through node ${names[$port_index]}: $response"
  texts[$port_index]="$(text_of "$response")"
done

if [[ -z "${texts[0]}" || "${texts[0]}" != "${texts[2]}" ]]; then
  echo "three-nodes: the completions differ or are empty: '${texts[0]}' and '${texts[2]}'" >&2
  exit 1
fi

echo "three-nodes: both nodes generated the same text: ${texts[0]}"
