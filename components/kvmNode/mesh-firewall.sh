#!/usr/bin/env bash
# Fortress: one component's mesh ports on this node, as a drop-in of the KvmNode firewall. The
# drop-in holds a set of source addresses per service and one rule per service in the mesh_in
# chain; it is loaded with the baseline's ruleset as one transaction, so a node that comes or goes
# changes the allow-lists without a gap for established connections, and the boot unit loads it
# again after a reboot. Empty DROPIN removes it (destroy). Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=@@SCRIPT_NAME@@

DROPIN_FILE=@@DROPIN_FILE@@
DROPIN=@@DROPIN@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
if install_firewall_dropin "$DROPIN_FILE" "$DROPIN"; then
  if [[ -n $DROPIN ]]; then changed mesh-firewall; else changed mesh-firewall-removed; fi
fi
summary
