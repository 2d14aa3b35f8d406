#!/usr/bin/env bash
# Fortress K3sCluster, on the backup node: collects the servers' sealed etcd snapshots over the
# mesh. Makes this node's SSH key once (it never leaves the host; its public half is the last line
# of the output), writes the list of servers, the fetch job and an hourly timer; the snapshot
# folder is root's only. This node cannot open what it keeps: the private key is the cluster's
# `snapshotPrivateKey` output. Check, then change; the snapshots themselves are never touched here.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-snapshot-target

NAME=@@NAME@@
DIR=@@DIR@@
CONF_DIR=@@CONF_DIR@@
SOURCES=@@SOURCES@@
# shellcheck disable=SC2016 # the job is a script of its own, shellchecked on its own
JOB=@@JOB@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
command -v ssh >/dev/null 2>&1 || ensure_packages openssh-client
install -d -m 0700 "$CONF_DIR" "$DIR"
if [[ ! -s $CONF_DIR/id_ed25519 ]]; then
  ssh-keygen -q -t ed25519 -N "" -C "fortress-k3s-snapshots-$NAME@$(hostname)" -f "$CONF_DIR/id_ed25519"
  changed ssh-key
fi
if install_file "$CONF_DIR/sources" 0600 "$SOURCES"; then changed sources; fi
job=/usr/local/sbin/fortress-k3s-snapshots-$NAME
if install_file "$job" 0755 "$JOB"; then changed job; fi

install_timer "fortress-k3s-snapshots-$NAME" "Fortress K3sCluster $NAME: fetch etcd snapshots" hourly "[Unit]
Description=Fortress K3sCluster $NAME: fetch the servers' sealed etcd snapshots
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=$job
"
summary >&2
cut -d' ' -f1,2 "$CONF_DIR/id_ed25519.pub"
