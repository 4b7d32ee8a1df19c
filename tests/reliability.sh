#!/usr/bin/env bash
# The long reliability runs of issue 28 (the test command runs short versions of each):
#   crash: the hub killed with SIGKILL under mixed load, 100 times on SQLite and 100 on PostgreSQL (the database server
#          crashed too in every fourth), every acknowledged write, bundle, audit entry and notice checked after each restart
# About 20 minutes on 2 cores. KILLS=N changes the count; SEED=N replays a run. Report: bench/reliability/benchmark.md
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release --nologo -v q
bench=tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll
dotnet "$bench" crash --kills "${KILLS:-100}" --seed "${SEED:-28}" --engine both --out bench/reliability
echo "report: bench/reliability/benchmark.md"
