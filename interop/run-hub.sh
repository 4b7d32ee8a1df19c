#!/usr/bin/env bash
# Starts a throwaway hub (Release build, Development environment, its own data folder) on a free
# loopback port for the interop checks, waits until it is healthy, and prints its URL.
# Usage: interop/run-hub.sh DATA_DIR [extra hub arguments...]   (stop it with: kill $(cat DATA_DIR/hub.pid))
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; shift
mkdir -p "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
ASPNETCORE_ENVIRONMENT=Development dotnet src/SharingHub.Server/bin/Release/net10.0/SharingHub.Server.dll \
  --urls "$url" \
  --SharingHub:Identity:PublicBaseUrl="$url" \
  --SharingHub:Database:ConnectionString="Data Source=$data/hub.db" \
  --SharingHub:KeyRing:Path="$data/keyring.json" \
  --SharingHub:Identity:SigningKeyPath="$data/signing-keys.json" \
  --SharingHub:Audit:SigningKeyPath="$data/audit-signing-keys.json" \
  "$@" >"$data/hub.log" 2>&1 &
echo $! >"$data/hub.pid"
for _ in $(seq 1 120); do
  if curl -sf "$url/health" >/dev/null 2>&1; then echo "$url"; exit 0; fi
  sleep 0.5
done
echo "the hub did not become healthy; see $data/hub.log" >&2
kill "$(cat "$data/hub.pid")" 2>/dev/null || true
exit 1
