#!/usr/bin/env bash
# The long reliability runs of issue 28 (the test command runs short versions of each):
#   crash:   the hub killed with SIGKILL under mixed load, 100 times on SQLite and 100 on PostgreSQL (the database server
#            crashed too in every fourth), every acknowledged write, bundle, audit entry and notice checked after each restart
#   parsers: 100,000 generated inputs per parser family on each engine (no 5xx, none over a second, nothing leaked)
#   flood:   a well-behaved reader's p50/p95 quiet and during a flood from another client
#   soak:    30 minutes of steady mixed load per engine: memory, threads, open files and p95 flat; the audit verifies
# About 20 minutes for the crashes, 40 for the parsers and 60 for the soaks on 2 cores. KILLS=N, COUNT=N and MINUTES=N change the counts; SEED=N replays
# a run (and `dotnet tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll replay "FAMILY" INDEX --seed N`
# prints one failing input). Reports: bench/reliability/{crash,flood,parsers,soak}/benchmark.md
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release --nologo -v q
bench=tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll
dotnet "$bench" crash --kills "${KILLS:-100}" --seed "${SEED:-28}" --engine both --out bench/reliability/crash
dotnet "$bench" flood --engine both --out bench/reliability/flood
dotnet "$bench" parsers --count "${COUNT:-100000}" --seed "${SEED:-28}" --engine both --out bench/reliability/parsers
dotnet "$bench" soak --minutes "${MINUTES:-30}" --engine both --out bench/reliability/soak
echo "reports: bench/reliability/{crash,flood,parsers,soak}/benchmark.md"
