#!/usr/bin/env bash
# The full benchmark in one command: builds in Release, then
#   1. every area (policy, audit, crypto, HTTP) at 10k, 100k and 1M events on SQLite and PostgreSQL -> bench/
#   2. HTTP at 100k and 10M events on SQLite (growth to 10M against its 100k reference)       -> bench/10m/
# About 15 minutes for the first part and 45-60 for the second on 2 cores; 10M events take ~13 GB of disk.
# BENCH_SKIP_10M=1 runs the first part only. Figures are ratios to baselines measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release --nologo -v q
bench=tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll
dotnet "$bench" all --out bench
if [ "${BENCH_SKIP_10M:-}" != "1" ]; then
  dotnet "$bench" http --engine sqlite --events 100000,10000000 --out bench/10m
fi
echo "reports: bench/benchmark.md$([ "${BENCH_SKIP_10M:-}" != "1" ] && echo " and bench/10m/benchmark.md")"
