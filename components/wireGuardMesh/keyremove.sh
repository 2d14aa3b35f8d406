#!/usr/bin/env bash
# Fortress WireGuardMesh: removes this node's private key when the node leaves the mesh.
set -euo pipefail
FORTRESS_SCRIPT=fortress-wireguard-keyremove

KEY_FILE=@@KEY_FILE@@

# @fortress-common

if [[ -e $KEY_FILE ]]; then
  rm -f "$KEY_FILE"
  changed removed-key
fi
rm -f "$KEY_FILE.previous" "$KEY_FILE.generation"
summary
