#!/usr/bin/env bash
# Interop check: @odata/client (npm) reads $metadata and pages through a filtered, ordered chronology
# query against a running hub with demo data. Prints "ok: ..." on success.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-interop-odata.XXXXXX")
trap 'kill $(cat "$data/hub.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$data"' EXIT
(cd interop/odata && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
url=$(interop/run-hub.sh "$data" --SharingHub:Demo:Enabled=true)
node interop/odata/chronology.mjs "$url"
