#!/usr/bin/env bash
# Benchmarks the PolarDB client against the standalone emulator, both as separate processes on
# loopback. Prints calls/s, p50/p99 latency and the emulator's ledger totals.
#   scripts/bench-client.sh [--callers N] [--calls N]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/polardb-backup-operator.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
LOG=$(mktemp)
# A quota far above the number of creates so that every CreateBackup does real work.
java -jar "$JAR" emulator --port 0 --quota 1000000 --backup-duration 60s >"$LOG" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$LOG" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -1)
[ -n "$URL" ] || { echo "emulator did not start:"; cat "$LOG"; exit 1; }
java -jar "$JAR" bench-client --endpoint "$URL" "$@"
