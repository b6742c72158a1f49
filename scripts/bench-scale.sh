#!/usr/bin/env bash
# Issue 14's scale workloads: Apache ZooKeeper 3.8 (-Xmx3g, forceSync on) against ZkGateway's
# embedded server, each run on a fresh data directory, the two taking turns (ZooKeeper first in odd
# runs, the gateway first in even ones). Per server and run:
#
#   1. populate: SCALE_ZNODES znodes of 100 B under SCALE_PARENTS parents, pipelined
#      (SCALE_CONNECTIONS sessions x SCALE_OUTSTANDING in flight): creates/s, bytes the server
#      process wrote to disk per create (/proc/PID/io write_bytes, snapshots and checkpoints
#      included), RSS and the data directory's size after it
#   2. pipelined setData/s with the tree loaded, SCALE_CONNECTIONS sessions and 1 session
#      (SCALE_OUTSTANDING in flight each)
#   3. getData and setData p50 on one session, one request in flight
#   4. pipelined creates/s on 1 session (SCALE_ZNODES/10 more znodes)
#   5. getChildren p50 of a parent with SCALE_CHILDREN children (made pipelined first)
#   6. SCALE_WATCHES data watches on the populated znodes, one session each, spread over
#      SCALE_CONNECTIONS sessions: the time to set them, the RSS they add, and the fan-out (other
#      sessions setData every watched znode; time to the last NodeDataChanged)
#   7. SCALE_SESSIONS sessions (one connection each, 64 connecting at a time) that connect and send
#      one exists each: the time to the last reply, and the RSS they add while held open, once
#      settled (8 s into the hold, after any memory trim the connect burst allows)
#   8. kill -9, restart, and the time from the restart to the first answered getData of a
#      populated znode (recovery as a client sees it)
#
# and, once, the machine's limits: fdatasync p50 of a 4 KiB write on the data directory's file
# system, and the load tool's own getData/setData round trip to an in-process peer that answers at
# once with replies of the same size (LoadTool --loopback). Prints a table of medians [min-max] with
# the gateway/ZooKeeper ratios and the p50s against those limits; JSON in SCALE_OUT.
#
#   bash scripts/bench-scale.sh                                   # 1M znodes, about 20 minutes a run
#   SCALE_ZNODES=100000 SCALE_PARENTS=100 bash scripts/bench-scale.sh   # a quick look
# Knobs: SCALE_ZNODES (1000000), SCALE_PARENTS (1000), SCALE_CONNECTIONS (8), SCALE_OUTSTANDING (64),
#   SCALE_SESSIONS (10000), SCALE_CHILDREN (100000), SCALE_WATCHES (SCALE_ZNODES; at most that),
#   SCALE_RUNS (1; issue 14 asks for 3 for the docs), SCALE_SET_DURATION (5s: each timed workload), SCALE_ZK_XMX (3g),
#   SCALE_OUT (JSON dir), SCALE_GATEWAY_DLL (a built ZkGateway.dll to use instead of publishing one:
#   the test suite's smoke run), SCALE_SERVERS ("zk gw"; "gw" for the gateway alone), SCALE_ROWS (all;
#   "recovery": populate, then straight to kill -9 and the restart, the other rows n/a). Needs ZooKeeper 3.8 from Debian (bash scripts/install-test-deps.sh)
#   and builds the gateway and the load tool itself.
set -euo pipefail
cd "$(dirname "$0")/.."

ZNODES=${SCALE_ZNODES:-1000000}
PARENTS=${SCALE_PARENTS:-1000}
CONNECTIONS=${SCALE_CONNECTIONS:-8}
OUTSTANDING=${SCALE_OUTSTANDING:-64}
RUNS=${SCALE_RUNS:-1}
SESSIONS=${SCALE_SESSIONS:-10000}
CHILDREN=${SCALE_CHILDREN:-100000}
WATCHES=${SCALE_WATCHES:-$ZNODES}
[ "$WATCHES" -le "$ZNODES" ] || WATCHES=$ZNODES
SET_DURATION=${SCALE_SET_DURATION:-5s}
ZK_XMX=${SCALE_ZK_XMX:-3g}
SERVERS=${SCALE_SERVERS:-zk gw}
ROWS=${SCALE_ROWS:-all}
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
    # ZooKeeperServer at INFO: its "Expiring session" lines show a phase that lost sessions, and why.
    echo java "-Xmx$ZK_XMX" -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.ZooKeeperServer=info \
      org.apache.zookeeper.server.ZooKeeperServerMain "$2/zoo.cfg"
  else
    echo dotnet "$GW_DIR/ZkGateway.dll" --clientPort="$3" --dataDir="$2/data" --4lw.commands.whitelist=ruok --admin.enableServer=false --maxClientCnxns=0
  fi
}
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# The gateway's memory trims (memoryTrimIdleMs) so far: a delta of RSS across one is no measure.
TRIM_LINE="returned memory to the OS"
trims() { grep -c "$TRIM_LINE" "$1" || true; }
# The gateway trims at most once per 30 s (IdleMemoryTrimPolicy.MinIntervalMs): wait until 33 s have
# passed since its last trim, so that a trim the last burst allowed has run and the next phase's burst
# may have its own (else the phase after the watches could neither show nor get one).
settle_trims() { # KIND SERVER_OUT
  [ "$1" = gw ] || return 0
  local last age
  for _ in $(seq 1 40); do
    # The log line starts with the gateway's local time of day, HH:MM:SS.mmm.
    last=$(grep "$TRIM_LINE" "$2" | tail -1 | cut -c1-12)
    [ -n "$last" ] || return 0
    age=$(( ($(date +%s) - $(date -d "$last" +%s) + 86400) % 86400 ))
    [ "$age" -ge 33 ] && return 0
    sleep 1
  done
}
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"][sys.argv[2]])' "$1" "$2"; }

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

# kill -9, restart, and the time to the first answered getData into DIR/recovery.json.
recover() { # KIND DIR PORT PREFIX
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=
  # shellcheck disable=SC2046
  python3 scripts/bench_scale_probe.py first-read "$3" "$4/p0/n0" "$2/server.out" -- $(server_cmd "$1" "$2" "$3") > "$2/recovery.json"
  PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$2/recovery.json")
  # The gateway may still be loading the tree in the background: let it finish, for its log line.
  sleep "${SCALE_AFTER_RECOVERY:-0}"
  cp "$2/server.out" "$OUT/$(basename "$2").server.out"
  stop_server
}

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
  # The gateway returns a burst's committed memory after 1 s of quiet (memoryTrimIdleMs), after a
  # background collection when its figures predate the quiet: about 3 s at 1M znodes.
  sleep 6
  w1=$(written "$PID")
  rss=$(rss_kb "$PID")
  local prefix
  prefix=$(json_get "$dir/populate.json" Prefix)
  timed() { # NAME ARGS...: one timed workload on the populated tree
    local name=$1; shift
    "${LT[@]}" --target "127.0.0.1:$port" --value-size 100 --duration "$SET_DURATION" --warmup 1s --json "$dir/$name.json" "$@" >&2
  }
  datadir=$(du -sk "$dir/data" | cut -f1)
  if [ "$ROWS" = recovery ]; then
    recover "$kind" "$dir" "$port" "$prefix"
    python3 - "$kind" "$run" "$dir" "$w0" "$w1" "$rss" "$datadir" "$ZNODES" > "$OUT/$kind-$run.json" <<'PY'
import json, sys
kind, run, d, w0, w1, rss, datadir, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
pop = json.load(open(f"{d}/populate.json"))["result"]
print(json.dumps({"kind": kind, "run": run, "errors": pop["Errors"], "creates_per_s": pop["CreatesPerSecond"],
                  "bytes_written_per_create": (w1 - w0) / n, "rss_mib": rss / 1024, "datadir_mib": datadir / 1024,
                  "recovery_first_read_ms": json.load(open(f"{d}/recovery.json"))["first_read_ms"]}))
PY
    rm -rf "$dir"
    return
  fi
  timed set --mix set=1 --connections "$CONNECTIONS" --outstanding "$OUTSTANDING"
  timed set1 --mix set=1 --connections 1 --outstanding "$OUTSTANDING"
  timed seqget --mix get=1
  timed seqset --mix set=1
  "${LT[@]}" --target "127.0.0.1:$port" --populate $((ZNODES / 10 > 0 ? ZNODES / 10 : 1)) --parents "$PARENTS" --connections 1 \
    --outstanding "$OUTSTANDING" --value-size 100 --json "$dir/populate1.json" >&2
  "${LT[@]}" --target "127.0.0.1:$port" --populate "$CHILDREN" --connections "$CONNECTIONS" \
    --outstanding "$OUTSTANDING" --value-size 100 --json "$dir/children-populate.json" >&2
  timed children --mix children=1 --read-path "$(json_get "$dir/children-populate.json" Prefix)"
  # Watches: the RSS before, and while all of them are set (the tool says when), then the fan-out.
  local rss_unwatched rss_watched trims0
  trims0=$(trims "$dir/server.out")
  rss_unwatched=$(rss_kb "$PID")
  "${LT[@]}" --target "127.0.0.1:$port" --watches "$WATCHES" --watch-prefix "$prefix" --parents "$PARENTS" \
    --connections "$CONNECTIONS" --outstanding "$OUTSTANDING" --hold 3 --json "$dir/watches.json" > "$dir/watches.out" 2>&1 &
  local lt=$!
  for _ in $(seq 1 3000); do grep -q holding "$dir/watches.out" && break; sleep 0.1; done
  sleep 1
  rss_watched=$(rss_kb "$PID")
  [ "$(trims "$dir/server.out")" = "$trims0" ] || rss_watched=-1
  # A failed fan-out (a server that dropped events or connections under a million watches) is
  # reported for that server and run, not fatal to the others: its output and the server's log are
  # kept in SCALE_OUT.
  local watches_failed=0
  if ! wait "$lt"; then
    watches_failed=1
    echo "$kind: the watches phase failed (kept in $OUT/$kind-$run-watches.out and -server.out):" >&2
    tail -5 "$dir/watches.out" >&2
    cp "$dir/watches.out" "$OUT/$kind-$run-watches.out"
    cp "$dir/server.out" "$OUT/$kind-$run-server.out" 2>/dev/null || true
  fi
  # Sessions: what idle sessions keep once settled, not the connect burst's garbage. The RSS 6 s
  # after the watches and once the gateway may trim again (settle_trims: a trim their burst allows
  # has run by then), and 8 s into the hold of all of them (the tool says when it holds; a trim the
  # connect burst allows has run by then too). The trims in between are counted into the results.
  local rss_idle rss_sessions session_trims
  sleep 6
  settle_trims "$kind" "$dir/server.out"
  trims0=$(trims "$dir/server.out")
  rss_idle=$(rss_kb "$PID")
  "${LT[@]}" --target "127.0.0.1:$port" --sessions "$SESSIONS" --connections 64 --hold 12 --json "$dir/sessions.json" > "$dir/sessions.out" 2>&1 &
  lt=$!
  for _ in $(seq 1 600); do grep -q holding "$dir/sessions.out" && break; sleep 0.1; done
  sleep 8
  rss_sessions=$(rss_kb "$PID")
  session_trims=$(( $(trims "$dir/server.out") - trims0 ))
  wait "$lt" || { echo "$kind: the sessions phase failed:" >&2; cat "$dir/sessions.out" >&2; exit 1; }
  recover "$kind" "$dir" "$port" "$prefix"
  python3 - "$kind" "$run" "$dir" "$w0" "$w1" "$rss" "$datadir" "$ZNODES" "$rss_idle" "$rss_sessions" "$SESSIONS" \
    "$rss_unwatched" "$rss_watched" "$WATCHES" "$session_trims" "$watches_failed" > "$OUT/$kind-$run.json" <<'PY'
import json, sys
kind, run, d, w0, w1, rss, datadir, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
rss_idle, rss_sessions, sessions = int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
rss_unwatched, rss_watched, watches, session_trims = int(sys.argv[12]), int(sys.argv[13]), int(sys.argv[14]), int(sys.argv[15])
def result(name):
    return json.load(open(f"{d}/{name}.json"))["result"]
watches_failed = sys.argv[16] == "1"
ses, pop, pop1, rec = result("sessions"), result("populate"), result("populate1"), json.load(open(f"{d}/recovery.json"))
w = None if watches_failed else result("watches")
timed = {name: result(name)["Total"] for name in ("set", "set1", "seqget", "seqset", "children")}
errors = (pop["Errors"] + pop1["Errors"] + result("children-populate")["Errors"] + ses["Errors"] + (w["Errors"] if w else 0)
          + sum(t["Errors"] for t in timed.values()))
print(json.dumps({"kind": kind, "run": run, "errors": errors,
                  "creates_per_s": pop["CreatesPerSecond"], "creates_per_s_1": pop1["CreatesPerSecond"],
                  "bytes_written_per_create": (w1 - w0) / n, "rss_mib": rss / 1024, "datadir_mib": datadir / 1024,
                  "sets_per_s": timed["set"]["OpsPerSecond"], "sets_per_s_1": timed["set1"]["OpsPerSecond"],
                  "get_p50_us": timed["seqget"]["P50Us"], "set_p50_us": timed["seqset"]["P50Us"],
                  "children_p50_ms": timed["children"]["P50Us"] / 1000,
                  "watch_set_s": w["SetSeconds"] if w else None, "watch_fanout_s": w["FanoutSeconds"] if w else None,
                  "watches_failed": watches_failed,
                  # None when the gateway trimmed its memory in between (-1): that delta measures the trim.
                  "bytes_per_watch": None if rss_watched < 0 or not w else max(0, rss_watched - rss_unwatched) * 1024 / watches,
                  "recovery_first_read_ms": rec["first_read_ms"],
                  "sessions_s": ses["ElapsedSeconds"], "kib_per_session": max(0, rss_sessions - rss_idle) / sessions,
                  "trims_during_sessions": session_trims}))
PY
  rm -rf "$dir"
}

{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC') cpu=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "znodes=$ZNODES parents=$PARENTS pipelined: $CONNECTIONS sessions x $OUTSTANDING in flight; children=$CHILDREN watches=$WATCHES sessions=$SESSIONS, runs=$RUNS"
} | tee "$OUT/machine.txt" >&2
for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) -eq 1 ]; then order="zk gw"; else order="gw zk"; fi
  for kind in $order; do
    case " $SERVERS " in *" $kind "*) ;; *) continue ;; esac
    echo "run $run: $kind" >&2
    measure "$kind" "$run"
  done
done
python3 scripts/bench_scale_probe.py fdatasync "$WORK" > "$OUT/fdatasync.json"
"${LT[@]}" --loopback 20000 --value-size 100 --json "$OUT/loopback.json" >&2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2

python3 - "$OUT" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, "*-[0-9]*.json")))]
fsync = json.load(open(os.path.join(out, "fdatasync.json")))
loop = json.load(open(os.path.join(out, "loopback.json")))["result"]
def median(kind, key):
    vals = [r[key] for r in rows if r["kind"] == kind and r.get(key) is not None]
    return (statistics.median(vals), vals) if vals else (None, [])
def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
def cell(m, vals):
    return "n/a" if m is None else fmt(m) + (f" [{fmt(min(vals))}-{fmt(max(vals))}]" if len(vals) > 1 else "")
print(open(os.path.join(out, "machine.txt")).read().strip())
print()
print("| metric | ZooKeeper 3.8 | ZkGateway | gateway / ZooKeeper |")
print("|---|---:|---:|---:|")
for key, name in [("creates_per_s", "populate, pipelined creates/s"), ("creates_per_s_1", "pipelined creates/s, 1 session"),
                  ("bytes_written_per_create", "bytes written to disk per create"),
                  ("rss_mib", "RSS after populate, MiB"), ("datadir_mib", "data directory, MiB"),
                  ("sets_per_s", "pipelined setData/s, tree loaded"), ("sets_per_s_1", "pipelined setData/s, 1 session"),
                  ("get_p50_us", "getData p50, one in flight, us"), ("set_p50_us", "setData p50, one in flight, us"),
                  ("children_p50_ms", "getChildren p50 of the big parent, ms"),
                  ("watch_set_s", "watches: time to set them all, s"), ("bytes_per_watch", "RSS added per watch, B"),
                  ("watch_fanout_s", "watches: fan-out to the last event, s"),
                  ("sessions_s", "sessions: connect + one exists each, s"),
                  ("kib_per_session", "RSS added per open session, KiB"), ("recovery_first_read_ms", "kill -9 -> first answered getData, ms")]:
    (a, av), (b, bv) = median("zk", key), median("gw", key)
    print(f"| {name} | {cell(a, av)} | {cell(b, bv)} | " + (f"{b / a:.2f}x |" if a and b else "n/a |"))
print()
get_limit = loop["Get"]["P50Us"]
set_limit = loop["Set"]["P50Us"] + fsync["fdatasync_p50_us"]
print(f"machine: fdatasync 4 KiB p50 {fsync['fdatasync_p50_us']} us (p99 {fsync['fdatasync_p99_us']}); the load tool's round trip to a peer that "
      f"does no work: getData p50 {get_limit:.1f} us, setData p50 {loop['Set']['P50Us']:.1f} us")
print()
print("| p50 against the machine's limits | limit, us | ZooKeeper 3.8 | ZkGateway | target |")
print("|---|---:|---:|---:|---|")
for key, name, limit in [("get_p50_us", "getData, one in flight / loopback round trip", get_limit),
                         ("set_p50_us", "setData, one in flight / (loopback round trip + fdatasync)", set_limit)]:
    (a, _), (b, _) = median("zk", key), median("gw", key)
    print(f"| {name} | {limit:.1f} | " + " | ".join(f"{v / limit:.2f}x" if v else "n/a" for v in (a, b)) + " | <= 1.5x |")
print()
print(f"sessions: {os.environ.get('SCALE_SESSIONS', '10000')}; a JVM's RSS barely moves while its heap has room, so ZooKeeper's per-session and per-watch figures are lower bounds")
errors = sum(r["errors"] for r in rows)
if errors:
    print(f"{errors} operations failed")
    sys.exit(1)
PY
