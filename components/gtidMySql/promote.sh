#!/usr/bin/env bash
# Fortress GtidMySql: makes this node the primary, before its configuration says so. A server that
# replicates from another one takes over:
# - in a planned switchover, from a primary that is still there: every other node of the database
#   has been made read-only by its demote step, which reported the GTIDs it had written; this
#   server waits until it has applied all of them, then stops replicating, forgets its source and
#   takes writes. Nothing acknowledged is lost: the old primary refused writes before its last
#   position was read.
# - in a failover (FAILED names its source, which is gone): it stops receiving, applies what it
#   has received, and takes over only if no other reachable node (the demoted ones) has a GTID it
#   lacks; otherwise it names the node that is further ahead. The old primary is fenced by the
#   guard: it comes back read-only, and no replica follows it any more.
# A server that replicates from nobody is the primary already (or new): nothing to do. Any other
# source must be one of the demoted nodes, or it would take writes next to a primary that still
# does. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-promote

SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
SHOW_STATUS=@@SHOW_STATUS@@
STOP=@@STOP@@
STOP_RECEIVING=@@STOP_RECEIVING@@
RESET_ALL=@@RESET_ALL@@
HOST_FIELD=@@HOST_FIELD@@
RECEIVED_FIELD=@@RECEIVED_FIELD@@
EXECUTED_GTIDS=@@EXECUTED_GTIDS@@
WAIT_FOR_GTIDS=@@WAIT_FOR_GTIDS@@
WRITABLE=@@WRITABLE@@
CATCH_UP_TIMEOUT=@@CATCH_UP_TIMEOUT@@
# NAME@ADDRESS=GTIDS of each other node, as its demote step reported them, space-separated.
DEMOTED=@@DEMOTED@@
# NAME@ADDRESS of the primary that is gone, in a failover; empty otherwise.
FAILED=@@FAILED@@

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
old=$(status_value "$HOST_FIELD" <<<"$status")
if [[ -z $old ]]; then
  summary
  exit 0
fi

# Waits until this server has applied GTIDS (from WHO) within SECONDS; false if it has not.
applied() {
  local gtids=$1 seconds=$2
  [[ -n $gtids ]] || return 0
  [[ "$(sql <<<"SET @GTIDS = '$gtids', @SECONDS = $seconds; $WAIT_FOR_GTIDS")" == 1 ]]
}

read -ra demoted <<<"$DEMOTED"
if [[ -n $FAILED && $old == "${FAILED#*@}" ]]; then
  log "failover: ${FAILED%@*} ($old) is gone; applying what this server has received from it"
  sql <<<"$STOP_RECEIVING"
  received=$(sql_vertical <<<"$SHOW_STATUS" | status_value "$RECEIVED_FIELD")
  applied "$received" "$CATCH_UP_TIMEOUT" ||
    die "this server has not applied what it received ($received) after ${CATCH_UP_TIMEOUT}s; not taking writes"
  # The most advanced reachable node takes over: one that has a GTID this server lacks is ahead.
  for entry in "${demoted[@]}"; do
    gtids=${entry#*=}
    node=${entry%%=*}
    applied "$gtids" 1 ||
      die "${node%@*} is further ahead than this server (it has $gtids; this server has $(sql <<<"$EXECUTED_GTIDS")): fail over to ${node%@*} instead (primary: ${node%@*}), or the writes only it has are lost"
  done
  sql <<<"$STOP; $RESET_ALL; $WRITABLE"
  rm -f "$state_dir/replication-source.sha256"
  install_file "$state_dir/promoted-from" 0600 "$old failover $(sql <<<"$EXECUTED_GTIDS")"$'\n' || true
  log "this server is the primary now (failover from ${FAILED%@*})"
  changed failed-over
  summary
  exit 0
fi

source_demoted=false
for entry in "${demoted[@]}"; do
  node=${entry%%=*}
  [[ ${node#*@} != "$old" ]] || source_demoted=true
done
[[ $source_demoted == true ]] ||
  die "this server replicates from $old, which is no node of this database any more, so nothing made it read-only; taking writes now could make two primaries. Keep $old in the replicas for a switchover, or follow the README's failover runbook if it is gone"
for entry in "${demoted[@]}"; do
  gtids=${entry#*=}
  node=${entry%%=*}
  [[ -n $gtids ]] || continue
  log "waiting until this server has applied $gtids (from ${node%@*})"
  applied "$gtids" "$CATCH_UP_TIMEOUT" ||
    die "this server has not applied $gtids of ${node%@*} after ${CATCH_UP_TIMEOUT}s; not taking writes (the other nodes stay read-only until a deployment finishes the switchover)"
done

# Read-only until the last moment: it takes writes only once it has no source any more.
sql <<<"$STOP; $RESET_ALL; $WRITABLE"
rm -f "$state_dir/replication-source.sha256"
install_file "$state_dir/promoted-from" 0600 "$old $(sql <<<"$EXECUTED_GTIDS")"$'\n' || true
log "this server is the primary now (it replicated from $old)"
changed promoted
summary
