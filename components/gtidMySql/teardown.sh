#!/usr/bin/env bash
# Fortress GtidMySql teardown (the node left the database, or pulumi destroy). A replica stops
# replicating and forgets its source (which held the replication password). The option file, the
# TLS files and the override markers go; the server restarts only if something was removed. The
# data is never touched: the databases, the binary logs and the accounts all stay.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-teardown

ROLE=@@ROLE@@
SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
CONFIG_DIR=@@CONFIG_DIR@@
CONFIG_FILE=@@CONFIG_FILE@@
DROP_IN_FILE=@@DROP_IN_FILE@@
TLS_DIR=@@TLS_DIR@@
ROLE_FILE=@@ROLE_FILE@@
GUARD_FILE=@@GUARD_FILE@@
GUARD_UNIT_FILE=@@GUARD_UNIT_FILE@@
SHOW_STATUS=@@SHOW_STATUS@@
STOP=@@STOP@@
RESET_ALL=@@RESET_ALL@@

# @fortress-common
# @gtid-mysql-helpers

active=false
if command -v "$CLIENT" >/dev/null 2>&1 && systemctl is-active --quiet "$SERVICE" 2>/dev/null; then
  active=true
fi

if [[ $ROLE == replica && $active == true ]]; then
  if [[ -n "$(sql <<<"$SHOW_STATUS")" ]]; then
    sql <<<"$STOP; $RESET_ALL"
    changed replication-stopped
  fi
fi
rm -f "$FORTRESS_STATE_DIR/mysql/replication-source.sha256"

removed=false
if [[ -e $CONFIG_FILE ]]; then
  rm -f "$CONFIG_FILE"
  removed=true
  changed "removed:$CONFIG_FILE"
fi
rm -f "$FORTRESS_STATE_DIR/backup$CONFIG_FILE"
# Put back the packaged options the configure step commented out.
mark='#fortress-override# '
for file in "$CONFIG_DIR"/*.cnf; do
  if [[ ! -f $file ]] || ! grep -q "^$mark" "$file"; then continue; fi
  sed -i "s/^$mark//" "$file"
  removed=true
  changed "override-restored:$file"
done
if [[ -d $TLS_DIR ]]; then
  rm -rf "$TLS_DIR"
  rm -rf "$FORTRESS_STATE_DIR/backup$TLS_DIR"
  removed=true
  changed "removed:$TLS_DIR"
fi

if [[ -e $DROP_IN_FILE ]]; then
  rm -f "$DROP_IN_FILE"
  rm -f "$FORTRESS_STATE_DIR/backup$DROP_IN_FILE"
  systemctl daemon-reload
  changed "removed:$DROP_IN_FILE"
fi
# The guard goes: the server the packages configure starts as they say.
if [[ -e $GUARD_UNIT_FILE ]]; then
  systemctl disable --quiet "${GUARD_UNIT_FILE##*/}" 2>/dev/null || true
  rm -f "$GUARD_UNIT_FILE" "$FORTRESS_STATE_DIR/backup$GUARD_UNIT_FILE"
  systemctl daemon-reload
  changed "removed:$GUARD_UNIT_FILE"
fi
rm -f "$GUARD_FILE" "$FORTRESS_STATE_DIR/backup$GUARD_FILE" "$ROLE_FILE"
socket_marker=$FORTRESS_STATE_DIR/mysql/socket-activation-was-on

if [[ -e $socket_marker ]]; then
  # As the package had it: the socket listens and hands its connections to the server.
  systemctl stop "$SERVICE"
  systemctl enable --now --quiet "$SERVICE.socket"
  rm -f "$socket_marker"
  changed socket-activation-on
  if [[ $active == true ]]; then
    systemctl start "$SERVICE" || die "$SERVICE did not start again with its packaged configuration"
    changed restarted
  fi
elif [[ $removed == true && $active == true ]]; then
  systemctl restart "$SERVICE" || die "$SERVICE did not start again with its packaged configuration"
  changed restarted
fi
summary
