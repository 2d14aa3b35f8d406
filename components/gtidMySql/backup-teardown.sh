#!/usr/bin/env bash
# Fortress GtidMySql: this node stops being the backup node. The timer, the job and the
# configuration (the dump account's password with it) go; the backups stay where they are.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-backup-teardown

NAME=@@NAME@@
CONF_DIR=@@CONF_DIR@@

# @fortress-common

unit=fortress-mysql-backup-$NAME
if systemctl is-enabled --quiet "$unit.timer" 2>/dev/null || systemctl is-active --quiet "$unit.timer" 2>/dev/null; then
  systemctl disable --now --quiet "$unit.timer"
  changed timer-stopped
fi
for file in "/etc/systemd/system/$unit.service" "/etc/systemd/system/$unit.timer" "/usr/local/sbin/$unit"; do
  if [[ -e $file ]]; then
    rm -f "$file"
    changed "removed:$file"
  fi
done
if [[ -d $CONF_DIR ]]; then
  rm -rf "$CONF_DIR" "$FORTRESS_STATE_DIR/backup$CONF_DIR"
  changed "removed:$CONF_DIR"
fi
systemctl daemon-reload
summary
