#!/usr/bin/env bash
# Refreshes the README's screenshots: the browser test over the demo data photographs the chronology and audit pages here.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build SharingHub.sln -c Release -nologo -v q
SHARINGHUB_SCREENSHOTS="$(pwd)/docs/screenshots" dotnet test tests/SharingHub.Server.Tests -c Release --no-build --filter "FullyQualifiedName~DemoPagesTests"
