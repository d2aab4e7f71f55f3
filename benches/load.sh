#!/usr/bin/env bash
# The load run for BENCHMARKS.md: the counter server on loopback, 2,000 SSE clients at 10 events/s
# for 60 s, once with a counter per connection and once with --broadcast (each event encoded
# once, the same bytes sent to every client). Not part of CI.
#   bash benches/load.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-2000}
seconds=${2:-60}
cargo build --release --quiet --example counter --example loadgen
for mode in per-connection broadcast; do
  port=$((3900 + RANDOM % 1000))
  flags=(--port "$port" --interval-ms 100)
  [ "$mode" = broadcast ] && flags+=(--broadcast)
  ./target/release/examples/counter "${flags[@]}" > /dev/null &
  server=$!
  sleep 0.5
  echo "== $mode: $clients clients, 10 events/s, ${seconds} s"
  ./target/release/examples/loadgen --url "http://127.0.0.1:$port/sse" --clients "$clients" \
    --seconds "$seconds" --ramp-seconds 10 --server-pid "$server" || status=$?
  kill "$server"
  wait "$server" 2>/dev/null || true
  [ "${status:-0}" = 0 ] || { echo "$mode: loadgen reported failures"; exit 1; }
done
