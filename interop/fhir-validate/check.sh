#!/usr/bin/env bash
# Interop check: Firely's reference validator (structure, cardinality, invariants, local terminology) over every
# FHIR response the .NET tests received (tests/run.sh points SHARINGHUB_FHIR_CAPTURE at them), resolving the hub's
# own extensions from src/SharingHub.Server/Fhir/Profiles. First it must refuse a deliberately invalid resource.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build interop/fhir-validate -c Release -nologo -v q >/dev/null
validate() { dotnet interop/fhir-validate/bin/Release/net10.0/FhirValidate.dll --profiles src/SharingHub.Server/Fhir/Profiles "$@"; }
if validate interop/fhir-validate/invalid.ndjson >/dev/null 2>&1; then
  echo "the validator passed a deliberately invalid resource: the check cannot fail" >&2; exit 1
fi
if [ -z "${SHARINGHUB_FHIR_CAPTURE:-}" ] || [ ! -s "$SHARINGHUB_FHIR_CAPTURE/responses.ndjson" ]; then
  echo "no captured FHIR responses to validate (this check runs from tests/run.sh)" >&2; exit 1
fi
validate "$SHARINGHUB_FHIR_CAPTURE/responses.ndjson"
