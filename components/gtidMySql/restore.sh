#!/usr/bin/env bash
# Fortress GtidMySql: restores one backup onto a fresh server, so that it can join as a replica
# from the backup's GTID position (README, "Restore a backup"). Run as root on the new host with
# the backup set's path prefix as the argument (/root/20261201T023000Z for the three files
# 20261201T023000Z.{sql.gz.enc,key.enc,info} copied from the backup node) and the backup private
# key (the stack output) on standard input. It refuses a server that holds databases or
# replicates already. Nothing it loads reaches this server's binary log.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-restore

FLAVOUR=@@FLAVOUR@@
SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
SHOW_STATUS=@@SHOW_STATUS@@
RESET_GTIDS=@@RESET_GTIDS@@
EXECUTED_GTIDS=@@EXECUTED_GTIDS@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root"
set_path=${1:-}
[[ -n $set_path && -f $set_path.sql.gz.enc && -f $set_path.key.enc ]] ||
  die "give the backup's path prefix: PREFIX.sql.gz.enc and PREFIX.key.enc must exist"
private_key=$(cat)
[[ $private_key == "-----BEGIN "*"PRIVATE KEY-----"* ]] || die "no backup private key on standard input"

if ! systemctl is-active --quiet "$SERVICE"; then
  systemctl start "$SERVICE"
  changed started
fi
wait_ready || die "$SERVICE does not answer on its socket"
databases=$(sql <<<"SELECT COUNT(*) FROM information_schema.SCHEMATA
  WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")
[[ $databases == 0 ]] || die "this server holds $databases databases; a restore is for a fresh server only"
[[ -z "$(sql <<<"$SHOW_STATUS")" ]] || die "this server replicates already; a restore is for a fresh server only"

key=$(openssl pkeyutl -decrypt -inkey <(printf '%s' "$private_key") \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 <"$set_path.key.enc") ||
  die "the private key on standard input does not open $set_path.key.enc"
unset private_key
decrypt() {
  openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000 -pass fd:3 3< <(printf '%s' "$key") <"$set_path.sql.gz.enc" |
    gunzip -c
}
position=$(mktemp)
trap 'rm -f "$position"' EXIT
[[ -z $RESET_GTIDS ]] || sql <<<"$RESET_GTIDS"
start=$SECONDS
# MariaDB's dump names its GTID position in a comment at its end (--gtid --master-data=2): sed
# passes the dump through and keeps that line aside. MySQL's dump sets gtid_purged itself
# (--set-gtid-purged=ON).
decrypt |
  sed "/^-- SET GLOBAL gtid_slave_pos=/w $position" |
  { printf 'SET SESSION sql_log_bin = 0;\n'; cat; printf 'FLUSH PRIVILEGES;\n'; } |
  sql >/dev/null
if [[ $FLAVOUR == mariadb ]]; then
  gtid=$(sed -n "s/^-- SET GLOBAL gtid_slave_pos='\([^']*\)';.*/\1/p" "$position" | tail -n 1)
  [[ -n $gtid ]] || die "the backup names no GTID position (not made by the backup job?)"
  sql <<<"SET GLOBAL gtid_slave_pos = '$gtid'"
else
  gtid=$(sql <<<"$EXECUTED_GTIDS")
fi
unset key
changed restored
log "restored $set_path in $((SECONDS - start)) s at GTID $gtid; add this node to the replicas and deploy"
summary
