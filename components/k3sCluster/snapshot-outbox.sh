#!/usr/bin/env bash
# Fortress K3sCluster, on a server: the etcd snapshots' outbox. Run by root's timer with "seal", it
# seals every snapshot k3s took that is not yet in the outbox (a fresh key per snapshot, itself
# sealed with the backup public key: no one here can open a sealed one) and drops the sealed copies
# of snapshots k3s has pruned. Run as the backup node's forced SSH command, it only lists the
# complete sealed sets ("list") or prints one sealed file ("send NAME"); nothing else.
set -euo pipefail

SNAPSHOT_DIR=@@SNAPSHOT_DIR@@
OUTBOX=@@OUTBOX@@
PUBLIC_KEY=@@PUBLIC_KEY@@

log() { printf 'fortress-k3s-snapshot: %s\n' "$*" >&2; }

seal() {
  local file name key
  umask 027
  for file in "$SNAPSHOT_DIR"/*; do
    [[ -f $file ]] || continue
    name=$(basename "$file")
    [[ -f $OUTBOX/$name.enc ]] && continue
    key=$(openssl rand -hex 32)
    printf '%s' "$key" | openssl pkeyutl -encrypt -pubin -inkey "$PUBLIC_KEY" \
      -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 >"$OUTBOX/.partial.key.enc"
    openssl enc -aes-256-cbc -pbkdf2 -iter 100000 -salt -pass fd:3 -in "$file" \
      -out "$OUTBOX/.partial.enc" 3< <(printf '%s' "$key")
    unset key
    # The key first: a set is complete, and listed, once its snapshot is in place.
    mv -f "$OUTBOX/.partial.key.enc" "$OUTBOX/$name.key.enc"
    mv -f "$OUTBOX/.partial.enc" "$OUTBOX/$name.enc"
    log "sealed $name"
  done
  for file in "$OUTBOX"/*.enc; do
    [[ -f $file && $file != *.key.enc ]] || continue
    name=$(basename "$file" .enc)
    [[ -f $SNAPSHOT_DIR/$name ]] && continue
    rm -f "$OUTBOX/$name.enc" "$OUTBOX/$name.key.enc"
    log "dropped $name (k3s pruned it)"
  done
}

if [[ ${1:-} == seal ]]; then
  seal
  exit 0
fi
case "${SSH_ORIGINAL_COMMAND:-}" in
  list)
    for file in "$OUTBOX"/*.enc; do
      [[ -f $file && $file != *.key.enc ]] || continue
      name=$(basename "$file" .enc)
      [[ ! -f $OUTBOX/$name.key.enc ]] || printf '%s\n' "$name"
    done
    ;;
  send\ *)
    request=${SSH_ORIGINAL_COMMAND#send }
    [[ $request =~ ^[A-Za-z0-9][A-Za-z0-9._-]*\.enc$ && -f $OUTBOX/$request ]] ||
      { log "no such sealed file"; exit 1; }
    cat "$OUTBOX/$request"
    ;;
  *)
    log "refused: only list and send NAME"
    exit 1
    ;;
esac
