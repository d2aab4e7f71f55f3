#!/usr/bin/env python3
"""Draws BENCHMARKS.svg from the peer benchmark's CSV, and prints the results table of
BENCHMARKS.md from the same CSV (standard library only).

    cargo run --release --manifest-path benches/peers/Cargo.toml -- --csv benches/results/peers.csv
    python3 benches/peers/chart.py benches/results/peers.csv BENCHMARKS.svg > target/table.md

One panel per workload; one bar per encoder: its median time as a multiple of the memcpy floor
(shorter is better), with events/s printed beside it.
"""
import csv
import sys
from collections import OrderedDict
from xml.sax.saxutils import escape

COLORS = {
    "sse-wire": "#d9480f",
    "axum 0.8": "#5c7cfa",
    "actix-web-lab 0.29": "#40c057",
    "warp 0.4": "#fab005",
    "sse-stream 0.3": "#be4bdb",
    "naive write! (floor)": "#868e96",
    "hand-written loop (floor)": "#adb5bd",
    "sse-wire, no stream (floor)": "#ffa94d",
    "memcpy (floor)": "#343a40",
}


def rate(x):
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:,.1f} k"


def main(src, dst):
    rows = list(csv.DictReader(open(src)))
    panels = OrderedDict()
    for r in rows:
        panels.setdefault(r["workload"], []).append(r)
    bar_h, gap, label_w, plot_w, pad = 16, 4, 170, 430, 12
    height = pad
    for peers in panels.values():
        height += 22 + len(peers) * (bar_h + gap) + 14
    width = label_w + plot_w + 250
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    y = pad
    for workload, peers in panels.items():
        floor = next(int(p["median_ns"]) for p in peers if p["peer"] == "memcpy (floor)")
        ratios = [int(p["median_ns"]) / floor for p in peers]
        scale = plot_w / max(ratios)
        out.append(f'<text x="{pad}" y="{y + 14}" font-weight="bold">{escape(workload)} '
                   f'(time as a multiple of the memcpy floor; shorter is better)</text>')
        y += 22
        for p, ratio in zip(peers, ratios):
            events_per_s = int(p["events"]) / (int(p["median_ns"]) / 1e9)
            w = max(1.0, ratio * scale)
            color = COLORS.get(p["peer"], "#999")
            weight = ' font-weight="bold"' if p["peer"] == "sse-wire" else ""
            out.append(f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end"{weight}>'
                       f'{escape(p["peer"])}</text>')
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
            mb_per_s = int(p["bytes"]) / (int(p["median_ns"]) / 1e9) / 1e6
            note = f'{ratio:.2f}× · {rate(events_per_s)} events/s · {mb_per_s:,.0f} MB/s'
            if p["check"] != "ok":
                note += " · output differs"
            out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 4}">{escape(note)}</text>')
            y += bar_h + gap
        y += 14
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


def table(src):
    """The Markdown table: per workload and encoder, the median, the rates, and the ratios."""
    rows = list(csv.DictReader(open(src)))
    floors = {r["workload"]: int(r["median_ns"]) for r in rows if r["peer"] == "memcpy (floor)"}
    libraries = [r for r in rows if "(floor)" not in r["peer"] and r["peer"] != "sse-wire"]
    best = {}
    for r in libraries:
        best[r["workload"]] = min(best.get(r["workload"], 1 << 62), int(r["median_ns"]))
    print("| workload | encoder | median | events/s | MB/s | × memcpy | best peer ÷ this "
          "| frames/event | allocs/event | output |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ns = int(r["median_ns"])
        events, nbytes = int(r["events"]), int(r["bytes"])
        vs = f'{best[r["workload"]] / ns:.2f}×' if r["workload"] in best else "–"
        print(f'| {r["workload"]} | {r["peer"]} | {ns / 1e6:.2f} ms | {rate(events / (ns / 1e9))} '
              f'| {nbytes / (ns / 1e9) / 1e6:,.0f} | {ns / floors[r["workload"]]:.2f}× | {vs} '
              f'| {int(r["frames"]) / events:.4f} | {int(r["allocs"]) / events:.3f} '
              f'| {r["check"]} |')


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
    table(sys.argv[1])
