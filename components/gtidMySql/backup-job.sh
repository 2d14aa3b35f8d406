#!/usr/bin/env bash
# Fortress GtidMySql: one backup, run by the backup node's systemd timer. Dumps the primary over
# the mesh (TLS, its certificate checked against the CA; a read-only account whose password is in
# a mode 0600 option file), consistent and with its GTID position, compressed, and encrypted with
# a fresh key that only the holder of the backup private key can open (the key is sealed with the
# public key; this node cannot read its own backups). Then keeps the newest KEEP backups. A
# failed dump leaves no file behind and fails the unit.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-backup

DUMP=@@DUMP@@
DUMP_OPTIONS=@@DUMP_OPTIONS@@
PRIMARY=@@PRIMARY@@
PORT=@@PORT@@
DIR=@@DIR@@
CONF_DIR=@@CONF_DIR@@
KEEP=@@KEEP@@

log() { printf '%s: %s\n' "$FORTRESS_SCRIPT" "$*" >&2; }
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial=$DIR/.partial-$stamp
trap 'rm -f "$partial".*' EXIT
read -ra options <<<"$DUMP_OPTIONS"
key=$(openssl rand -hex 32)
start=$SECONDS
"$DUMP" --defaults-extra-file="$CONF_DIR/client.cnf" --host="$PRIMARY" --port="$PORT" "${options[@]}" |
  gzip -c |
  openssl enc -aes-256-cbc -pbkdf2 -iter 100000 -salt -pass fd:3 3< <(printf '%s' "$key") >"$partial.sql.gz.enc"
printf '%s' "$key" |
  openssl pkeyutl -encrypt -pubin -inkey "$CONF_DIR/public.pem" \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 >"$partial.key.enc"
unset key
bytes=$(stat -c %s "$partial.sql.gz.enc")
printf 'primary=%s\nseconds=%s\nbytes=%s\n' "$PRIMARY" "$((SECONDS - start))" "$bytes" >"$partial.info"
for part in key.enc info sql.gz.enc; do mv -f "$partial.$part" "$DIR/$stamp.$part"; done

mapfile -t sets < <(find "$DIR" -maxdepth 1 -name '*.sql.gz.enc' -printf '%f\n' | sort)
for ((i = 0; i < ${#sets[@]} - KEEP; i++)); do
  old=${sets[i]%.sql.gz.enc}
  rm -f "$DIR/$old.sql.gz.enc" "$DIR/$old.key.enc" "$DIR/$old.info"
  log "removed $old (keeping the newest $KEEP)"
done
log "wrote $DIR/$stamp ($bytes bytes in $((SECONDS - start)) s)"
