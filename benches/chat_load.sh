#!/usr/bin/env bash
# The chat-on-Redis load run for BENCHMARKS.md: a redis-server on a free loopback port, two
# `chat --redis` instances, CLIENTS SSE clients on each over TOPICS rooms, one publisher per
# instance at RATE publishes a second for SECONDS; then what it cost Redis. Not part of CI;
# needs redis-server and redis-cli.
#   bash benches/chat_load.sh [CLIENTS] [TOPICS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-2000}
topics=${2:-10000}
rate=${3:-100}
seconds=${4:-60}
cargo build --release --quiet --features redis --example chat --example chat_load
port=$((6400 + RANDOM % 1000))
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no > /dev/null &
redis=$!
pids=()
trap 'kill "${pids[@]}" "$redis" 2>/dev/null || true' EXIT
sleep 0.5
cli() { redis-cli -p "$port" "$@"; }
cli CONFIG RESETSTAT > /dev/null
urls=()
for i in 1 2; do
  web=$((4100 + RANDOM % 800 + i))
  ./target/release/examples/chat --redis "redis://127.0.0.1:$port" --port "$web" --prefix "load" > /dev/null &
  pids+=($!)
  urls+=("http://127.0.0.1:$web")
done
sleep 1
ulimit -n 20000
echo "== 2 instances x $clients clients over $topics rooms, $rate publishes/s per instance, $seconds s"
./target/release/examples/chat_load --instances "$(IFS=,; echo "${urls[*]}")" --clients "$clients" \
  --topics "$topics" --rate "$rate" --seconds "$seconds" --server-pids "$(IFS=,; echo "${pids[*]}")" \
  || status=$?
echo "== Redis"
published=$(cli HGET '{load:0}:meta' offset)
echo "published: $published; commands:"
cli INFO commandstats | grep -E 'cmdstat_(evalsha|eval|script|xread|xrange|hmget|hget)' | cut -d, -f1
echo "keys: $(cli DBSIZE) (for $topics rooms); stream entries: $(cli XLEN '{load:0}:log')"
echo "stream memory: $(cli MEMORY USAGE '{load:0}:log' SAMPLES 0) bytes"
exit "${status:-0}"
