#!/usr/bin/env bash
# Starts, stops or reports the AWS API emulators the AWS provider tests run against
# (docs/serverless.md, "The emulators"), all reachable on 127.0.0.1 only:
#   DynamoDB Local 1.25.1 (from amplify-dynamodb-simulator; it has TransactWriteItems, dynalite has not).
#     It cannot bind one address, so it runs in a private network namespace whose only interface is
#     lo, and two forwarders (scripts/emulators/forward.mjs) bridge 127.0.0.1:PORT to it through a
#     unix socket in DIR: nothing outside this machine can reach it.
#   fauxqs 1.9.2 (SQS + S3), started through serve-fauxqs.mjs, which binds 127.0.0.1.
#
# usage: scripts/aws-emulators.sh start|stop|status [--dir DIR]
#        scripts/aws-emulators.sh kill|pause|resume dynamodb|fauxqs [--dir DIR]
#        scripts/aws-emulators.sh revive [--dir DIR]
#   DIR (default .emulators/run) holds endpoints.env, the PIDs this script started, the namespace
#   name and the logs. start is idempotent: when the recorded emulators still answer it only prints
#   their endpoints. stop kills only the PIDs recorded in DIR and deletes only the namespace it made.
#   Ports: ZKGW_EMU_DYNAMODB_PORT / ZKGW_EMU_SQS_PORT, else free ones.
#   ZKGW_EMU_DYNAMODB_DB=PATH (at start): DynamoDB Local keeps its tables in PATH (-dbPath) instead of
#   in memory, so it can be killed and revived without losing them.
#   kill / pause / resume send SIGKILL / SIGSTOP / SIGCONT to one emulator (the nemesis suite's cloud
#   outages, tests/Nemesis.Tests); revive starts again, on the same ports, whichever recorded
#   emulator is gone (a revived fauxqs starts empty: it keeps nothing on disk).
# endpoints.env: ZKGW_AWS_DYNAMODB=http://127.0.0.1:P, ZKGW_AWS_S3=..., ZKGW_AWS_SQS=...
# Needs root (ip netns); run scripts/install-test-deps.sh first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
emu="$repo/.emulators"

cmd=${1:-}
shift || true
target=
case "$cmd" in
  kill|pause|resume) target=${1:-}; shift || true ;;
esac
dir="$emu/run"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    *) echo "aws-emulators: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

say() { echo "aws-emulators: $*" >&2; }

# True when something answers HTTP on 127.0.0.1:$1 (any status: the emulators reject unsigned requests).
answers() {
  curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null | grep -qv '^000$'
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

running() {
  [ -f "$dir/endpoints.env" ] && [ -f "$dir/pids" ] || return 1
  local pid
  while read -r pid _; do kill -0 "$pid" 2>/dev/null || return 1; done < "$dir/pids"
  # shellcheck disable=SC1091
  . "$dir/endpoints.env"
  answers "${ZKGW_AWS_DYNAMODB##*:}" && answers "${ZKGW_AWS_SQS##*:}"
}

# Starts a detached process (own session, so the caller's Ctrl-C or test host exit leaves it alone)
# and records its PID with a label.
launch() {
  local label=$1; shift
  setsid "$@" > "$dir/$label.log" 2>&1 < /dev/null &
  echo "$! $label" >> "$dir/pids"
}

wait_for() {
  local port=$1 what=$2 tries=0
  until answers "$port"; do
    tries=$((tries + 1))
    if [ $tries -gt 300 ]; then say "$what did not answer on 127.0.0.1:$port within 30 s (logs in $dir)"; return 1; fi
    sleep 0.1
  done
}

stop() {
  if [ -f "$dir/pids" ]; then
    local pid label
    while read -r pid label; do
      # setsid made each process a group leader: end the group (ip netns exec leaves java as a child).
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done < "$dir/pids"
    for _ in $(seq 50); do
      local alive=0
      while read -r pid label; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$dir/pids"
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    while read -r pid label; do kill -KILL -- "-$pid" 2>/dev/null || true; done < "$dir/pids"
    rm -f "$dir/pids"
  fi
  if [ -f "$dir/netns" ]; then
    ip netns del "$(cat "$dir/netns")" 2>/dev/null || true
    rm -f "$dir/netns"
  fi
  rm -f "$dir/endpoints.env" "$dir/ddb.sock"
}

# DynamoDB Local inside the namespace, in memory or on the recorded -dbPath.
launch_dynamodb() {
  local jar_dir="$emu/dynamodb-local/package/emulator" store=(-inMemory)
  [ -f "$dir/dynamodb.db" ] && store=(-dbPath "$(cat "$dir/dynamodb.db")")
  (cd "$jar_dir" && launch dynamodb ip netns exec "$(cat "$dir/netns")" java -Xmx256m -Djava.library.path=./DynamoDBLocal_lib \
      -jar DynamoDBLocal.jar "${store[@]}" -sharedDb -disableTelemetry -port 8000)
}

launch_fauxqs() {
  (cd "$emu" && FAUXQS_PORT=$(cat "$dir/fauxqs.port") launch fauxqs node "$emu/serve-fauxqs.mjs")
}

# The recorded PID of one emulator (its process group: setsid made it the leader).
pid_of() {
  [ -f "$dir/pids" ] && awk -v l="$1" '$2 == l {p=$1} END {if (p) print p}' "$dir/pids"
}

# kill|pause|resume dynamodb|fauxqs: one signal to the emulator's whole group.
signal() {
  local sig=$1 label=$2 pid
  case "$label" in dynamodb|fauxqs) ;; *) say "no emulator named $label (dynamodb, fauxqs)"; return 2 ;; esac
  pid=$(pid_of "$label")
  [ -n "$pid" ] || { say "$label is not recorded in $dir/pids"; return 1; }
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid"
  if [ "$sig" = KILL ]; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}

# Starts again each recorded emulator whose process is gone, and waits until it answers.
revive() {
  [ -f "$dir/endpoints.env" ] || { say "nothing was started in $dir"; return 1; }
  # shellcheck disable=SC1091
  . "$dir/endpoints.env"
  local label pid
  for label in dynamodb fauxqs; do
    pid=$(pid_of "$label")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    grep -v " $label\$" "$dir/pids" > "$dir/pids.new" || true
    mv "$dir/pids.new" "$dir/pids"
    "launch_$label"
  done
  wait_for "${ZKGW_AWS_SQS##*:}" fauxqs
  wait_for "${ZKGW_AWS_DYNAMODB##*:}" "DynamoDB Local"
}

start() {
  if running; then
    say "already running (endpoints in $dir/endpoints.env)"
    cat "$dir/endpoints.env"
    return 0
  fi
  stop   # leftovers of a half-dead earlier start
  local jar_dir="$emu/dynamodb-local/package/emulator"
  if [ ! -f "$jar_dir/DynamoDBLocal.jar" ] || [ ! -d "$emu/node_modules/fauxqs" ]; then
    say "emulators not installed: run scripts/install-test-deps.sh"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "needs root: DynamoDB Local listens on all interfaces and is confined to a private network namespace (ip netns)"
    return 1
  fi
  cp "$repo"/scripts/emulators/*.mjs "$emu/"

  # A namespace name unique to DIR, so parallel DIRs (or other engineers' runs) never collide.
  local ns
  ns="zkgw-ddb-$(echo -n "$dir" | md5sum | cut -c1-8)"
  ip netns del "$ns" 2>/dev/null || true
  if ! ip netns add "$ns" 2>"$dir/netns.err"; then
    say "cannot create a network namespace ($(cat "$dir/netns.err")); DynamoDB Local must not listen on the machine's interfaces, so it is not started"
    return 1
  fi
  echo "$ns" > "$dir/netns"
  ip netns exec "$ns" ip link set lo up

  local ddb_port=${ZKGW_EMU_DYNAMODB_PORT:-$(free_port)}
  local sqs_port=${ZKGW_EMU_SQS_PORT:-$(free_port)}

  if [ -n "${ZKGW_EMU_DYNAMODB_DB:-}" ]; then
    mkdir -p "$ZKGW_EMU_DYNAMODB_DB"
    (cd "$ZKGW_EMU_DYNAMODB_DB" && pwd) > "$dir/dynamodb.db"
  else
    rm -f "$dir/dynamodb.db"
  fi
  echo "$sqs_port" > "$dir/fauxqs.port"
  launch_dynamodb
  launch ddb-inner ip netns exec "$ns" node "$emu/forward.mjs" "unix:$dir/ddb.sock" tcp:127.0.0.1:8000
  launch ddb-outer node "$emu/forward.mjs" "tcp:127.0.0.1:$ddb_port" "unix:$dir/ddb.sock"
  launch_fauxqs

  wait_for "$sqs_port" fauxqs
  wait_for "$ddb_port" "DynamoDB Local"
  cat > "$dir/endpoints.env" <<EOF
ZKGW_AWS_DYNAMODB=http://127.0.0.1:$ddb_port
ZKGW_AWS_S3=http://127.0.0.1:$sqs_port
ZKGW_AWS_SQS=http://127.0.0.1:$sqs_port
EOF
  say "started (endpoints in $dir/endpoints.env)"
  cat "$dir/endpoints.env"
}

case "$cmd" in
  start) start ;;
  stop) stop; say "stopped" ;;
  status)
    if running; then cat "$dir/endpoints.env"; else say "not running"; exit 1; fi ;;
  kill) signal KILL "$target" ;;
  pause) signal STOP "$target" ;;
  resume) signal CONT "$target" ;;
  revive) revive ;;
  *) echo "usage: $0 start|stop|status|revive [--dir DIR], or $0 kill|pause|resume dynamodb|fauxqs [--dir DIR]" >&2; exit 2 ;;
esac
