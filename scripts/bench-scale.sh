#!/usr/bin/env bash
# Issue 14's scale workloads: Apache ZooKeeper 3.8 (-Xmx3g, forceSync on) against ZkGateway's
# embedded server, each run on a fresh data directory, the two taking turns (ZooKeeper first in odd
# runs, the gateway first in even ones). Per server and run:
#
#   1. populate: SCALE_ZNODES znodes of 100 B under SCALE_PARENTS parents, pipelined
#      (SCALE_CONNECTIONS sessions x SCALE_OUTSTANDING in flight): creates/s, bytes the server
#      process wrote to disk per create (/proc/PID/io write_bytes, snapshots and checkpoints
#      included), RSS and the data directory's size after it
#   2. pipelined setData/s with the tree loaded (LoadTool --mix set=1, same sessions x in flight)
#   3. SCALE_SESSIONS sessions (one connection each, 64 connecting at a time) that connect and send
#      one exists each: the time to the last reply, and the RSS they add while held open
#   4. kill -9, restart, and the time from the restart to the first answered getData of a
#      populated znode (recovery as a client sees it)
#
# and, once, the machine's limits: fdatasync p50 of a 4 KiB write on the data directory's file
# system, and a loopback round trip of a 64-byte frame (a Python echo peer: an upper bound).
# Prints a table of medians [min-max] with the gateway/ZooKeeper ratios; JSON in SCALE_OUT.
#
#   bash scripts/bench-scale.sh                                   # 1M znodes, about 15 minutes a run
#   SCALE_ZNODES=100000 SCALE_PARENTS=100 bash scripts/bench-scale.sh   # a quick look
# Knobs: SCALE_ZNODES (1000000), SCALE_PARENTS (1000), SCALE_CONNECTIONS (8), SCALE_OUTSTANDING (64),
#   SCALE_SESSIONS (10000), SCALE_RUNS (1; issue 14 asks for 3 for the docs), SCALE_SET_DURATION (5s), SCALE_ZK_XMX (3g),
#   SCALE_OUT (JSON dir), SCALE_GATEWAY_DLL (a built ZkGateway.dll to use instead of publishing one:
#   the test suite's smoke run). Needs ZooKeeper 3.8 from Debian (bash scripts/install-test-deps.sh)
#   and builds the gateway and the load tool itself.
set -euo pipefail
cd "$(dirname "$0")/.."

ZNODES=${SCALE_ZNODES:-1000000}
PARENTS=${SCALE_PARENTS:-1000}
CONNECTIONS=${SCALE_CONNECTIONS:-8}
OUTSTANDING=${SCALE_OUTSTANDING:-64}
RUNS=${SCALE_RUNS:-1}
SESSIONS=${SCALE_SESSIONS:-10000}
SET_DURATION=${SCALE_SET_DURATION:-5s}
ZK_XMX=${SCALE_ZK_XMX:-3g}
WORK=$(mktemp -d /tmp/zkscale.XXXXXX)
OUT=${SCALE_OUT:-$WORK/results}
mkdir -p "$OUT"

[ -f /usr/share/java/zookeeper.jar ] || { echo "ZooKeeper 3.8 is not installed (bash scripts/install-test-deps.sh)" >&2; exit 1; }

PID=
stop_server() {
  set +e
  if [ -n "$PID" ]; then kill -9 "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  PID=
  set -e
}
cleanup() {
  set +e
  stop_server
  rm -rf "$WORK"/zk-* "$WORK"/gw-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_4lw() { # PORT: 'ruok' answered within 60 s
  local r=
  for _ in $(seq 1 1200); do
    r=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && echo -n ruok >&3 && timeout 1 cat <&3) 2>/dev/null || true)
    case "$r" in *imok*) return 0 ;; esac
    sleep 0.05
  done
  return 1
}
server_cmd() { # KIND DIR PORT
  if [ "$1" = zk ]; then
    cat > "$2/zoo.cfg" <<CFG
tickTime=2000
dataDir=$2/data
clientPort=$3
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
    echo java "-Xmx$ZK_XMX" -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn org.apache.zookeeper.server.ZooKeeperServerMain "$2/zoo.cfg"
  else
    echo dotnet "$GW_DIR/ZkGateway.dll" --clientPort="$3" --dataDir="$2/data" --4lw.commands.whitelist=ruok --admin.enableServer=false --maxClientCnxns=0
  fi
}
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

if [ -n "${SCALE_GATEWAY_DLL:-}" ]; then
  GW_DIR=$(dirname "$SCALE_GATEWAY_DLL")
else
  GW_DIR=$WORK/gateway
  GW_RID=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
  echo "building the gateway (Release publish, as docker/Dockerfile)" >&2
  dotnet publish src/Gateway/Gateway.csproj -c Release -r "$GW_RID" --self-contained false -p:PublishReadyToRun=true -o "$GW_DIR" -nologo -v quiet >&2
fi
dotnet build benchmarks/LoadTool/LoadTool.csproj -c Release -nologo -v quiet >&2
LT=(dotnet benchmarks/LoadTool/bin/Release/net10.0/ZkGateway.LoadTool.dll)

# One server, one run: prints one JSON line to $OUT/KIND-RUN.json.
measure() { # KIND RUN
  local kind=$1 run=$2 dir="$WORK/$1-$2" port
  port=$(free_port)
  rm -rf "$dir"; mkdir -p "$dir/data"
  # shellcheck disable=SC2046
  $(server_cmd "$kind" "$dir" "$port") > "$dir/server.out" 2>&1 &
  PID=$!
  wait_4lw "$port" && python3 scripts/bench_scale_probe.py ready "$port" || { echo "$kind did not start:" >&2; cat "$dir/server.out" >&2; exit 1; }
  local w0 w1 rss datadir
  w0=$(written "$PID")
  "${LT[@]}" --target "127.0.0.1:$port" --populate "$ZNODES" --parents "$PARENTS" --connections "$CONNECTIONS" \
    --outstanding "$OUTSTANDING" --value-size 100 --json "$dir/populate.json" >&2
  sleep 1
  w1=$(written "$PID")
  rss=$(rss_kb "$PID")
  "${LT[@]}" --target "127.0.0.1:$port" --mix set=1 --connections "$CONNECTIONS" --outstanding "$OUTSTANDING" \
    --value-size 100 --duration "$SET_DURATION" --warmup 1s --json "$dir/set.json" >&2
  datadir=$(du -sk "$dir/data" | cut -f1)
  # Sessions: the RSS before, and while all of them are held open (the tool says when).
  local rss_idle rss_sessions
  rss_idle=$(rss_kb "$PID")
  "${LT[@]}" --target "127.0.0.1:$port" --sessions "$SESSIONS" --connections 64 --hold 6 --json "$dir/sessions.json" > "$dir/sessions.out" 2>&1 &
  local lt=$!
  for _ in $(seq 1 600); do grep -q holding "$dir/sessions.out" && break; sleep 0.1; done
  sleep 2
  rss_sessions=$(rss_kb "$PID")
  wait "$lt" || { echo "$kind: the sessions phase failed:" >&2; cat "$dir/sessions.out" >&2; exit 1; }
  local prefix
  prefix=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["Prefix"])' "$dir/populate.json")
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=
  # shellcheck disable=SC2046
  python3 scripts/bench_scale_probe.py first-read "$port" "$prefix/p0/n0" "$dir/server.out" -- $(server_cmd "$kind" "$dir" "$port") > "$dir/recovery.json"
  PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$dir/recovery.json")
  stop_server
  python3 - "$kind" "$run" "$dir" "$w0" "$w1" "$rss" "$datadir" "$ZNODES" "$rss_idle" "$rss_sessions" "$SESSIONS" > "$OUT/$kind-$run.json" <<'PY'
import json, sys
kind, run, d, w0, w1, rss, datadir, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
rss_idle, rss_sessions, sessions = int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
ses = json.load(open(f"{d}/sessions.json"))["result"]
pop = json.load(open(f"{d}/populate.json"))["result"]
st = json.load(open(f"{d}/set.json"))["result"]["Total"]
rec = json.load(open(f"{d}/recovery.json"))
print(json.dumps({"kind": kind, "run": run, "creates_per_s": pop["CreatesPerSecond"], "create_errors": pop["Errors"],
                  "bytes_written_per_create": (w1 - w0) / n, "rss_mib": rss / 1024, "datadir_mib": datadir / 1024,
                  "sets_per_s": st["OpsPerSecond"], "set_errors": st["Errors"], "recovery_first_read_ms": rec["first_read_ms"],
                  "sessions_s": ses["ElapsedSeconds"], "session_errors": ses["Errors"],
                  "kib_per_session": max(0, rss_sessions - rss_idle) / sessions}))
PY
  rm -rf "$dir"
}

{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC') cpu=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "znodes=$ZNODES parents=$PARENTS sessions=$CONNECTIONS x $OUTSTANDING in flight, runs=$RUNS"
} | tee "$OUT/machine.txt" >&2
for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) -eq 1 ]; then order="zk gw"; else order="gw zk"; fi
  for kind in $order; do
    echo "run $run: $kind" >&2
    measure "$kind" "$run"
  done
done
python3 scripts/bench_scale_probe.py fdatasync "$WORK" > "$OUT/fdatasync.json"
python3 scripts/bench_scale_probe.py loopback > "$OUT/loopback.json"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2

python3 - "$OUT" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, "*-[0-9]*.json")))]
limits = {**json.load(open(os.path.join(out, "fdatasync.json"))), **json.load(open(os.path.join(out, "loopback.json")))}
def cell(kind, key):
    vals = [r[key] for r in rows if r["kind"] == kind and r[key] is not None]
    if not vals:
        return None, "n/a"
    m = statistics.median(vals)
    fmt = (lambda v: f"{v:,.0f}") if m >= 100 else (lambda v: f"{v:.1f}")
    return m, fmt(m) + (f" [{fmt(min(vals))}-{fmt(max(vals))}]" if len(vals) > 1 else "")
print(open(os.path.join(out, "machine.txt")).read().strip())
print()
print("| metric | ZooKeeper 3.8 | ZkGateway | gateway / ZooKeeper |")
print("|---|---:|---:|---:|")
for key, name in [("creates_per_s", "populate, pipelined creates/s"), ("bytes_written_per_create", "bytes written to disk per create"),
                  ("rss_mib", "RSS after populate, MiB"), ("datadir_mib", "data directory, MiB"),
                  ("sets_per_s", "pipelined setData/s, tree loaded"), ("sessions_s", "sessions: connect + one exists each, s"),
                  ("kib_per_session", "RSS added per open session, KiB"), ("recovery_first_read_ms", "kill -9 -> first answered getData, ms")]:
    (a, ta), (b, tb) = cell("zk", key), cell("gw", key)
    print(f"| {name} | {ta} | {tb} | {b / a:.2f}x |" if a and b else f"| {name} | {ta} | {tb} | n/a |")
print()
print(f"machine: fdatasync 4 KiB p50 {limits['fdatasync_p50_us']} us (p99 {limits['fdatasync_p99_us']}), "
      f"loopback 64 B round trip p50 {limits['loopback_p50_us']} us (Python echo: an upper bound)")
print(f"sessions: {os.environ.get('SCALE_SESSIONS', '10000')}; a JVM's RSS barely moves while its heap has room, so ZooKeeper's per-session figure is a lower bound")
errors = sum(r["create_errors"] + r["set_errors"] + r["session_errors"] for r in rows)
if errors:
    print(f"{errors} operations failed")
    sys.exit(1)
PY
