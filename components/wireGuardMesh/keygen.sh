#!/usr/bin/env bash
# Fortress WireGuardMesh: makes this node's private key on the host, once per key generation, and
# prints only the public key. The private key never leaves the host. A new generation (a key
# rotation) makes a new key; the one it replaces stays beside it, mode 0600, until the mesh
# configuration with the new key is applied (apply.sh removes it).
set -euo pipefail
FORTRESS_SCRIPT=fortress-wireguard-keygen

KEY_FILE=@@KEY_FILE@@
GENERATION=@@GENERATION@@

# @fortress-common

ensure_packages wireguard-tools >&2
mkdir -p "$(dirname "$KEY_FILE")"
chmod 700 "$(dirname "$KEY_FILE")"
generation_file=$KEY_FILE.generation
# A key made before generations were counted is generation 0.
current=$(cat "$generation_file" 2>/dev/null || echo 0)
if [[ ! -s $KEY_FILE || $current != "$GENERATION" ]]; then
  tmp=$(mktemp "$KEY_FILE.XXXXXX")
  (umask 077 && wg genkey >"$tmp")
  if [[ -s $KEY_FILE ]]; then
    cp -p "$KEY_FILE" "$KEY_FILE.previous"
    changed "rotated($current->$GENERATION)"
  else
    changed private-key
  fi
  mv -f "$tmp" "$KEY_FILE"
fi
[[ $current == "$GENERATION" ]] || printf '%s\n' "$GENERATION" >"$generation_file"
if [[ "$(stat -c '%a' "$KEY_FILE")" != 600 ]]; then
  chmod 600 "$KEY_FILE"
  changed key-mode
fi
summary >&2
wg pubkey <"$KEY_FILE"
