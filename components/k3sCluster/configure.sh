#!/usr/bin/env bash
# Fortress K3sCluster: writes this node's k3s configuration and join token, and (re)starts k3s
# only when they changed, waiting until the node is back. A configuration k3s cannot start with is
# rolled back to the previous one. The token comes on standard input, never on a command line.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-configure

ROLE=@@ROLE@@
NODE_NAME=@@NODE_NAME@@
CONFIG=@@CONFIG@@
TOKEN_FILE=@@TOKEN_FILE@@
READY_TIMEOUT=@@READY_TIMEOUT@@

# @fortress-common

IFS= read -r token || true
[[ -n $token ]] || die "no join token on standard input"
service=k3s
[[ $ROLE == server ]] || service=k3s-agent
config=/etc/rancher/k3s/config.yaml
restart=false

if install_file "$TOKEN_FILE" 0600 "$token"; then
  restart=true
  changed token
fi
unset token
if install_file "$config" 0600 "$CONFIG"; then
  restart=true
  changed config
fi
systemctl is-enabled --quiet "$service" || { systemctl enable --quiet "$service" && changed enabled; }
systemctl is-active --quiet "$service" || restart=true

node_ready() {
  if [[ $ROLE == server ]]; then
    k3s kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null |
      grep -qx True
  else
    systemctl is-active --quiet "$service" && [[ -s /var/lib/rancher/k3s/agent/kubelet.kubeconfig ]]
  fi
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until node_ready; do
    ((SECONDS < deadline)) || return 1
    sleep 3
  done
}

if [[ $restart == true ]]; then
  systemctl restart "$service"
  if ! wait_ready; then
    backup="$FORTRESS_STATE_DIR/backup$config"
    if [[ -f $backup ]]; then
      cp -p "$backup" "$config"
      systemctl restart "$service" || true
      die "k3s did not become ready with the new configuration within ${READY_TIMEOUT}s; the previous one is back"
    fi
    die "k3s did not become ready within ${READY_TIMEOUT}s; see 'journalctl -u $service'"
  fi
  changed restarted
fi
summary
