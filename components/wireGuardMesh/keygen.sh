#!/usr/bin/env bash
# Fortress WireGuardMesh: makes this node's private key on the host, once, and prints only the
# public key. The private key never leaves the host.
set -euo pipefail
FORTRESS_SCRIPT=fortress-wireguard-keygen

KEY_FILE=@@KEY_FILE@@

# @fortress-common

ensure_packages wireguard-tools >&2
mkdir -p "$(dirname "$KEY_FILE")"
chmod 700 "$(dirname "$KEY_FILE")"
if [[ ! -s $KEY_FILE ]]; then
  tmp=$(mktemp "$KEY_FILE.XXXXXX")
  (umask 077 && wg genkey >"$tmp")
  mv -f "$tmp" "$KEY_FILE"
  changed private-key
fi
if [[ "$(stat -c '%a' "$KEY_FILE")" != 600 ]]; then
  chmod 600 "$KEY_FILE"
  changed key-mode
fi
summary >&2
wg pubkey <"$KEY_FILE"
