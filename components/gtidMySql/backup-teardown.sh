#!/usr/bin/env bash
# Fortress GtidMySql: this node stops being the backup node. The timer, the job and the
# configuration (the dump account's password with it) go; the backups stay where they are.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-backup-teardown

NAME=@@NAME@@
CONF_DIR=@@CONF_DIR@@

# @fortress-common

unit=fortress-mysql-backup-$NAME
remove_timer "$unit" "/usr/local/sbin/$unit"
if [[ -d $CONF_DIR ]]; then
  rm -rf "$CONF_DIR" "$FORTRESS_STATE_DIR/backup$CONF_DIR"
  changed "removed:$CONF_DIR"
fi
summary
