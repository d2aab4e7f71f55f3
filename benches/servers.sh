#!/usr/bin/env bash
# The server-level benchmark for BENCHMARKS.md: one SSE app (a counter, `data: n <timestamp>`)
# served by axum's `Sse`, actix-web-lab's `Sse`, sse-wire (a counter per connection, and the hub
# broadcasting one counter) and a floor writing the same bytes with no SSE library, at 1,000,
# 5,000 and 15,000 connections and 1 and 10 events/s. Loopback only; not part of CI.
#   bash benches/servers.sh [SECONDS] > benches/results/servers.csv
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
cargo build --release --quiet --manifest-path benches/peers/Cargo.toml --bin servers --bin conns
bin=benches/peers/target/release
ulimit -n 20000
echo "kind,connections,rate,events,cpu_s_per_million,rss_kib_per_conn,p50_ms,p99_ms,max_ms,gaps,failed"
port=5100
for rate in 1 10; do
  for n in 1000 5000 15000; do
    for kind in axum-sse actix-lab-sse sse-wire sse-wire-hub floor; do
      port=$((port + 1))
      "$bin/servers" "$kind" "$port" "$rate" > /dev/null 2>&1 &
      server=$!
      sleep 0.5
      "$bin/conns" "$kind" "$port" "$server" "$n" "$rate" "$seconds" 2>/dev/null || echo "$kind,$n,$rate,failed"
      kill "$server"
      wait "$server" 2>/dev/null || true
    done
  done
done
