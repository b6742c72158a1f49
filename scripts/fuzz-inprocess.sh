#!/usr/bin/env bash
# Coverage-guided in-process fuzzing of the wire decoders (issue 15, docs/compatibility.md): the
# SharpFuzz targets in tests/JuteFuzz (frames, records, handshake) under AFL++, each for a fixed budget.
#   installs afl++ (Debian) and the SharpFuzz.CommandLine 2.3.0 tool when missing; builds tests/JuteFuzz
#   into OUT/bin and instruments ZkGateway.Jute.dll and ZkGateway.dll there (the decoders and the
#   handshake; nothing else is instrumented); seeds each target's corpus from the golden frames
#   (ZkGateway.JuteFuzz seed) plus its regression cases (tests/JuteFuzz/regressions/TARGET/*.hex);
#   runs afl-fuzz per target; prints execs, corpus size, edges, crashes and hangs, and replays every
#   crash through the target without AFL to show the broken invariant.
#
# usage: scripts/fuzz-inprocess.sh [--long] [--budget SECONDS] [--out DIR] [TARGET...]
#   default budget 60 s per target; --long: 600 s per target. OUT defaults to /tmp/zkgw-fuzz-inprocess.
#   Findings stay in OUT/findings/TARGET/default/{crashes,hangs}; minimize one with
#   `afl-tmin -i CRASH -o MIN -t 5000 -m none -- dotnet OUT/bin/ZkGateway.JuteFuzz.dll TARGET`
#   (same environment as below) and keep it as a .hex regression case.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

budget=60
out=/tmp/zkgw-fuzz-inprocess
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --long) budget=600; shift ;;
    --budget) budget=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    frames|records|handshake) targets+=("$1"); shift ;;
    *) echo "fuzz-inprocess: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(frames records handshake)
say() { echo "fuzz-inprocess: $*"; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  say "installing afl++"
  "${as_root[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q afl++
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null 2>&1; then
  say "installing SharpFuzz.CommandLine 2.3.0"
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
fi

rm -rf "$out/bin"
mkdir -p "$out"
say "building tests/JuteFuzz into $out/bin"
dotnet build "$repo/tests/JuteFuzz/JuteFuzz.csproj" -c Release -nologo -v quiet -o "$out/bin" >"$out/build.log" 2>&1 \
  || { cat "$out/build.log"; exit 1; }
# Replays run on an uninstrumented copy: instrumented code writes to AFL's shared memory, absent outside afl-fuzz.
rm -rf "$out/plain"
cp -r "$out/bin" "$out/plain"
for dll in ZkGateway.Jute.dll ZkGateway.dll; do
  say "instrumenting $dll"
  sharpfuzz "$out/bin/$dll"
done
fuzz=(dotnet "$out/plain/ZkGateway.JuteFuzz.dll")

rm -rf "$out/seeds"
"${fuzz[@]}" seed "$out/seeds"
for target in "${targets[@]}"; do
  for case in "$repo"/tests/JuteFuzz/regressions/"$target"/*.hex; do
    [ -e "$case" ] || continue
    grep -v '^\s*#' "$case" | tr -d ' \n\t\r' | xxd -r -p >"$out/seeds/$target/regression-$(basename "$case" .hex)"
  done
done

# .NET is not an AFL-compiled binary (SharpFuzz speaks the fork-server protocol itself); no core
# dumps to wait for; no UI on a shared terminal; SharpFuzz's coverage map is AFL's classic 64 KiB.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
       AFL_MAP_SIZE=65536 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1

status=0
for target in "${targets[@]}"; do
  findings="$out/findings/$target"
  rm -rf "$findings"
  mkdir -p "$out/findings"
  say "$target: afl-fuzz for ${budget}s ($(ls "$out/seeds/$target" | wc -l) seeds)"
  # -t 5000: a .NET exec that takes 5 s is a hang (the first, with the JIT, is far below).
  afl-fuzz -i "$out/seeds/$target" -o "$findings" -t 5000 -m none -V "$budget" -- "$(command -v dotnet)" "$out/bin/ZkGateway.JuteFuzz.dll" "$target" \
    >"$out/afl-$target.log" 2>&1 || { tail -30 "$out/afl-$target.log"; status=1; continue; }
  stats="$findings/default/fuzzer_stats"
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  say "$target: execs $(get execs_done), corpus $(get corpus_count), edges $(get edges_found) of $(get total_edges) ($(get bitmap_cvg)), crashes $(get saved_crashes), hangs $(get saved_hangs), run $(get run_time)s"
  crashes=("$findings"/default/crashes/id:*)
  if [ -e "${crashes[0]}" ]; then
    status=1
    "${fuzz[@]}" replay "$target" "${crashes[@]}" || true
  fi
done
exit $status
