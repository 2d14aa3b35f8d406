#!/usr/bin/env bash
# Fortress GtidMySql: makes this node the primary, before its configuration says so. A server that
# replicates from another one (the primary until now) takes over in a planned switchover: every
# other node of the database has been made read-only by its demote step, which reported the
# GTIDs it had written; this server waits until it has applied all of them, then stops
# replicating, forgets its source and takes writes. Nothing acknowledged is lost: the old
# primary refused writes before its last position was read. A server that replicates from nobody
# is the primary already (or new): nothing to do. Its source must be one of the demoted nodes, or
# it would take writes next to a primary that still does. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-promote

SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
SHOW_STATUS=@@SHOW_STATUS@@
STOP=@@STOP@@
RESET_ALL=@@RESET_ALL@@
HOST_FIELD=@@HOST_FIELD@@
EXECUTED_GTIDS=@@EXECUTED_GTIDS@@
WAIT_FOR_GTIDS=@@WAIT_FOR_GTIDS@@
WRITABLE=@@WRITABLE@@
CATCH_UP_TIMEOUT=@@CATCH_UP_TIMEOUT@@
# ADDRESS=GTIDS of each other node, as its demote step reported them, space-separated.
DEMOTED=@@DEMOTED@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
state_dir=$FORTRESS_STATE_DIR/mysql
install -d -m 0700 "$state_dir"

# A host that does not run the server yet has nothing to take over from (the configure step
# starts it).
if ! command -v "$CLIENT" >/dev/null 2>&1 || ! systemctl is-active --quiet "$SERVICE"; then
  summary
  exit 0
fi
wait_ready || die "$SERVICE does not answer on its socket"
status=$(sql_vertical <<<"$SHOW_STATUS")
old=$(sed -n "s/^ *$HOST_FIELD: //p" <<<"$status")
if [[ -z $old ]]; then
  summary
  exit 0
fi

read -ra demoted <<<"$DEMOTED"
source_demoted=false
for entry in "${demoted[@]}"; do
  [[ ${entry%%=*} != "$old" ]] || source_demoted=true
done
[[ $source_demoted == true ]] ||
  die "this server replicates from $old, which is no node of this database any more, so nothing made it read-only; taking writes now could make two primaries. Keep $old in the replicas for a switchover, or follow the README's failover runbook if it is gone"
for entry in "${demoted[@]}"; do
  gtids=${entry#*=}
  [[ -n $gtids ]] || continue
  log "waiting until this server has applied $gtids (from ${entry%%=*})"
  waited=$(sql <<<"SET @GTIDS = '$gtids', @SECONDS = $CATCH_UP_TIMEOUT; $WAIT_FOR_GTIDS")
  [[ $waited == 1 ]] ||
    die "this server has not applied $gtids of ${entry%%=*} after ${CATCH_UP_TIMEOUT}s; not taking writes (the other nodes stay read-only until a deployment finishes the switchover)"
done

# Read-only until the last moment: it takes writes only once it has no source any more.
sql <<<"$STOP; $RESET_ALL; $WRITABLE"
rm -f "$state_dir/replication-source.sha256"
install_file "$state_dir/promoted-from" 0600 "$old $(sql <<<"$EXECUTED_GTIDS")"$'\n' || true
log "this server is the primary now (it replicated from $old)"
changed promoted
summary
