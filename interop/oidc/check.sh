#!/usr/bin/env bash
# Interop check: openid-client (npm) completes discovery and a private_key_jwt client-credentials
# grant against a running hub, then calls the API with the token. Prints "ok: ..." on success.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$(mktemp -d "${TMPDIR:-/tmp}/sharinghub-interop-oidc.XXXXXX")
trap 'kill $(cat "$data/hub.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$data"' EXIT
(cd interop/oidc && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
dotnet src/SharingHub.Cli/bin/Release/net10.0/sharinghub.dll client register --client-id interop-oidc --agency la \
  --name "openid-client interop check" --scopes "system/*.rs" --generate-key "$data/client.pem" --registry "$data/registry.yaml" >/dev/null
url=$(interop/run-hub.sh "$data" --SharingHub:Identity:TrustRegistryFiles:0=policies/trust-registry.yaml --SharingHub:Identity:TrustRegistryFiles:1="$data/registry.yaml")
node interop/oidc/client-credentials.mjs "$url" interop-oidc "$data/client.pem" "system/*.rs"
