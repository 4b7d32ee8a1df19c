#!/usr/bin/env bash
# Runs every test of SharingHub on a fresh machine: installs what the machine lacks (PostgreSQL server
# binaries), builds with warnings as errors, runs every test project (each store and API suite runs on
# SQLite and on a real PostgreSQL that the tests start themselves), then prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. PostgreSQL server binaries (initdb, pg_ctl). The tests start their own server from them.
if [ -z "${SHARINGHUB_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL server binaries (apt-get install postgresql)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || { echo "could not install postgresql" >&2; exit 2; }
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "running as root needs the 'postgres' system user to run the test server (apt-get install postgresql creates it)" >&2
  exit 2
fi

# Node.js and npm run the independent interop clients in interop/.
if ! command -v npm >/dev/null 2>&1; then
  say "installing Node.js and npm (apt-get install nodejs npm)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || { echo "could not install nodejs" >&2; exit 2; }
fi
# Chromium from Debian for the browser tests (Playwright drives it; it cannot download its own browser here).
if [ -z "${SHARINGHUB_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  say "installing Chromium for the browser tests (apt-get install chromium)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium" >&2; exit 2; }
fi
# HAProxy from Debian for the several-nodes check (three hub processes behind a real load balancer).
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  say "installing HAProxy for the several-nodes check (apt-get install haproxy)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null || { echo "could not install haproxy" >&2; exit 2; }
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { need_root apt-get update -qq; need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null; }
done

# 2. The .NET SDK that global.json pins (the machine image has it; nothing else is downloaded here).
if ! command -v dotnet >/dev/null 2>&1; then
  echo "the .NET SDK is not on PATH; install the version in global.json" >&2
  exit 2
fi

# 3. Leftovers of an interrupted earlier run: test PostgreSQL servers and their folders. Only those
#    untouched for two hours: a benchmark or another test run may be using the recent ones right now.
stale() { [ -d "$1" ] && [ -z "$(find "$1" -mmin -120 -print -quit 2>/dev/null)" ]; }
for dir in "${TMPDIR:-/tmp}"/sharinghub-pg-*; do
  stale "$dir" || continue
  pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$dir"
done
for dir in "${TMPDIR:-/tmp}"/sharinghub-test-* "${TMPDIR:-/tmp}"/sharinghub-run.*; do
  stale "$dir" || continue
  for pidfile in "$dir"/sharinghub-pg-*/data/postmaster.pid; do
    [ -f "$pidfile" ] && kill -9 "$(head -1 "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$dir"
done

# Everything this run creates (test databases, the PostgreSQL test server, key rings, captures) lives in one
# folder that is removed when the run ends, pass or fail; only a killed run leaves it, for the step above.
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-run.XXXXXX")
chmod 711 "$run_tmp"   # the PostgreSQL test server runs as the postgres user and must reach its own folder inside
cleanup() {
  for pidfile in "$run_tmp"/sharinghub-pg-*/data/postmaster.pid; do
    [ -f "$pidfile" ] && kill -9 "$(head -1 "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$run_tmp"
}
trap cleanup EXIT
export TMPDIR="$run_tmp"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say "building (Release, warnings as errors)"
dotnet build SharingHub.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }

say "running tests (SQLite and PostgreSQL)"
log=$(mktemp)
results=$(mktemp -d)
# Every FHIR response the API tests receive is kept here, and interop/fhir-schema validates each one.
SHARINGHUB_FHIR_CAPTURE=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-fhir-capture.XXXXXX")
export SHARINGHUB_FHIR_CAPTURE
dotnet test SharingHub.sln -c Release --no-build -nologo -v q --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Count from the TRX result files (one per test project), not from console lines that logs could interleave with.
count() { cat "$results"/*.trx 2>/dev/null | grep -o "<Counters [^>]*" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(count passed)
failed=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
# xunit reports a skipped test as neither executed nor "notExecuted": it is the difference.
skipped=$(( $(count total) - $(count executed) ))
assemblies=$(ls "$results"/*.trx 2>/dev/null | wc -l)
projects=$(ls tests/*/*.Tests.csproj | wc -l)
skip_report=$(mktemp)
fail_report=$(mktemp)
# The names of failed tests are repeated at the very end: a CI summary may keep only the last lines.
[ "$failed" -gt 0 ] && python3 tests/trx.py failed "$results"/*.trx > "$fail_report"
if [ "$skipped" -gt 0 ]; then
  # A test skips only when a conformance corpus beside the clone (shared/conformance) is absent; any
  # other skip hides a missing dependency and fails the run.
  python3 tests/trx.py skipped "$results"/*.trx > "$skip_report" || { echo "a test was skipped for a reason other than a missing conformance corpus" >&2; rc=1; failed=$((failed + 1)); }
fi
rm -rf "$results"
if [ "$assemblies" -ne "$projects" ]; then
  echo "only $assemblies of $projects test projects reported results (a test host crashed?)" >&2
  failed=$((failed + projects - assemblies))
  rc=1
fi

say "policy decision tests (sharinghub policy test)"
policy_log=$(mktemp)
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll policy test --policies policies 2>&1 | tee "$policy_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
passed=$((passed + $(grep -cE '^  ok ' "$policy_log")))
failed=$((failed + $(grep -cE '^  FAIL ' "$policy_log")))
grep -q '^policy tests' "$policy_log" || { echo "the policy tests did not run" >&2; failed=$((failed + 1)); rc=1; }
rm -f "$policy_log"

say "interop checks with independent clients (interop/)"
for check in interop/*/check.sh; do
  if "$check"; then
    passed=$((passed + 1)); echo "  Passed interop $(basename "$(dirname "$check")")"
  else
    failed=$((failed + 1)); rc=1; echo "  Failed interop $(basename "$(dirname "$check")")"
  fi
done

say "benchmark smoke run (figures are meaningless at this size; it proves the benchmark still works)"
dotnet tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll --smoke >/dev/null || { echo "benchmark smoke run failed" >&2; failed=$((failed + 1)); rc=1; }

say "reliability (issue 28): the hub killed with SIGKILL under load, 5 times per engine; a loss injected behind its back must be caught; 1,000 generated inputs per parser"
# tests/reliability.sh runs the same with 100 kills per engine; README "Reliability" gives its figures.
bench=tests/SharingHub.Benchmarks/bin/Release/net10.0/SharingHub.Benchmarks.dll
# A step's standard error is kept whole; its summary lines are shown when it passes, all of it when it fails
# (an abort's "Unhandled exception" and stack would otherwise be lost). These steps start, kill and reap many child
# processes, and the .NET runtime can fail the benchmark program itself while reaping one ("Error while reaping child.
# errno = 10": a race in the runtime's SIGCHLD handling, dotnet/runtime#116385, not in the hub). That message alone, and
# only once, runs the step again, after printing what happened; any other failure fails the step.
bench_step() {
  local label=$1 prefix=$2; shift 2
  local err code=0; err=$(mktemp)
  dotnet "$bench" "$@" 2>"$err" >/dev/null || code=$?
  if [ "$code" -ne 0 ] && grep -q 'Error while reaping child' "$err"; then
    cat "$err" >&2
    echo "  $label: the .NET runtime failed the benchmark program while reaping a child process (dotnet/runtime#116385); running it once more" >&2
    code=0
    dotnet "$bench" "$@" 2>"$err" >/dev/null || code=$?
  fi
  if [ "$code" -eq 0 ]; then
    grep -E "^($prefix)" "$err" >&2
    passed=$((passed + 1)); echo "  Passed $label"
  else
    cat "$err" >&2
    failed=$((failed + 1)); rc=1; echo "  Failed $label (exit $code)"
  fi
  rm -f "$err"
}
for run in "crash --kills 5" "crash --kills 1 --inject-loss" "parsers --count 1000"; do
  # shellcheck disable=SC2086
  bench_step "$run" 'crash|parsers' $run --engine both
done
say "several hub nodes (issue 30): three hub processes on PostgreSQL behind HAProxy; README \"Several hub nodes\" gives the full run's figures"
bench_step "cluster --smoke" cluster cluster --smoke
rm -f "$log"
rm -rf "$SHARINGHUB_FHIR_CAPTURE"
echo
if [ "$skipped" -gt 0 ]; then
  echo "$skipped skipped, each for this reason:"
  cat "$skip_report"
fi
rm -f "$skip_report"
if [ -s "$fail_report" ]; then
  echo "failed tests:"
  cat "$fail_report"
fi
rm -f "$fail_report"
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] || exit 1
