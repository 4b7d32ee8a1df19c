#!/usr/bin/env bash
# Interop check: resources the hub produces validate against the official FHIR R4 JSON schema.
# The IG officer's AuditEvent export from a running hub, and every FHIR API response the .NET tests
# received (tests/run.sh points SHARINGHUB_FHIR_CAPTURE at the folder they were written to).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-interop-fhir.XXXXXX")
trap 'kill $(cat "$data/hub.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$data"' EXIT
(cd interop/fhir-schema && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
url=$(interop/run-hub.sh "$data" --SharingHub:Identity:DevelopmentIdentityProvider=true)
token() { curl -sf -d "username=$1" "$url/dev-idp/token" | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])'; }
lcpp=$(token demo-la-lcpp); ig=$(token demo-la-ig)
curl -sf -o /dev/null -H "Authorization: Bearer $lcpp" "$url/me"
curl -sf -o /dev/null -H "Authorization: Bearer $ig" -H "X-Purpose-Of-Use: audit-review" "$url/audit/entries"
curl -s -o /dev/null -H "Authorization: Bearer $lcpp" -H "X-Purpose-Of-Use: audit-review" "$url/audit/entries"
curl -sf -H "Authorization: Bearer $ig" -H "X-Purpose-Of-Use: audit-review" "$url/audit/export?format=fhir-ndjson" > "$data/audit.ndjson"
node interop/fhir-schema/validate.mjs "$data/audit.ndjson"
if [ -n "${SHARINGHUB_FHIR_CAPTURE:-}" ]; then
  [ -s "$SHARINGHUB_FHIR_CAPTURE/responses.ndjson" ] || { echo "no FHIR API responses were captured in $SHARINGHUB_FHIR_CAPTURE" >&2; exit 1; }
  node interop/fhir-schema/validate.mjs "$SHARINGHUB_FHIR_CAPTURE/responses.ndjson"
fi
