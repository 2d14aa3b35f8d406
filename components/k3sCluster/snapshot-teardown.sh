#!/usr/bin/env bash
# Fortress K3sCluster: this node stops taking part in the etcd snapshots (backup node or server).
# The timer, the job, the configuration and the account go; snapshots already kept stay.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-snapshot-teardown

UNIT=@@UNIT@@
CONF_DIR=@@CONF_DIR@@
ACCOUNT=@@ACCOUNT@@

# @fortress-common

remove_timer "$UNIT" "/usr/local/sbin/$UNIT"
if [[ -n $ACCOUNT ]] && id "$ACCOUNT" >/dev/null 2>&1; then
  userdel "$ACCOUNT"
  changed account-removed
fi
if [[ -d $CONF_DIR ]]; then
  rm -rf "$CONF_DIR" "$FORTRESS_STATE_DIR/backup$CONF_DIR"
  changed "removed:$CONF_DIR"
fi
summary
