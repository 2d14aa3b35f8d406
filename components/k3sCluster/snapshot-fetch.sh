#!/usr/bin/env bash
# Fortress K3sCluster: one collection, run by the backup node's timer. From every server in the
# sources file (name, mesh address, SSH port), over the mesh, fetches each complete sealed snapshot
# it does not have yet (key first, snapshot last, each through a partial file), then keeps the
# newest KEEP per server. A server that cannot be reached fails the run after the others are done.
set -euo pipefail

DIR=@@DIR@@
CONF_DIR=@@CONF_DIR@@
ACCOUNT=@@ACCOUNT@@
KEEP=@@KEEP@@

log() { printf 'fortress-k3s-snapshots: %s\n' "$*" >&2; }
umask 077
failed=()
while read -r server address port; do
  [[ -n $server ]] || continue
  remote() {
    # The mesh authenticates the peer; the server's host key is pinned on first contact.
    ssh -n -i "$CONF_DIR/id_ed25519" -p "$port" -o BatchMode=yes -o ConnectTimeout=15 \
      -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$CONF_DIR/known_hosts" \
      "$ACCOUNT@$address" "$@"
  }
  mkdir -p "$DIR/$server"
  if ! names=$(remote list); then
    log "$server ($address): cannot list its snapshots"
    failed+=("$server")
    continue
  fi
  fetched=0
  for name in $names; do
    [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || continue
    [[ -f $DIR/$server/$name.enc ]] && continue
    if remote "send $name.key.enc" >"$DIR/$server/.partial.key.enc" &&
      remote "send $name.enc" >"$DIR/$server/.partial.enc"; then
      mv -f "$DIR/$server/.partial.key.enc" "$DIR/$server/$name.key.enc"
      mv -f "$DIR/$server/.partial.enc" "$DIR/$server/$name.enc"
      fetched=$((fetched + 1))
    else
      rm -f "$DIR/$server/.partial.key.enc" "$DIR/$server/.partial.enc"
      failed+=("$server")
    fi
  done
  mapfile -t kept < <(find "$DIR/$server" -maxdepth 1 -name '*.enc' ! -name '*.key.enc' -printf '%f\n' | sort)
  for ((i = 0; i < ${#kept[@]} - KEEP; i++)); do
    old=${kept[i]%.enc}
    rm -f "$DIR/$server/$old.enc" "$DIR/$server/$old.key.enc"
    log "$server: removed $old (keeping the newest $KEEP)"
  done
  log "$server: fetched $fetched"
done <"$CONF_DIR/sources"
((${#failed[@]} == 0)) || { log "failed: ${failed[*]}"; exit 1; }
