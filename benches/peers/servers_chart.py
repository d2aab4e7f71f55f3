#!/usr/bin/env python3
"""Draws BENCHMARKS-servers.svg from benches/results/servers.csv (standard library only), and
prints the table of BENCHMARKS.md's server section from the same CSV.

    bash benches/servers.sh > benches/results/servers.csv
    python3 benches/peers/servers_chart.py benches/results/servers.csv BENCHMARKS-servers.svg

Two panels per event rate: server memory per connection, and server CPU-seconds per million
delivered events, each against the number of connections; one line per server.
"""
import csv
import sys
from xml.sax.saxutils import escape

COLORS = {
    "sse-wire": "#d9480f",
    "sse-wire-hub": "#f08c00",
    "axum-sse": "#5c7cfa",
    "actix-lab-sse": "#40c057",
    "floor": "#343a40",
}
NAMES = {
    "sse-wire": "sse-wire (counter per connection)",
    "sse-wire-hub": "sse-wire hub (broadcast)",
    "axum-sse": "axum 0.8 Sse",
    "actix-lab-sse": "actix-web-lab 0.29 Sse",
    "floor": "no SSE library (floor)",
}


def rows(src):
    return [r for r in csv.DictReader(open(src)) if r.get("events") not in (None, "", "failed")]


def panel(out, x0, y0, w, h, title, series, field, unit):
    out.append(f'<text x="{x0}" y="{y0 - 8}" font-weight="bold">{escape(title)}</text>')
    xs = sorted({int(r["connections"]) for s in series.values() for r in s})
    ymax = max(float(r[field]) for s in series.values() for r in s) * 1.1 or 1
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>')
    sx = lambda c: x0 + w * xs.index(c) / max(1, len(xs) - 1)
    sy = lambda v: y0 + h - h * v / ymax
    for c in xs:
        out.append(f'<text x="{sx(c):.0f}" y="{y0 + h + 14}" text-anchor="middle">{c:,}</text>')
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<text x="{x0 - 4}" y="{sy(v) + 4:.0f}" text-anchor="end">{v:.0f}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 30}" text-anchor="middle">connections ({unit})</text>')
    for kind, s in series.items():
        pts = sorted((int(r["connections"]), float(r[field])) for r in s)
        path = " ".join(f"{sx(c):.1f},{sy(v):.1f}" for c, v in pts)
        color = COLORS.get(kind, "#999")
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for c, v in pts:
            out.append(f'<circle cx="{sx(c):.1f}" cy="{sy(v):.1f}" r="3" fill="{color}"/>')


def chart(src, dst):
    data = rows(src)
    rates = sorted({r["rate"] for r in data}, key=int)
    w, h, pad = 300, 180, 70
    width, height = pad + 2 * (w + pad) + 170, len(rates) * (h + 90) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, rate in enumerate(rates):
        series = {}
        for r in data:
            if r["rate"] == rate:
                series.setdefault(r["kind"], []).append(r)
        y = 30 + i * (h + 90)
        panel(out, pad, y, w, h, f"memory per connection, KiB ({rate} event/s)", series,
              "rss_kib_per_conn", "server RSS growth / connections")
        panel(out, 2 * pad + w, y, w, h, f"CPU-seconds per million events ({rate} event/s)",
              series, "cpu_s_per_million", "server user+system")
    for j, (kind, name) in enumerate(NAMES.items()):
        y = 40 + j * 16
        out.append(f'<rect x="{3 * pad + 2 * w - 40}" y="{y - 9}" width="10" height="10" fill="{COLORS[kind]}"/>')
        out.append(f'<text x="{3 * pad + 2 * w - 25}" y="{y}">{escape(name)}</text>')
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


def table(src):
    data = rows(src)
    print("| events/s | connections | server | CPU-s per million events | RSS per connection "
          "| latency p50 / p99 / max | gaps | failed |")
    print("|---:|---:|---|---:|---:|---|---:|---:|")
    for r in data:
        print(f'| {r["rate"]} | {int(r["connections"]):,} | {NAMES.get(r["kind"], r["kind"])} '
              f'| {float(r["cpu_s_per_million"]):.1f} | {float(r["rss_kib_per_conn"]):.1f} KiB '
              f'| {float(r["p50_ms"]):.1f} / {float(r["p99_ms"]):.1f} / {float(r["max_ms"]):.1f} ms '
              f'| {r["gaps"]} | {r["failed"]} |')


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    chart(sys.argv[1], sys.argv[2])
    table(sys.argv[1])
