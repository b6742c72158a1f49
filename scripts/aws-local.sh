#!/usr/bin/env bash
# One command for the local serverless stack: the AWS API emulators, the function host (writer,
# distributor and heartbeat polling their queues) and a gateway with --backend=aws, all on 127.0.0.1.
#
# usage: scripts/aws-local.sh start [--clientPort=N] [--aws.deployment=D] [--aws.userStorage=key-value] [--key=value ...]
#        scripts/aws-local.sh stop
#        scripts/aws-local.sh status
#   start   installs the emulators if they are missing (scripts/install-test-deps.sh, as the test
#           command does), starts them (scripts/aws-emulators.sh --dir .emulators/local), builds the
#           sidecar gateway (src/Gateway.Aws) and the function host (src/FunctionHost) when their
#           Release dlls are missing or older than the sources, starts the function host with
#           --provision on deployment D (default zkgw-local) and the gateway on 127.0.0.1:N (default
#           2181), waits until the gateway answers ruok with imok and prints where everything runs.
#           The first step that fails stops the start with one line saying what is missing, and
#           stops what was already started.
#           --aws.* options go to both processes (they must agree on the deployment and storage), any
#           other --key=value to the gateway. Idempotent: a running stack is reported, not restarted.
#   stop    SIGTERM to the gateway and the function host (which prints its cost-meter counts into
#           its log), SIGKILL after 15 s, then stops the emulators. Only PIDs recorded by start.
# State, logs and PIDs: .emulators/local-stack/ (the emulators' own: .emulators/local/); ZKGW_LOCAL_DIR
# replaces .emulators.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# ZKGW_LOCAL_DIR moves the state elsewhere (the smoke test uses its own, leaving a developer's stack alone).
base=${ZKGW_LOCAL_DIR:-$repo/.emulators}
state="$base/local-stack"
emu_dir="$base/local"
gateway_dll="$repo/src/Gateway.Aws/bin/Release/net10.0/ZkGateway.Aws.dll"
host_dll="$repo/src/FunctionHost/bin/Release/net10.0/ZkGateway.FunctionHost.dll"
# What scripts/install-test-deps.sh leaves once the emulators are installed (scripts/aws-emulators.sh).
emulator_files=("$repo/.emulators/dynamodb-local/package/emulator/DynamoDBLocal.jar" "$repo/.emulators/node_modules/fauxqs")

say() { echo "aws-local: $*" >&2; }

cmd=${1:-}
shift || true
port=2181
deployment=zkgw-local
aws_args=()
gateway_args=()
for arg in "$@"; do
  case "$arg" in
    --clientPort=*) port=${arg#--clientPort=} ;;
    --aws.deployment=*) deployment=${arg#--aws.deployment=} ;;
    --aws.*=*) aws_args+=("$arg") ;;
    --*=*) gateway_args+=("$arg") ;;
    *) say "unknown argument $arg (options are --key=value)"; exit 2 ;;
  esac
done

four_letter() {  # four_letter PORT WORD: the answer, or nothing
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "$2" >&3 && timeout 2 cat <&3) 2>/dev/null || true
}

alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

print_where() {
  local p
  p=$(cat "$state/port")
  cat <<EOF
aws-local: running
  gateway        127.0.0.1:$p (pid $(cat "$state/gateway.pid"), log $state/gateway.log)
  function host  deployment $(cat "$state/deployment") (pid $(cat "$state/functions.pid"), log $state/functions.log)
  emulators      $(tr '\n' ' ' < "$emu_dir/endpoints.env")(logs in $emu_dir)
  try            /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$p ls /
                 /usr/bin/python3 -c 'from kazoo.client import KazooClient; z=KazooClient("127.0.0.1:$p"); z.start(); print(z.get_children("/"))'
  stop with      scripts/aws-local.sh stop
EOF
}

# Starts a detached process in its own session (an interrupted shell leaves it alone) and records its PID.
launch() {
  local name=$1; shift
  setsid "$@" > "$state/$name.log" 2>&1 < /dev/null &
  echo $! > "$state/$name.pid"
}

stop_one() {
  local name=$1 pid
  [ -f "$state/$name.pid" ] || return 0
  pid=$(cat "$state/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name (pid $pid) did not stop in 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$state/$name.pid"
}

stop() {
  # The gateway first: it removes its inbox and watch interest while the emulators still run.
  stop_one gateway
  stop_one functions
  if [ -f "$state/emulators-started" ]; then
    bash "$repo/scripts/aws-emulators.sh" stop --dir "$emu_dir" || true
    rm -f "$state/emulators-started"
  fi
  say "stopped"
}

# True when the Release dll $1 is missing or a source of the projects it is built from (the
# directories under src/ named after it) is newer than every ZkGateway dll in its output folder: a
# project whose public surface did not change is not recompiled, but its own dll is copied there anew.
stale() {
  local dll=$1 newest; shift
  [ -f "$dll" ] || return 0
  newest=$(ls -t "$(dirname "$dll")"/ZkGateway*.dll | head -1)
  local dirs=("$repo/Directory.Build.props" "$repo/Directory.Packages.props")
  local d
  for d in "$@"; do dirs+=("$repo/src/$d"); done
  [ -n "$(find "${dirs[@]}" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
            -not -path '*/obj/*' -not -path '*/bin/*' -newer "$newest" -print -quit)" ]
}

# The steps of start. `start` runs inside `if`, where bash ignores `set -e`, so every step checks
# its own outcome and says in one line what failed.
start() {
  mkdir -p "$state"
  if alive gateway && alive functions && [ "$(four_letter "$(cat "$state/port")" ruok)" = imok ]; then
    print_where
    return 0
  fi
  # Leftovers of an earlier start that half died: end them before starting afresh.
  stop_one gateway
  stop_one functions
  if [ -n "$(four_letter "$port" ruok)" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "127.0.0.1:$port is in use by something this script did not start; choose another with --clientPort=N"
    return 1
  fi
  command -v dotnet > /dev/null || { say "dotnet is not on PATH: install the .NET 10 SDK first"; return 1; }
  if [ "$(id -u)" -ne 0 ]; then
    say "needs root: DynamoDB Local is confined to a private network namespace (ip netns)"
    return 1
  fi

  local f missing=0
  for f in "${emulator_files[@]}"; do [ -e "$f" ] || missing=1; done
  if [ $missing -eq 1 ]; then
    say "installing the AWS API emulators (scripts/install-test-deps.sh, log $state/install.log)"
    bash "$repo/scripts/install-test-deps.sh" > "$state/install.log" 2>&1 \
      || { say "scripts/install-test-deps.sh failed, see $state/install.log"; return 1; }
  fi

  touch "$state/emulators-started"
  local why
  why=$(bash "$repo/scripts/aws-emulators.sh" start --dir "$emu_dir" 2>&1 > /dev/null) \
    || { say "the AWS API emulators did not start: ${why:-no message} (logs in $emu_dir)"; return 1; }
  [ -f "$emu_dir/endpoints.env" ] || { say "the emulators left no $emu_dir/endpoints.env"; return 1; }
  set -a
  # shellcheck disable=SC1091
  . "$emu_dir/endpoints.env"
  set +a
  export ZKGW_AWS_DEPLOYMENT=$deployment ZKGW_AWS_ACCESS_KEY=test ZKGW_AWS_SECRET_KEY=test

  if stale "$gateway_dll" Jute Backend Backend.Embedded Backend.Aws Gateway Gateway.Aws \
     || stale "$host_dll" Jute Backend Backend.Aws FunctionHost; then
    say "building the sidecar gateway (src/Gateway.Aws) and the function host (src/FunctionHost), Release"
    (cd "$repo" && dotnet build src/Gateway.Aws -c Release -nologo -v quiet > "$state/build.log" 2>&1 \
      && dotnet build src/FunctionHost -c Release -nologo -v quiet >> "$state/build.log" 2>&1) \
      || { say "build failed, see $state/build.log"; return 1; }
  fi

  echo "$deployment" > "$state/deployment"
  echo "$port" > "$state/port"
  launch functions dotnet "$host_dll" host --provision "--aws.deployment=$deployment" "${aws_args[@]}"
  local tries=0
  until grep -q "functions ready" "$state/functions.log" 2>/dev/null; do
    if ! alive functions; then
      say "the function host exited: $(grep -m1 -E 'failed|Exception|error' "$state/functions.log" | cut -c1-200) (log $state/functions.log)"
      return 1
    fi
    tries=$((tries + 1))
    if [ $tries -gt 1200 ]; then say "the function host was not ready in 120 s (log $state/functions.log)"; return 1; fi
    sleep 0.1
  done

  mkdir -p "$state/data"
  # The AdminServer (on by default on 8080) stays off unless --admin.enableServer=true is passed.
  launch gateway dotnet "$gateway_dll" "--clientPort=$port" --clientPortAddress=127.0.0.1 --backend=aws \
    "--dataDir=$state/data" "--4lw.commands.whitelist=*" "--aws.deployment=$deployment" "${aws_args[@]}" \
    --admin.enableServer=false "${gateway_args[@]}"
  tries=0
  until [ "$(four_letter "$port" ruok)" = imok ]; do
    if ! alive gateway; then
      say "the gateway exited: $(grep -m1 -E 'ZkGateway:|failed|Exception|error' "$state/gateway.log" | cut -c1-200) (log $state/gateway.log)"
      return 1
    fi
    tries=$((tries + 1))
    if [ $tries -gt 600 ]; then say "the gateway did not answer ruok in 60 s (log $state/gateway.log)"; return 1; fi
    sleep 0.1
  done
  print_where
}

case "$cmd" in
  start)
    if ! start; then
      say "start failed; stopping what was started"
      stop
      exit 1
    fi ;;
  stop) stop ;;
  status)
    if alive gateway && alive functions && [ "$(four_letter "$(cat "$state/port")" ruok)" = imok ]; then print_where; else say "not running"; exit 1; fi ;;
  *) echo "usage: $0 start [--clientPort=N] [--aws.deployment=D] [--key=value ...] | stop | status" >&2; exit 2 ;;
esac
