#!/usr/bin/env bash
# Fortress WireGuardMesh teardown (the node left the mesh, or pulumi destroy): stops the
# interface and removes its configuration and firewall opening. The key goes with the keygen step.
set -euo pipefail
FORTRESS_SCRIPT=fortress-wireguard-teardown

INTERFACE=@@INTERFACE@@

# @fortress-common

if systemctl is-enabled --quiet "wg-quick@$INTERFACE" 2>/dev/null ||
  systemctl is-active --quiet "wg-quick@$INTERFACE" 2>/dev/null; then
  systemctl disable --now --quiet "wg-quick@$INTERFACE"
  changed stopped
fi
for file in "/etc/wireguard/$INTERFACE.conf" "/etc/fortress/firewall.d/10-wireguard-$INTERFACE.nft"; do
  if [[ -e $file ]]; then
    rm -f "$file"
    changed "removed:$file"
  fi
done
# Reload the KvmNode firewall without the mesh's opening.
if [[ -f /etc/fortress/firewall.nft ]] && nft list table inet fortress >/dev/null 2>&1; then
  nft -f /etc/fortress/firewall.nft
fi
summary
