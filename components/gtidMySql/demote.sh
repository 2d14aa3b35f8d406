#!/usr/bin/env bash
# Fortress GtidMySql: makes this server refuse writes, from every client, before the node that
# the configuration names primary takes over (a planned switchover: this may be the primary until
# now). Then prints the GTIDs it has written to its binary log, which the new primary applies
# before it takes writes. A server that is read-only already only reports. Runs as root over the
# server's socket; no password is needed. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-demote

SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
READ_ONLY=@@READ_ONLY@@
EXECUTED_GTIDS=@@EXECUTED_GTIDS@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
# A host that does not run the server yet has written nothing (the configure step starts it).
if ! command -v "$CLIENT" >/dev/null 2>&1 || ! systemctl is-active --quiet "$SERVICE"; then
  summary >&2
  echo "gtids="
  exit 0
fi
wait_ready || die "$SERVICE does not answer on its socket"
if [[ "$(sql <<<"SELECT @@GLOBAL.read_only")" != 1 ]]; then
  # Waits for the commits under way; every later write is refused.
  sql <<<"$READ_ONLY"
  log "read-only now: the node named primary takes over"
  changed read-only
fi
gtids=$(sql <<<"$EXECUTED_GTIDS")
summary >&2
echo "gtids=$gtids"
