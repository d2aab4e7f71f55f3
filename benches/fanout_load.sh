#!/usr/bin/env bash
# The Redis fan-out load run for BENCHMARKS.md: a redis-server on a free loopback port, two
# `fanout` instances on one stream, CLIENTS SSE clients on each, RATE publishes a second
# (alternating instances) for SECONDS. Not part of CI; needs redis-server.
#   bash benches/fanout_load.sh [CLIENTS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-2000}
rate=${2:-100}
seconds=${3:-60}
cargo build --release --quiet --features redis --example fanout --example fanout_load
port=$((6400 + RANDOM % 1000))
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no > /dev/null &
redis=$!
pids=()
trap 'kill "${pids[@]}" "$redis" 2>/dev/null || true' EXIT
sleep 0.5
urls=()
for i in 1 2; do
  web=$((4100 + RANDOM % 800 + i))
  ./target/release/examples/fanout --redis "redis://127.0.0.1:$port" --port "$web" --stream "load-$$" > /dev/null &
  pids+=($!)
  urls+=("http://127.0.0.1:$web")
done
sleep 1
ulimit -n 20000
echo "== 2 instances x $clients clients, $rate publishes/s, $seconds s"
./target/release/examples/fanout_load --instances "$(IFS=,; echo "${urls[*]}")" --clients "$clients" \
  --rate "$rate" --seconds "$seconds" --server-pids "$(IFS=,; echo "${pids[*]}")"
