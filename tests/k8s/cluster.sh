#!/usr/bin/env bash
# A real upstream Kubernetes for the Fortress tests, in a network namespace of its own: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, one real kubelet with containerd, and
# kwok for the other nodes. Everything it starts is stopped by `down`, by PID, and nothing is left.
#
#   cluster.sh deps             install the Debian packages it needs (when missing)
#   cluster.sh up               build (or reuse) the binaries, then start everything
#   cluster.sh down             stop everything `up` started and remove its state
#   cluster.sh env              print the endpoint and credential paths (KEY=VALUE lines)
#
# `up` reads, from the environment (the test harness sets them from K3sCluster's own rendering):
#   FORTRESS_K8S_NODE          the real kubelet's node name
#   FORTRESS_K8S_NODE_LABELS   its labels, k=v,k=v (as k3s's node-label)
#   FORTRESS_K8S_NODE_TAINTS   its taints, k=v:Effect,... (as k3s's node-taint), may be empty
#   FORTRESS_K8S_APISERVER_ARGS  a file of extra kube-apiserver flags, one NAME=VALUE a line (as
#                              k3s's kube-apiserver-arg)
#   FORTRESS_K8S_SECRETS_ENCRYPTION  true: Secrets encrypted in etcd (as k3s's secrets-encryption)
# FORTRESS_LAB_ID (0-9) keeps clusters of different ids apart, as it does for the lab.
set -euo pipefail

ID=${FORTRESS_LAB_ID:-0}
[[ $ID =~ ^[0-9]$ ]] || { echo "k8s: error: FORTRESS_LAB_ID must be one digit, 0-9" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=/var/lib/fortress-k8s$ID
RUN=/run/fortress-k8s$ID
LOGS=/var/log/fortress-k8s$ID # kept after `down`, for debugging
NETNS=fk8s$ID
VETH_HOST=fk8s$ID-h
VETH_NS=fk8s$ID-n
# 10.232.ID.0/24 is this cluster's: .1/.2 the veth pair, .64/26 services, .128/25 pods on the kubelet.
NET=10.232.$ID
HOST_IP=$NET.1
NODE_IP=$NET.2
SERVICE_CIDR=$NET.64/26
SERVICE_IP=$NET.65
POD_CIDR=$NET.128/25
API=https://$NODE_IP:6443
CGROUP_ROOT=/fortress-k8s$ID
START_TIMEOUT=${FORTRESS_K8S_START_TIMEOUT:-120}
# Images come from static binaries built here; there is no registry to pull from.
PAUSE_IMAGE=fortress.local/pause:1
PROBE_IMAGE=fortress.local/probe:1
PACKAGES=(etcd-server containerd runc containernetworking-plugins iptables openssl curl util-linux iproute2)

log() { echo "k8s: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now_us() { echo "${EPOCHREALTIME/./}"; }

deps() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian starts services on install where it can; this machine has no init that would.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# --- processes, by PID file -------------------------------------------------------------------

pidfile() { echo "$RUN/$1.pid"; }
alive() {
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null
}

# start NAME CMD...: runs CMD detached, its output in $LOGS/NAME.log, its PID in $RUN/NAME.pid.
start() {
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# stop NAME...: SIGTERM to each, then waits for all of them (10 s), then SIGKILL to what is left.
stop() {
  local name f pids=() pid i
  for name in "$@"; do
    f=$(pidfile "$name")
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    rm -f "$f"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  for ((i = 0; i < 100; i++)); do
    local left=()
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then left+=("$pid"); fi
    done
    ((${#left[@]})) || return 0
    sleep 0.1
  done
  for pid in "${left[@]}"; do
    log "process $pid ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# wait_for WHAT CMD...: retries CMD until it succeeds or START_TIMEOUT passes.
wait_for() {
  local what=$1 deadline=$((SECONDS + START_TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not ready after ${START_TIMEOUT}s (logs in $LOGS)"
    sleep 0.5
  done
}

# nsenter --net, not `ip netns exec`: that remounts /sys, which hides the cgroups from the kubelet.
NS=(nsenter --net="/run/netns/$NETNS")
in_ns() { "${NS[@]}" "$@"; }
# The kubelet and containerd share a private mount namespace (see up_node), held by a process.
node_ns() { NODE_NS=("${NS[@]}" --mount="/proc/$(cat "$(pidfile mountns)")/ns/mnt"); }

api() { # PATH: GET with the admin credentials, from the host side of the veth
  curl -fsS --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" "$API$1"
}

# --- in files of their own next to this one: the certificates, and the nodes ---------------------

# shellcheck source=SCRIPTDIR/cluster-pki.sh
source "$HERE/cluster-pki.sh"
# shellcheck source=SCRIPTDIR/cluster-node.sh
source "$HERE/cluster-node.sh"

# --- network ----------------------------------------------------------------------------------

network() {
  ip netns add "$NETNS"
  ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
  ip link set "$VETH_NS" netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  in_ns ip link set lo up
  in_ns ip addr add "$NODE_IP/30" dev "$VETH_NS"
  in_ns ip link set "$VETH_NS" up
}

# --- control plane ----------------------------------------------------------------------------

up_control_plane() {
  local bin=$1 extra=() line
  start etcd "${NS[@]}" etcd --name default --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster default=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
  wait_for etcd in_ns curl -fsS http://127.0.0.1:2379/health

  [[ ${FORTRESS_K8S_SECRETS_ENCRYPTION:-false} != true ]] || extra+=(--encryption-provider-config="$STATE/encryption.yaml")
  if [[ -n ${FORTRESS_K8S_APISERVER_ARGS:-} ]]; then
    while IFS= read -r line; do
      [[ -z $line ]] || extra+=("--$line")
    done <"$FORTRESS_K8S_APISERVER_ARGS"
  fi
  # What k3s passes its embedded API server (anonymous auth off, no profiling, privileged pods),
  # then the cluster's own kube-apiserver-arg values.
  start apiserver "${NS[@]}" "$bin/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 --secure-port=6443 --advertise-address="$NODE_IP" \
    --tls-cert-file="$STATE/pki/apiserver.crt" --tls-private-key-file="$STATE/pki/apiserver.key" \
    --client-ca-file="$STATE/pki/ca.crt" \
    --service-account-key-file="$STATE/pki/sa.pub" \
    --service-account-signing-key-file="$STATE/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --anonymous-auth=false --profiling=false --allow-privileged=true \
    --kubelet-client-certificate="$STATE/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$STATE/pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    "${extra[@]}"
  wait_for kube-apiserver api /readyz
  # The controller-manager fails when it starts before the bootstrap RBAC roles exist.
  wait_for "bootstrap RBAC" api /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:kube-controller-manager

  start controller-manager "${NS[@]}" "$bin/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$STATE/pki/sa.key" --root-ca-file="$STATE/pki/ca.crt" \
    --cluster-signing-cert-file="$STATE/pki/ca.crt" --cluster-signing-key-file="$STATE/pki/ca.key" \
    --allocate-node-cidrs=false --profiling=false
  start scheduler "${NS[@]}" "$bin/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false
  wait_for kube-controller-manager in_ns curl -fsSk https://127.0.0.1:10257/healthz
  wait_for kube-scheduler in_ns curl -fsSk https://127.0.0.1:10259/healthz
  # Pods need their namespace's default service account, which the controller-manager makes.
  wait_for "service accounts" api /api/v1/namespaces/default/serviceaccounts/default
}

up() {
  [[ $EUID -eq 0 ]] || die "needs root (network namespaces, containerd)"
  [[ ! -e /run/netns/$NETNS ]] || die "cluster $ID is already up (or was not taken down): run down first"
  local t0 bin
  t0=$(now_us)
  deps
  bin=$("$HERE/build.sh")/bin
  NODE=${FORTRESS_K8S_NODE:-node}
  mkdir -p "$STATE" "$RUN" "$LOGS"
  pki
  network
  up_control_plane "$bin"
  up_node "$bin"
  up_kwok "$bin"
  log "up in $((($(now_us) - t0) / 1000)) ms: $API"
}

# --- down -------------------------------------------------------------------------------------

# What containerd did not clean up, by PID: shims serving our socket (a pod sandbox whose start
# the kubelet's exit cancelled leaves one that containerd no longer lists) and any process still in
# the kubelet's cgroups.
kill_leftovers() {
  local p cmd pid i
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    if [[ $cmd == *"-address $RUN/containerd.sock "* ]]; then
      log "killing a containerd shim containerd left: ${p#/proc/}"
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 50; i++)); do
    local remaining=0
    while read -r pid; do
      remaining=1
      kill -KILL "$pid" 2>/dev/null || true
    done < <(find /sys/fs/cgroup/*"$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    ((remaining)) || return 0
    sleep 0.1
  done
}

remove_cgroups() { # depth first: a cgroup folder goes only once its children are gone
  local c
  for c in /sys/fs/cgroup/*"$CGROUP_ROOT" /sys/fs/cgroup/*/*"$CGROUP_ROOT"; do
    [[ -d $c ]] || continue
    find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

down() {
  local sock=$RUN/containerd.sock t i
  stop kwok kubelet
  # The kubelet leaves its pods running, and containerd's shims outlive containerd: the tasks go
  # first, through containerd.
  if alive containerd; then
    for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      for ((i = 0; i < 50; i++)); do
        ctr --address "$sock" -n k8s.io tasks delete "$t" >/dev/null 2>&1 && break
        sleep 0.2
      done
    done
    for t in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io containers delete "$t" >/dev/null 2>&1 || true
    done
  fi
  stop containerd mountns scheduler controller-manager
  stop apiserver
  stop etcd
  kill_leftovers
  remove_cgroups
  ip link del "$VETH_HOST" 2>/dev/null || true
  [[ ! -e /run/netns/$NETNS ]] || ip netns del "$NETNS"
  rm -rf "$STATE" "$RUN"
  log "down"
}

print_env() {
  cat <<EOF
FORTRESS_K8S_API=$API
FORTRESS_K8S_CA=$STATE/pki/ca.crt
FORTRESS_K8S_CERT=$STATE/pki/admin.crt
FORTRESS_K8S_KEY=$STATE/pki/admin.key
FORTRESS_K8S_KUBECONFIG=$STATE/admin.kubeconfig
FORTRESS_K8S_NETNS=$NETNS
FORTRESS_K8S_VETH=$VETH_HOST
FORTRESS_K8S_CGROUP_ROOT=$CGROUP_ROOT
FORTRESS_K8S_STATE=$STATE
FORTRESS_K8S_RUN=$RUN
FORTRESS_K8S_LOGS=$LOGS
FORTRESS_K8S_PROBE_IMAGE=$PROBE_IMAGE
FORTRESS_K8S_VERSION=$("$HERE/build.sh" version)
EOF
}

case ${1:-} in
  deps) deps ;;
  up) up ;;
  down) down ;;
  env) print_env ;;
  *)
    echo "usage: cluster.sh deps|up|down|env" >&2
    exit 2
    ;;
esac
