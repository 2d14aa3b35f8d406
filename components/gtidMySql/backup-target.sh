#!/usr/bin/env bash
# Fortress GtidMySql: makes this node the database's backup node. Writes the dump account's option
# file (its password comes on standard input, the file is mode 0600), the CA that checks the
# primary's certificate, the public key backups are sealed with, the backup job, and a systemd
# timer that runs it; the backup folder is root's only. Check, then change: the timer restarts
# only when its schedule changed. The backups themselves are never touched here.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-backup-target

NAME=@@NAME@@
DUMP=@@DUMP@@
TLS_VERIFY=@@TLS_VERIFY@@
DIR=@@DIR@@
CONF_DIR=@@CONF_DIR@@
CA_PEM=@@CA_PEM@@
PUBLIC_KEY=@@PUBLIC_KEY@@
# shellcheck disable=SC2016 # the job is a script of its own, shellchecked on its own
JOB=@@JOB@@
ON_CALENDAR=@@ON_CALENDAR@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
IFS= read -r password || true
[[ $password =~ ^[A-Za-z0-9]{16,}$ ]] || die "no backup password on standard input"
command -v "$DUMP" >/dev/null 2>&1 ||
  die "$DUMP is not installed on this backup node; install the flavour's client (mariadb-client, or mysql-community-client from Oracle's repository)"
command -v openssl >/dev/null 2>&1 || ensure_packages openssl

install -d -m 0700 "$CONF_DIR"
if [[ ! -d $DIR ]]; then
  install -d -m 0700 "$DIR"
  changed backup-dir
fi
if install_file "$CONF_DIR/client.cnf" 0600 "[client]
user=fortress_backup
password=$password
ssl-ca=$CONF_DIR/ca.pem
$TLS_VERIFY
"; then changed client-config; fi
unset password
# The file it replaced held the old password: it goes.
rm -f "$FORTRESS_STATE_DIR/backup$CONF_DIR/client.cnf"
if install_file "$CONF_DIR/ca.pem" 0644 "$CA_PEM"; then changed ca; fi
if install_file "$CONF_DIR/public.pem" 0644 "$PUBLIC_KEY"; then changed public-key; fi
job=/usr/local/sbin/fortress-mysql-backup-$NAME
if install_file "$job" 0755 "$JOB"; then changed job; fi

install_timer "fortress-mysql-backup-$NAME" "Fortress GtidMySql backups of $NAME" "$ON_CALENDAR" "[Unit]
Description=Fortress GtidMySql backup of $NAME
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=$job
" restart
summary
