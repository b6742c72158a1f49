#!/usr/bin/env bash
# Apache ZooKeeper 3.8 (A) against ZkGateway (B) on this machine, with benchmarks/LoadTool's
# interleaved compare mode (A, B, A, B, ...). Both servers run on free loopback ports with fresh
# data directories under /tmp; ZooKeeper with its defaults (forceSync on), the gateway as a Release
# build with its defaults. Prints one markdown table (medians of the rounds, [min-max]) and leaves
# the JSON of every workload in $BENCH_OUT. Stops both servers on exit.
#
#   bash scripts/bench.sh                      # 3 rounds, 2 s warm-up + 5 s measured per run
#   BENCH_ROUNDS=5 BENCH_DURATION=10s bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-2s}
VALUE_SIZE=${BENCH_VALUE_SIZE:-100}
WORK=$(mktemp -d /tmp/zkbench.XXXXXX)
BENCH_OUT=${BENCH_OUT:-$WORK/results}
mkdir -p "$BENCH_OUT"

[ -f /usr/share/java/zookeeper.jar ] || { echo "ZooKeeper 3.8 is not installed (bash scripts/install-test-deps.sh)" >&2; exit 1; }

ZK_PID=
GW_PID=
cleanup() {
  # No errexit here: a killed server's non-zero status must not cut the cleanup short.
  set +e
  if [ -n "$GW_PID" ]; then kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; fi
  if [ -n "$ZK_PID" ]; then kill "$ZK_PID" 2>/dev/null; wait "$ZK_PID" 2>/dev/null; fi
  rm -rf "$WORK/zk/data" "$WORK/gw"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Answers 4lw $2 on port $1 within 15 s.
wait_4lw() {
  local port=$1 word=$2 expect=$3 r=
  for _ in $(seq 1 300); do
    r=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && echo -n "$word" >&3 && timeout 1 cat <&3) 2>/dev/null || true)
    case "$r" in *"$expect"*) return 0 ;; esac
    sleep 0.05
  done
  return 1
}

echo "building (Release)..." >&2
dotnet build src/Gateway/Gateway.csproj -c Release -nologo -v quiet >&2
dotnet build benchmarks/LoadTool/LoadTool.csproj -c Release -nologo -v quiet >&2

# --- Apache ZooKeeper 3.8, standalone, as in docs/environment §1 (forceSync on) ---
ZK_PORT=$(free_port)
mkdir -p "$WORK/zk/data"
cat > "$WORK/zk/zoo.cfg" <<CFG
tickTime=2000
dataDir=$WORK/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
CFG
java -Xmx512m -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  org.apache.zookeeper.server.ZooKeeperServerMain "$WORK/zk/zoo.cfg" > "$WORK/zk/zk.out" 2>&1 &
ZK_PID=$!
wait_4lw "$ZK_PORT" ruok imok || { echo "ZooKeeper did not start:" >&2; cat "$WORK/zk/zk.out" >&2; exit 1; }

# --- ZkGateway, Release build, embedded defaults ---
GW_PORT=$(free_port)
mkdir -p "$WORK/gw"
dotnet src/Gateway/bin/Release/net10.0/ZkGateway.dll --clientPort="$GW_PORT" --dataDir="$WORK/gw/data" \
  "--4lw.commands.whitelist=ruok,srvr" > "$WORK/gw.out" 2>&1 &
GW_PID=$!
wait_4lw "$GW_PORT" ruok imok || { echo "the gateway did not start:" >&2; cat "$WORK/gw.out" >&2; exit 1; }

A=127.0.0.1:$ZK_PORT
B=127.0.0.1:$GW_PORT
echo "A = ZooKeeper 3.8 on $A (pid $ZK_PID), B = ZkGateway on $B (pid $GW_PID)" >&2

LOAD=(dotnet benchmarks/LoadTool/bin/Release/net10.0/ZkGateway.LoadTool.dll
      --compare "$A,$B" --rounds "$ROUNDS" --duration "$DURATION" --warmup "$WARMUP" --value-size "$VALUE_SIZE")
status=0
run() {
  local name=$1; shift
  echo "== $name" >&2
  "${LOAD[@]}" --label "$name" --json "$BENCH_OUT/$name.json" "$@" >&2 || status=1
}
run seq-get        --mix get=1 --connections 1 --outstanding 1
run seq-set        --mix set=1 --connections 1 --outstanding 1
run async-get-8    --mix get=1 --connections 1 --outstanding 8
run set-8-conns    --mix set=1 --connections 8 --outstanding 1

python3 - "$BENCH_OUT" "$ROUNDS" "$DURATION" "$WARMUP" "$VALUE_SIZE" <<'PY'
import json, os, sys
out, rounds, duration, warmup, size = sys.argv[1:]
names = ["seq-get", "seq-set", "async-get-8", "set-8-conns"]
print(f"A = Apache ZooKeeper 3.8 (forceSync on), B = ZkGateway (Release, embedded). "
      f"Median of {rounds} interleaved rounds [min-max]; {warmup} warm-up + {duration} measured per run; "
      f"{size}-byte values; latency in µs.")
print()
print("| workload | metric | ZooKeeper | ZkGateway | gateway/ZK |")
print("|---|---|---:|---:|---:|")
for n in names:
    p = os.path.join(out, n + ".json")
    if not os.path.exists(p):
        print(f"| {n} | (no result) | | | |"); continue
    d = json.load(open(p))
    errs = sum(r["Total"]["Errors"] for r in d["runsA"] + d["runsB"])
    for m in d["summary"]:
        if m["Metric"] == "p90 us":
            continue
        fmt = lambda v: f"{v:,.0f}"
        print(f"| {n} | {m['Metric'].replace(' us', ' µs')} | {fmt(m['AMedian'])} [{fmt(m['AMin'])}-{fmt(m['AMax'])}] "
              f"| {fmt(m['BMedian'])} [{fmt(m['BMin'])}-{fmt(m['BMax'])}] | {m['Ratio']:.2f} |")
    if errs:
        print(f"| {n} | errors | | | {errs} |")
PY
echo "JSON results: $BENCH_OUT" >&2
exit $status
