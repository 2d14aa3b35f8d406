#!/usr/bin/env bash
# Fortress K3sCluster teardown (pulumi destroy, or the node left the cluster): runs the uninstall
# script k3s installed, which stops k3s and removes its data from this node.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-uninstall

ROLE=@@ROLE@@

# @fortress-common

uninstall=/usr/local/bin/k3s-uninstall.sh
[[ $ROLE == server ]] || uninstall=/usr/local/bin/k3s-agent-uninstall.sh
if [[ -x $uninstall ]]; then
  "$uninstall" >&2
  changed uninstalled
fi
summary
