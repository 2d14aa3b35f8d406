#!/usr/bin/env bash
# Fortress K3sCluster: this node stops taking part in the etcd snapshots (backup node or server).
# The timer, the job, the configuration and the account go; snapshots already kept stay.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-snapshot-teardown

UNIT=@@UNIT@@
CONF_DIR=@@CONF_DIR@@
ACCOUNT=@@ACCOUNT@@

# @fortress-common

if systemctl is-enabled --quiet "$UNIT.timer" 2>/dev/null || systemctl is-active --quiet "$UNIT.timer" 2>/dev/null; then
  systemctl disable --now --quiet "$UNIT.timer"
  changed timer-stopped
fi
for file in "/etc/systemd/system/$UNIT.service" "/etc/systemd/system/$UNIT.timer" "/usr/local/sbin/$UNIT"; do
  if [[ -e $file ]]; then
    rm -f "$file"
    changed "removed:$file"
  fi
done
if [[ -n $ACCOUNT ]] && id "$ACCOUNT" >/dev/null 2>&1; then
  userdel "$ACCOUNT"
  changed account-removed
fi
if [[ -d $CONF_DIR ]]; then
  rm -rf "$CONF_DIR" "$FORTRESS_STATE_DIR/backup$CONF_DIR"
  changed "removed:$CONF_DIR"
fi
systemctl daemon-reload
summary
