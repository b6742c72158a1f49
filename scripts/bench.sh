#!/usr/bin/env bash
# Apache ZooKeeper 3.8 (A) against ZkGateway (B) on this machine. One command regenerates all of
# docs/performance.md's generated section and the docs/performance-*.svg plots:
#
#   1. start-up: process start -> first TCP connect, and -> 'ruok' answered 'imok' (3 starts each)
#   2. the A/B table: 4 workloads with benchmarks/LoadTool's interleaved compare mode (A, B, A, ...)
#   3. concurrency sweep: get and set at 1, 2, 4, 8, 16 sessions (1 request in flight each)
#   4. memory: VmRSS of a fresh server before, right after creating 100,000 znodes of 100 bytes
#      (8 connections x 64 outstanding) and after an idle pause
#   5. TLS: seq-get, seq-set and async-get-8 over TLS (client certificate, clientAuth need, TLS 1.2)
#      against ZooKeeper's secureClientPort (Netty factory) and the gateway's, made with the same keys
#
# Both servers run on free loopback ports with fresh data directories under /tmp; ZooKeeper as in
# Debian's package (ZooKeeperServerMain, -Xmx512m, forceSync on), the gateway as it ships
# (docker/Dockerfile): a Release publish, ReadyToRun for this machine's architecture, with its defaults. Every server this script starts is stopped by its PID on exit.
#
#   bash scripts/bench.sh                      # about 7-8 minutes
#   BENCH_ROUNDS=5 BENCH_DURATION=10s bash scripts/bench.sh
# Knobs: BENCH_ROUNDS (3), BENCH_DURATION (5s), BENCH_WARMUP (2s), BENCH_VALUE_SIZE (100),
#   BENCH_SWEEP_DURATION (2s), BENCH_SWEEP_WARMUP (1s), BENCH_SWEEP_LEVELS ("1 2 4 8 16"),
#   BENCH_MEM_NODES (100000), BENCH_MEM_RUNS (3), BENCH_MEM_IDLE (3 s), BENCH_STARTS (3),
#   BENCH_ZK_XMX (512m), BENCH_OUT (JSON dir), BENCH_UPDATE_DOCS (1: rewrite docs; 0: print only),
#   BENCH_SKIP ("" or any of: startup table sweep memory tls).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-2s}
VALUE_SIZE=${BENCH_VALUE_SIZE:-100}
SWEEP_DURATION=${BENCH_SWEEP_DURATION:-2s}
SWEEP_WARMUP=${BENCH_SWEEP_WARMUP:-1s}
SWEEP_LEVELS=${BENCH_SWEEP_LEVELS:-1 2 4 8 16}
MEM_NODES=${BENCH_MEM_NODES:-100000}
MEM_RUNS=${BENCH_MEM_RUNS:-3}
MEM_IDLE=${BENCH_MEM_IDLE:-3}
STARTS=${BENCH_STARTS:-3}
ZK_XMX=${BENCH_ZK_XMX:-512m}
SKIP=${BENCH_SKIP:-}
UPDATE_DOCS=${BENCH_UPDATE_DOCS:-1}
WORK=$(mktemp -d /tmp/zkbench.XXXXXX)
BENCH_OUT=${BENCH_OUT:-$WORK/results}
mkdir -p "$BENCH_OUT"
T_START=$(date +%s)

[ -f /usr/share/java/zookeeper.jar ] || { echo "ZooKeeper 3.8 is not installed (bash scripts/install-test-deps.sh)" >&2; exit 1; }

ZK_PID=
GW_PID=
stop_servers() {
  # No errexit here: a killed server's non-zero status must not cut the cleanup short.
  set +e
  if [ -n "$GW_PID" ]; then kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; fi
  if [ -n "$ZK_PID" ]; then kill "$ZK_PID" 2>/dev/null; wait "$ZK_PID" 2>/dev/null; fi
  GW_PID=; ZK_PID=
  set -e
}
cleanup() {
  set +e
  stop_servers
  rm -rf "$WORK/zk" "$WORK/gw" "$WORK"/start-* "$WORK/tls"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

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

# zk_config DIR PORT: writes DIR/zoo.cfg for a standalone server with a fresh DIR/data.
zk_config() {
  rm -rf "$1/data"; mkdir -p "$1/data"
  cat > "$1/zoo.cfg" <<CFG
tickTime=2000
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
CFG
}
# The TLS run's keys (section 5), the same for both servers: ZooKeeper reads them as system
# properties, the gateway as --key=value. Netty's factory is ZooKeeper's only TLS factory; Debian's
# zookeeper.jar leaves netty-codec out of its manifest, hence the extra jar.
TLS_KEYS=()
ZK_CP=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
ZK_FACTORY=
zk_cmd() { # DIR
  # shellcheck disable=SC2068
  echo java "-Xmx$ZK_XMX" -cp "$ZK_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn $ZK_FACTORY \
    ${TLS_KEYS[@]/#/-D} org.apache.zookeeper.server.ZooKeeperServerMain "$1/zoo.cfg"
}
gw_cmd() { # DIR PORT
  # shellcheck disable=SC2068
  echo dotnet "$GW_DIR/ZkGateway.dll" --clientPort="$2" --dataDir="$1/data" "--4lw.commands.whitelist=ruok,srvr" --admin.enableServer=false ${TLS_KEYS[@]/#/--}
}
start_zk() { # DIR PORT [zoo.cfg lines]
  zk_config "$1" "$2"
  [ -n "${3:-}" ] && echo "$3" >> "$1/zoo.cfg"
  # shellcheck disable=SC2046
  $(zk_cmd "$1") > "$1/zk.out" 2>&1 &
  ZK_PID=$!
  wait_4lw "$2" ruok imok || { echo "ZooKeeper did not start:" >&2; cat "$1/zk.out" >&2; exit 1; }
}
start_gw() { # DIR PORT
  rm -rf "$1"; mkdir -p "$1"
  # shellcheck disable=SC2046
  $(gw_cmd "$1" "$2") > "$1/gw.out" 2>&1 &
  GW_PID=$!
  wait_4lw "$2" ruok imok || { echo "the gateway did not start:" >&2; cat "$1/gw.out" >&2; exit 1; }
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# What else is running (other sessions' servers, builds, tests): recorded before and after.
other_procs() {
  ps -eo pid=,pcpu=,rss=,etime=,args= | awk -v me=$$ '$5 ~ /(java|dotnet|node|python|sqlite|gcc|cc1)/ && $1 != me {
      a=""; for (i=5;i<=NF && length(a)<110;i++) a=a" "$i; printf "%s %s%% cpu, %d MB, up %s:%s\n", $1, $2, $3/1024, $4, a }' || true
}
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem=$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "os=$(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "dotnet=$(dotnet --version 2>/dev/null) (runtime $(dotnet --list-runtimes 2>/dev/null | awk '/NETCore.App/ {v=$2} END {print v}'))"
  echo "java=$(java -version 2>&1 | head -1)"
  echo "zookeeper=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown)"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$BENCH_OUT/env.txt"
other_procs > "$BENCH_OUT/others-before.txt"

echo "building (Release)..." >&2
# The gateway as docker/Dockerfile publishes it: ReadyToRun (its assemblies and SQLite's, compiled
# ahead of time) takes about 50 ms of JIT off the start-up; a plain build would measure the JIT.
GW_DIR=$WORK/gateway
GW_RID=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/Gateway/Gateway.csproj -c Release -r "$GW_RID" --self-contained false -p:PublishReadyToRun=true -o "$GW_DIR" -nologo -v quiet >&2
dotnet build benchmarks/LoadTool/LoadTool.csproj -c Release -nologo -v quiet >&2
LT=(dotnet benchmarks/LoadTool/bin/Release/net10.0/ZkGateway.LoadTool.dll)
status=0

# --- 1. start-up time, interleaved ZK, gateway, ZK, ... ---
if ! skipped startup; then
  : > "$BENCH_OUT/startup.jsonl"
  for i in $(seq 1 "$STARTS"); do
    port=$(free_port); zk_config "$WORK/start-zk" "$port"
    # shellcheck disable=SC2046
    r=$(python3 scripts/bench_startup.py "$port" "$WORK/start-zk/zk.out" -- $(zk_cmd "$WORK/start-zk")) || status=1
    echo "{\"server\": \"zk\", \"run\": $i, \"result\": $r}" >> "$BENCH_OUT/startup.jsonl"
    echo "start-up ZooKeeper #$i: $r" >&2
    port=$(free_port); rm -rf "$WORK/start-gw"; mkdir -p "$WORK/start-gw"
    # shellcheck disable=SC2046
    r=$(python3 scripts/bench_startup.py "$port" "$WORK/start-gw/gw.out" -- $(gw_cmd "$WORK/start-gw" "$port")) || status=1
    echo "{\"server\": \"gw\", \"run\": $i, \"result\": $r}" >> "$BENCH_OUT/startup.jsonl"
    echo "start-up gateway #$i: $r" >&2
  done
fi

# --- 2 and 3. the table and the sweep, on one ZooKeeper and one gateway ---
if ! skipped table || ! skipped sweep; then
  ZK_PORT=$(free_port); start_zk "$WORK/zk" "$ZK_PORT"
  GW_PORT=$(free_port); start_gw "$WORK/gw" "$GW_PORT"
  A=127.0.0.1:$ZK_PORT
  B=127.0.0.1:$GW_PORT
  echo "A = ZooKeeper 3.8 on $A (pid $ZK_PID), B = ZkGateway on $B (pid $GW_PID)" >&2
  run() {
    local name=$1; shift
    echo "== $name" >&2
    "${LT[@]}" --compare "$A,$B" --rounds "$ROUNDS" --value-size "$VALUE_SIZE" --label "$name" --json "$BENCH_OUT/$name.json" "$@" >&2 || status=1
  }
  if ! skipped table; then
    run seq-get        --duration "$DURATION" --warmup "$WARMUP" --mix get=1 --connections 1 --outstanding 1
    run seq-set        --duration "$DURATION" --warmup "$WARMUP" --mix set=1 --connections 1 --outstanding 1
    run async-get-8    --duration "$DURATION" --warmup "$WARMUP" --mix get=1 --connections 1 --outstanding 8
    run set-8-conns    --duration "$DURATION" --warmup "$WARMUP" --mix set=1 --connections 8 --outstanding 1
  fi
  if ! skipped sweep; then
    for op in get set; do
      for c in $SWEEP_LEVELS; do
        run "sweep-$op-$c" --duration "$SWEEP_DURATION" --warmup "$SWEEP_WARMUP" --mix "$op=1" --connections "$c" --outstanding 1
      done
    done
  fi
  stop_servers
fi

# --- 4. memory: a fresh server per run, RSS before, after 100k creates, after an idle pause ---
if ! skipped memory; then
  : > "$BENCH_OUT/memory.jsonl"
  for i in $(seq 1 "$MEM_RUNS"); do
    for server in zk gw; do
      port=$(free_port)
      if [ $server = zk ]; then start_zk "$WORK/zk" "$port"; pid=$ZK_PID; dir=$WORK/zk/data
      else start_gw "$WORK/gw" "$port"; pid=$GW_PID; dir=$WORK/gw/data; fi
      sleep 1
      before=$(rss_kb "$pid")
      "${LT[@]}" --target "127.0.0.1:$port" --populate "$MEM_NODES" --value-size "$VALUE_SIZE" \
        --connections 8 --outstanding 64 --json "$BENCH_OUT/populate-$server-$i.json" >&2 || status=1
      loaded=$(rss_kb "$pid")
      sleep "$MEM_IDLE"
      idle=$(rss_kb "$pid")
      peak=$(hwm_kb "$pid")
      disk=$(du -sk "$dir" | cut -f1)
      echo "{\"server\": \"$server\", \"run\": $i, \"rss_before_kb\": $before, \"rss_loaded_kb\": $loaded, \"rss_idle_kb\": $idle, \"hwm_kb\": $peak, \"disk_kb\": $disk}" >> "$BENCH_OUT/memory.jsonl"
      echo "memory $server #$i: before $before kB, loaded $loaded kB, after ${MEM_IDLE}s idle $idle kB, peak $peak kB, data dir $disk kB" >&2
      stop_servers
    done
  done
fi

# --- 5. TLS: the same workloads over TLS, ZooKeeper's secureClientPort (Netty) against the gateway's ---
if ! skipped tls; then
  command -v openssl > /dev/null || { echo "openssl is needed for the TLS run (bash scripts/install-test-deps.sh)" >&2; exit 1; }
  K=$WORK/tls; mkdir -p "$K"
  (
    cd "$K"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=zkbench CA" 2> /dev/null
    echo "subjectAltName=IP:127.0.0.1,DNS:localhost" > san.ext
    for name in server client; do
      openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj "/CN=$name" 2> /dev/null
      openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem -days 2 -extfile san.ext 2> /dev/null
      openssl pkcs12 -export -inkey $name.key -in $name.pem -certfile ca.pem -out $name.p12 -passout pass:benchpass
    done
  )
  TLS_KEYS=(zookeeper.ssl.keyStore.location="$K/server.p12" zookeeper.ssl.keyStore.password=benchpass
    zookeeper.ssl.keyStore.type=PKCS12 zookeeper.ssl.trustStore.location="$K/ca.pem" zookeeper.ssl.trustStore.type=PEM
    zookeeper.authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider)
  ZK_CP=$ZK_CP:/usr/share/java/netty-codec.jar
  ZK_FACTORY=-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
  ZK_PORT=$(free_port); ZK_TLS_PORT=$(free_port)
  start_zk "$WORK/zk" "$ZK_PORT" "secureClientPort=$ZK_TLS_PORT"
  GW_PORT=$(free_port); GW_TLS_PORT=$(free_port)
  TLS_KEYS+=(secureClientPort="$GW_TLS_PORT")
  start_gw "$WORK/gw" "$GW_PORT"
  echo "A = ZooKeeper 3.8 (Netty) TLS on 127.0.0.1:$ZK_TLS_PORT (pid $ZK_PID), B = ZkGateway TLS on 127.0.0.1:$GW_TLS_PORT (pid $GW_PID)" >&2
  tls_run() {
    local name=$1; shift
    echo "== $name" >&2
    "${LT[@]}" --compare "127.0.0.1:$ZK_TLS_PORT,127.0.0.1:$GW_TLS_PORT" --rounds "$ROUNDS" --value-size "$VALUE_SIZE" --label "$name" \
      --tls-ca "$K/ca.pem" --tls-cert "$K/client.p12" --tls-password benchpass --json "$BENCH_OUT/$name.json" "$@" >&2 || status=1
  }
  tls_run tls-seq-get     --duration "$DURATION" --warmup "$WARMUP" --mix get=1 --connections 1 --outstanding 1
  tls_run tls-seq-set     --duration "$DURATION" --warmup "$WARMUP" --mix set=1 --connections 1 --outstanding 1
  tls_run tls-async-get-8 --duration "$DURATION" --warmup "$WARMUP" --mix get=1 --connections 1 --outstanding 8
  stop_servers
  TLS_KEYS=()
fi

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$BENCH_OUT/env.txt"
echo "elapsed_s=$(( $(date +%s) - T_START ))" >> "$BENCH_OUT/env.txt"
echo "settings=rounds $ROUNDS, $WARMUP warm-up + $DURATION per table run, $SWEEP_WARMUP + $SWEEP_DURATION per sweep run, $VALUE_SIZE-byte values, ZooKeeper -Xmx$ZK_XMX, $MEM_NODES znodes x $MEM_RUNS memory runs, ${MEM_IDLE}s idle" >> "$BENCH_OUT/env.txt"
other_procs > "$BENCH_OUT/others-after.txt"

args=("$BENCH_OUT")
[ "$UPDATE_DOCS" = 1 ] && args+=(--docs docs)
python3 scripts/bench_report.py "${args[@]}"
echo "JSON results: $BENCH_OUT" >&2
exit $status
