#!/usr/bin/env bash
# Fortress K3sCluster, on a server: offers its etcd snapshots, sealed, to the backup node. Installs
# the outbox (seal job and its timer, root's) and an account the backup node may reach only from
# its mesh address, only with its own key, and only to run the outbox's list and send. Check, then
# change: nothing restarts when nothing changed. The snapshots themselves are never touched here.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-snapshot-source

NAME=@@NAME@@
ACCOUNT=@@ACCOUNT@@
OUTBOX=@@OUTBOX@@
CONF_DIR=@@CONF_DIR@@
PUBLIC_KEY=@@PUBLIC_KEY@@
BACKUP_ADDRESS=@@BACKUP_ADDRESS@@
BACKUP_SSH_KEY=@@BACKUP_SSH_KEY@@
# shellcheck disable=SC2016 # the job is a script of its own, shellchecked on its own
JOB=@@JOB@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
[[ $BACKUP_SSH_KEY =~ ^ssh-ed25519\ [A-Za-z0-9+/=]+$ ]] || die "the backup node gave no SSH public key"
command -v openssl >/dev/null 2>&1 || ensure_packages openssl

if ! id "$ACCOUNT" >/dev/null 2>&1; then
  useradd --system --home-dir "$CONF_DIR" --no-create-home --shell /bin/sh "$ACCOUNT"
  changed account
fi
# No password, yet not locked: sshd refuses keys for a locked account on some systems.
[[ $(getent shadow "$ACCOUNT" | cut -d: -f2) == "*" ]] || usermod -p '*' "$ACCOUNT"
install -d -m 0755 "$CONF_DIR"
# setgid: the sealed files the job writes as root are the account's to read.
install -d -m 2750 -o root -g "$ACCOUNT" "$OUTBOX"
install -d -m 0750 -o root -g "$ACCOUNT" "$CONF_DIR/.ssh"
job=/usr/local/sbin/fortress-k3s-snapshot-$NAME
if install_file "$job" 0755 "$JOB"; then changed job; fi
if install_file "$CONF_DIR/public.pem" 0644 "$PUBLIC_KEY"; then changed public-key; fi
if install_file "$CONF_DIR/.ssh/authorized_keys" 0640 "from=\"$BACKUP_ADDRESS\",restrict,command=\"$job\" $BACKUP_SSH_KEY
"; then
  chgrp "$ACCOUNT" "$CONF_DIR/.ssh/authorized_keys"
  changed authorized-key
fi

install_timer "fortress-k3s-snapshot-$NAME" "Fortress K3sCluster $NAME: seal new etcd snapshots" "*:0/15" "[Unit]
Description=Fortress K3sCluster $NAME: seal new etcd snapshots for the backup node

[Service]
Type=oneshot
ExecStart=$job seal
"
summary
