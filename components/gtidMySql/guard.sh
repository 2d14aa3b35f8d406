#!/usr/bin/env bash
# Fortress GtidMySql guard, run by systemd after every start of the server. Every server starts
# read-only (its option file says so). The primary takes writes again once one of its replicas
# follows it, or at once when the database has no replicas: so a primary that was failed over
# while it was gone comes back read-only and stays so, since no replica follows it any more
# (README, "Failover"). A replica, or a server that replicates, stays read-only. A deployment makes
# the configured primary writable by itself. Runs as root over the server's socket.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-guard

CLIENT=@@CLIENT@@
SHOW_STATUS=@@SHOW_STATUS@@
WRITABLE=@@WRITABLE@@
# "primary REPLICAS" or "replica", written by the configure step.
ROLE_FILE=@@ROLE_FILE@@

# @fortress-common
# @gtid-mysql-helpers

# The role, read afresh each time: a deployment may make this node a replica while the guard waits.
is_primary() {
  local role=replica
  [[ -f $ROLE_FILE ]] && read -r role replicas <"$ROLE_FILE"
  [[ $role == primary ]]
}
replicas=0
is_primary || exit 0
wait_ready || die "the server does not answer on its socket"
for ((waited = 0; ; waited++)); do
  is_primary || exit 0
  [[ -z "$(sql <<<"$SHOW_STATUS")" ]] || {
    log "this server replicates from a source: it stays read-only"
    exit 0
  }
  [[ "$(sql <<<"SELECT @@GLOBAL.read_only")" != 0 ]] || exit 0
  followers=$(sql <<<"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
  if ((replicas == 0 || followers > 0)); then
    sql <<<"$WRITABLE"
    log "takes writes: $followers of its $replicas replicas follow it"
    exit 0
  fi
  ((waited % 60)) ||
    log "read-only: none of its $replicas replicas follows it (a failover may have made another node the primary; README, Failover)"
  sleep 1
done
