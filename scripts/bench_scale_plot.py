#!/usr/bin/env python3
"""Issue 14's plot of cost against tree size, from bench-scale.sh result directories.

    python3 scripts/bench_scale_plot.py OUT.svg RESULTS_DIR...

Each RESULTS_DIR is one bench-scale.sh run's SCALE_OUT (its machine.txt names the size). Three
panels, x = znodes: RSS after populate, kill -9 -> first answered read, pipelined creates/s; a dot
per server and size is the median of that directory's runs, the bar its min-max. Prints the
figures as a markdown table too. Standard library only.
"""
import glob
import json
import os
import re
import statistics
import sys

from bench_report import COLORS, SERVERS, esc, n, nice_max

PANELS = [("rss_mib", "RSS after populate", "MiB"),
          ("recovery_first_read_ms", "kill -9 -> first answered getData", "ms"),
          ("creates_per_s", "populate, pipelined creates/s", "creates/s")]


def read_size(results):
    """(znodes, {kind: {key: [values]}}, load line) of one bench-scale.sh results directory."""
    machine = open(os.path.join(results, "machine.txt")).read()
    znodes = int(re.search(r"znodes=(\d+)", machine).group(1))
    by_kind = {}
    for path in sorted(glob.glob(os.path.join(results, "*-[0-9]*.json"))):
        row = json.load(open(path))
        for key, _, _ in PANELS:
            if row.get(key) is not None:
                by_kind.setdefault(row["kind"], {}).setdefault(key, []).append(row[key])
    return znodes, by_kind, machine.splitlines()[0]


def label(v):
    return f"{v // 1000:,}k" if v < 1_000_000 else f"{v / 1_000_000:g}M"


def svg(sizes, path):
    pw, ph, ml, mr, mt, mb = 300, 240, 70, 20, 50, 60
    width = len(PANELS) * (pw + ml + mr) + 10
    height = ph + mt + mb + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">'
           'Cost against tree size (100 B znodes)</text>']
    xs_all = [z for z, _, _ in sizes]
    for i, (key, title, unit) in enumerate(PANELS):
        x0, y0 = 10 + i * (pw + ml + mr) + ml, mt
        values = [v for _, kinds, _ in sizes for k in kinds.values() for v in k.get(key, [])]
        ymax = nice_max(max(values, default=1) * 1.05)
        X = lambda z: x0 + pw * (xs_all.index(z) + 0.5) / len(xs_all)
        Y = lambda v: y0 + ph - ph * v / ymax
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 - 10}" text-anchor="middle" font-weight="bold">{esc(title)}</text>')
        for k in range(6):
            v = ymax * k / 5
            out.append(f'<line x1="{x0}" y1="{Y(v):.1f}" x2="{x0 + pw}" y2="{Y(v):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{n(v)}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
        for z in xs_all:
            out.append(f'<text x="{X(z):.1f}" y="{y0 + ph + 18}" text-anchor="middle">{label(z)}</text>')
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 38}" text-anchor="middle">znodes</text>')
        out.append(f'<text transform="translate({x0 - 55},{y0 + ph / 2}) rotate(-90)" text-anchor="middle">{esc(unit)}</text>')
        for kind in ("zk", "gw"):
            pts = [(X(z), statistics.median(k[kind][key]), k[kind][key]) for z, k, _ in sizes
                   if kind in k and k[kind].get(key)]
            # separate segments, not a polyline: some SVG renderers draw stray segments for open ones
            for (xa, ya, _), (xb, yb, _) in zip(pts, pts[1:]):
                out.append(f'<line x1="{xa:.1f}" y1="{Y(ya):.1f}" x2="{xb:.1f}" y2="{Y(yb):.1f}" '
                           f'stroke="{COLORS[kind]}" stroke-width="2.5"/>')
            for x, m, vals in pts:
                out.append(f'<line x1="{x:.1f}" y1="{Y(min(vals)):.1f}" x2="{x:.1f}" y2="{Y(max(vals)):.1f}" '
                           f'stroke="{COLORS[kind]}" stroke-width="1.2"/>')
                out.append(f'<circle cx="{x:.1f}" cy="{Y(m):.1f}" r="4" fill="{COLORS[kind]}"/>')
    lx, ly = width / 2 - 220, height - 14
    for kind in ("zk", "gw"):
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 30}" y2="{ly - 4}" stroke="{COLORS[kind]}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 36}" y="{ly}">{SERVERS[kind]}</text>')
        lx += 160
    out.append(f'<text x="{lx}" y="{ly}" fill="#555">dot = median of runs, bar = min-max</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def table(sizes):
    print("| znodes | " + " | ".join(f"{t} ({u}): ZooKeeper / gateway / ratio" for _, t, u in PANELS) + " | machine |")
    print("|---:|" + "---|" * (len(PANELS) + 1))
    for z, kinds, machine in sizes:
        cells = []
        for key, _, _ in PANELS:
            a, b = (statistics.median(kinds[k][key]) if kinds.get(k, {}).get(key) else None for k in ("zk", "gw"))
            cells.append(" / ".join("n/a" if v is None else n(v) for v in (a, b)) + (f" / {b / a:.2f}x" if a and b else ""))
        print(f"| {z:,} | " + " | ".join(cells) + f" | {machine} |")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    merged = {}  # directories of the same size pool their runs
    for znodes, kinds, machine in (read_size(d) for d in sys.argv[2:]):
        _, pool, machines = merged.setdefault(znodes, (znodes, {}, []))
        machines.append(machine)
        for kind, keys in kinds.items():
            for key, vals in keys.items():
                pool.setdefault(kind, {}).setdefault(key, []).extend(vals)
    sizes = [(z, k, "; ".join(m)) for z, k, m in sorted(merged.values(), key=lambda s: s[0])]
    svg(sizes, sys.argv[1])
    table(sizes)


if __name__ == "__main__":
    main()
