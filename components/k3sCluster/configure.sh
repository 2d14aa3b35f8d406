#!/usr/bin/env bash
# Fortress K3sCluster: writes this node's k3s configuration and join token, and (re)starts k3s
# only when they changed or the node runs another release than the pinned one, then waits until
# the node is Ready on the new process. Servers restart one at a time (the deployment orders
# them) and then say which release they run. An agent that is running takes one of the cluster's
# SLOTS restart slots first (a ConfigMap in fortress-system), so at most SLOTS agents are away at
# once; on an upgrade it first waits until every server says it runs the new release (a kubelet
# must not be newer than its API servers). A configuration k3s cannot become Ready with is rolled back. The token comes on standard input.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-configure

ROLE=@@ROLE@@
NODE_NAME=@@NODE_NAME@@
VERSION=@@VERSION@@
CONFIG=@@CONFIG@@
TOKEN_FILE=@@TOKEN_FILE@@
READY_TIMEOUT=@@READY_TIMEOUT@@
SLOTS=@@SLOTS@@
SLOT_LEASE=@@SLOT_LEASE@@
SLOT_TIMEOUT=@@SLOT_TIMEOUT@@
SERVERS=@@SERVERS@@
MANIFEST=@@MANIFEST@@

# @fortress-common

SLOT_NAMESPACE=fortress-system
IFS= read -r token || true
[[ -n $token ]] || die "no join token on standard input"
service=k3s kubeconfig=/etc/rancher/k3s/k3s.yaml
if [[ $ROLE != server ]]; then
  # The node's own credential: the Node authorizer lets it read its own Node, RBAC the slots.
  service=k3s-agent kubeconfig=/var/lib/rancher/k3s/agent/kubelet.kubeconfig
fi
config=/etc/rancher/k3s/config.yaml
kc() { k3s kubectl --kubeconfig "$kubeconfig" --request-timeout=10s "$@"; }
release_of() { kc get node "$1" -o 'jsonpath={.status.nodeInfo.kubeletVersion}' 2>/dev/null || true; }

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
# k3s applies what is in its manifests folder by itself: the restart slots' namespace and rights.
if [[ $ROLE == server ]] &&
  install_file /var/lib/rancher/k3s/server/manifests/fortress-restart-slots.yaml 0600 "$MANIFEST"; then
  changed restart-slots
fi
systemctl is-enabled --quiet "$service" || { systemctl enable --quiet "$service" && changed enabled; }
running=false upgrade=false
if systemctl is-active --quiet "$service"; then
  running=true
  release=$(release_of "$NODE_NAME")
  [[ -n $release ]] || die "cannot read the release node $NODE_NAME runs (is the API server reachable?); nothing was restarted"
  if [[ $release != "$VERSION" ]]; then
    restart=true upgrade=true
    log "node $NODE_NAME runs $release; restarting on $VERSION"
  fi
else
  restart=true
fi

# --- restart slots (tests/k8s/restartSlots.k8s.test.ts runs this part against a real API server) ---
slot=""
# A slot is a ConfigMap, not a Lease: NodeRestriction lets a node touch no Lease but its own.
slot_doc() {
  local now
  now=$(date +%s)
  printf '%s\n' "apiVersion: v1" "kind: ConfigMap" "metadata:" "  name: $1" "  namespace: $SLOT_NAMESPACE"
  [[ -z ${2:-} ]] || printf '  resourceVersion: "%s"\n' "$2"
  printf '%s\n' "data:" "  holder: $NODE_NAME" "  taken: \"$now\"" "  expires: \"$((now + SLOT_LEASE))\""
}

# A free slot is one no ConfigMap holds: creating one is atomic, and taking over an expired one
# goes through its resourceVersion, so two nodes never both win it.
acquire_slot() {
  local deadline=$((SECONDS + SLOT_TIMEOUT)) i name state expires version
  # A slot this node kept from a run that failed is its own again: a node never holds two.
  for ((i = 0; i < SLOTS; i++)); do
    [[ $(kc -n "$SLOT_NAMESPACE" get configmap "k3s-restart-$i" -o 'jsonpath={.data.holder}' 2>/dev/null) == "$NODE_NAME" ]] &&
      slot=k3s-restart-$i && return 0
  done
  while :; do
    for ((i = 0; i < SLOTS; i++)); do
      name=k3s-restart-$i
      if slot_doc "$name" | kc create -f - >/dev/null 2>&1; then
        slot=$name
        return 0
      fi
      state=$(kc -n "$SLOT_NAMESPACE" get configmap "$name" -o \
        'jsonpath={.data.expires} {.metadata.resourceVersion}' 2>/dev/null) || continue
      read -r expires version <<<"$state"
      if ((${expires:-0} < $(date +%s))); then
        if slot_doc "$name" "$version" | kc replace -f - >/dev/null 2>&1; then
          slot=$name
          return 0
        fi
      fi
    done
    ((SECONDS < deadline)) ||
      die "no agent restart slot was free within ${SLOT_TIMEOUT}s (at most $SLOTS agents restart at once; 'kubectl -n $SLOT_NAMESPACE get configmaps' shows who holds them)"
    sleep 5
  done
}

release_slot() {
  kc -n "$SLOT_NAMESPACE" delete configmap "$slot" --ignore-not-found >/dev/null ||
    log "could not free restart slot $slot; it expires after ${SLOT_LEASE}s"
}
# Each server says which release it runs once it is Ready on it; a node may not read other
# nodes (the Node authorizer), but it may read this ConfigMap.
publish_release() {
  local deadline=$((SECONDS + READY_TIMEOUT)) doc
  doc=$(printf '{"data":{"%s":"%s"}}' "$NODE_NAME" "$VERSION")
  until kc -n "$SLOT_NAMESPACE" patch configmap k3s-server-releases --type merge -p "$doc" >/dev/null 2>&1 ||
    kc -n "$SLOT_NAMESPACE" create configmap k3s-server-releases --from-literal="$NODE_NAME=$VERSION" >/dev/null 2>&1; do
    # The namespace comes with the manifest k3s applies shortly after it starts.
    ((SECONDS < deadline)) || die "could not record in $SLOT_NAMESPACE/k3s-server-releases that $NODE_NAME runs $VERSION"
    sleep 3
  done
}

wait_servers_upgraded() {
  local deadline=$((SECONDS + SLOT_TIMEOUT)) behind s servers releases
  read -ra servers <<<"$SERVERS"
  while :; do
    # shellcheck disable=SC2016 # a Go template, for kubectl
    releases=$(kc -n "$SLOT_NAMESPACE" get configmap k3s-server-releases -o \
      'go-template={{range $k, $v := .data}}{{$k}}={{$v}}{{"\n"}}{{end}}' 2>/dev/null || true)
    behind=""
    for s in "${servers[@]}"; do
      grep -qxF "$s=$VERSION" <<<"$releases" || behind+=" $s"
    done
    [[ -n $behind ]] || return 0
    ((SECONDS < deadline)) ||
      die "server(s)$behind do not run $VERSION after ${SLOT_TIMEOUT}s; agents upgrade only after every server (a kubelet must not be newer than its API servers)"
    sleep 5
  done
}
# --- end restart slots ---

# Ready, on the pinned release, and its kubelet has renewed the node's lease since the restart:
# a Ready condition alone may still be the one the previous process reported.
node_ready() {
  local state renewed
  state=$(kc get node "$NODE_NAME" -o \
    'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.nodeInfo.kubeletVersion}' \
    2>/dev/null) || return 1
  [[ $state == "True $VERSION" ]] || return 1
  renewed=$(kc -n kube-node-lease get lease "$NODE_NAME" -o 'jsonpath={.spec.renewTime}' 2>/dev/null) ||
    return 1
  [[ -n $renewed ]] && (($(date -d "$renewed" +%s) >= restarted_at))
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until node_ready; do
    ((SECONDS < deadline)) || return 1
    sleep 3
  done
}

if [[ $restart == true ]]; then
  if [[ $ROLE == agent && $running == true ]]; then
    [[ $upgrade == false ]] || wait_servers_upgraded
    acquire_slot
    log "restart slot $slot taken"
  fi
  restarted_at=$(date +%s)
  systemctl restart "$service"
  if ! wait_ready; then
    # A slot stays taken by a node that did not come back: the roll stops at SLOTS such nodes.
    backup="$FORTRESS_STATE_DIR/backup$config"
    if [[ -f $backup ]]; then
      cp -p "$backup" "$config"
      systemctl restart "$service" || true
      die "node $NODE_NAME was not Ready on $VERSION with the new configuration within ${READY_TIMEOUT}s; the previous configuration is back"
    fi
    die "node $NODE_NAME was not Ready on $VERSION within ${READY_TIMEOUT}s; see 'journalctl -u $service'"
  fi
  [[ -z $slot ]] || release_slot
  changed restarted
fi
if [[ $ROLE == server ]]; then
  publish_release
fi
summary
