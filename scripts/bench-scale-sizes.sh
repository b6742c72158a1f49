#!/usr/bin/env bash
# Issue 14's cost-against-size plot: scripts/bench-scale.sh at each size in SCALE_SIZES (default
# 100k, 300k and 1M znodes; SCALE_RUNS interleaved runs each, default 3), then
# scripts/bench_scale_plot.py draws RSS, recovery and creates/s against size into SCALE_PLOT
# (default docs/performance-scale.svg) and prints the figures as a table. The other knobs are
# bench-scale.sh's. At the defaults this takes about 45 minutes (2026-12-08): run it on a quiet machine.
#
#   bash scripts/bench-scale-sizes.sh
#   SCALE_SIZES="3000 10000" SCALE_RUNS=1 SCALE_PARENTS=10 SCALE_SESSIONS=200 SCALE_CHILDREN=1000 \
#     SCALE_PLOT=/tmp/scale.svg bash scripts/bench-scale-sizes.sh        # a few minutes, to try it
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SCALE_SIZES:-100000 300000 1000000}
export SCALE_RUNS=${SCALE_RUNS:-3}
PLOT=${SCALE_PLOT:-docs/performance-scale.svg}
BASE=$(mktemp -d /tmp/zkscale-sizes.XXXXXX)
dirs=()
for z in $SIZES; do
  echo "== $z znodes ==" >&2
  SCALE_ZNODES=$z SCALE_OUT="$BASE/$z" bash scripts/bench-scale.sh
  dirs+=("$BASE/$z")
done
python3 scripts/bench_scale_plot.py "$PLOT" "${dirs[@]}"
echo "plot: $PLOT; results: $BASE" >&2
