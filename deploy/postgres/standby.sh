#!/usr/bin/env bash
# A hot standby of the primary: copied once with pg_basebackup (-R writes standby.signal and primary_conninfo), then
# it streams the primary's WAL for ever. Reads from it lag the primary; the hub never decides on them.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD=$(cat /run/secrets/replication_password)
  until pg_basebackup --host=db --username=replicator --pgdata="$PGDATA" --wal-method=stream \
        --write-recovery-conf --create-slot --slot=standby1 --checkpoint=fast; do
    echo "waiting for the primary"; rm -rf "${PGDATA:?}"/*; sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
