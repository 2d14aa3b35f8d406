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

# --- certificates -----------------------------------------------------------------------------

cert() { # NAME CN [O] [SAN]: a client or server certificate signed by the cluster CA
  local name=$1 cn=$2 org=${3:-} san=${4:-} subj ext
  subj="/CN=$cn"
  [[ -z $org ]] || subj="/O=$org$subj"
  ext=$STATE/pki/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $san ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$STATE/pki/$name.key" 2>/dev/null
  openssl req -new -key "$STATE/pki/$name.key" -subj "$subj" -out "$STATE/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" \
    -CAcreateserial -days 2 -extfile "$ext" -out "$STATE/pki/$name.crt" 2>/dev/null
  rm -f "$STATE/pki/$name.csr" "$ext"
}

kubeconfig() { # NAME: a kubeconfig for the certificate NAME
  cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: fortress
    cluster: { server: "$API", certificate-authority: "$STATE/pki/ca.crt" }
users:
  - name: $1
    user: { client-certificate: "$STATE/pki/$1.crt", client-key: "$STATE/pki/$1.key" }
contexts:
  - name: fortress
    context: { cluster: fortress, user: $1 }
current-context: fortress
EOF
}

pki() {
  mkdir -p "$STATE/pki"
  chmod 0700 "$STATE/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$STATE/pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$STATE/pki/ca.key" -subj "/CN=fortress-k8s$ID-ca" -days 2 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$STATE/pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" \
    "IP:$NODE_IP,IP:127.0.0.1,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost"
  cert admin fortress-admin system:masters
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kwok fortress-kwok system:masters
  cert kubelet "system:node:$NODE" system:nodes
  for n in admin controller-manager scheduler kwok kubelet; do kubeconfig "$n"; done
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  # For k3s's secrets-encryption: Secrets stored encrypted in etcd (used when asked for).
  cat >"$STATE/encryption.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
            - name: fortress
              secret: $(head -c 32 /dev/urandom | base64)
      - identity: {}
EOF
  chmod 0600 "$STATE/encryption.yaml"
}

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

# --- the real node ----------------------------------------------------------------------------

# A runc that clamps a negative oomScoreAdj to 0: this machine has no CAP_SYS_RESOURCE, so the
# kernel refuses the -998 the kubelet asks for the pod sandbox and every container would fail.
write_runc_wrapper() {
  cat >"$STATE/runc" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
bundle=
prev=
for a in "$@"; do
  case $prev in --bundle | -b) bundle=$a ;; esac
  case $a in --bundle=*) bundle=${a#--bundle=} ;; esac
  prev=$a
done
if [[ -n $bundle && -f $bundle/config.json ]]; then
  sed -i -E 's/"oomScoreAdj":-[0-9]+/"oomScoreAdj":0/' "$bundle/config.json"
fi
exec /usr/sbin/runc "$@"
EOF
  chmod 0755 "$STATE/runc"
}

write_node_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/kubelet" "$STATE/sysctl"
  cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
oom_score = 0
[grpc]
  address = "$RUN/containerd.sock"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Pod network namespaces under our state folder, not /run/netns: the mounts live in the node's
  # private mount namespace, so files left in /run/netns would outlive every run.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$STATE/runc"
        Root = "$RUN/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
  cat >"$STATE/cni/net.d/10-fortress.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "fortress",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "fk8s0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR" }]], "dataDir": "$STATE/cni/ipam" }
    }
  ]
}
EOF
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$STATE/pki/ca.crt" }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
containerRuntimeEndpoint: unix://$RUN/containerd.sock
oomScoreAdj: 0
failSwapOn: false
maxPods: 20
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
serializeImagePulls: false
EOF
  # The kubelet's own view of the three sysctls it would otherwise set for the whole machine.
  echo 10 >"$STATE/sysctl/panic"
  echo 1 >"$STATE/sysctl/panic_on_oops"
  echo 1 >"$STATE/sysctl/overcommit_memory"
}

# An OCI image layout archive with one layer: the static binary as /bin/NAME, its entrypoint.
make_image() { # REF BINARY OUT
  local ref=$1 binary=$2 out=$3 dir name layer config manifest
  dir=$(mktemp -d)
  name=$(basename "$binary")
  mkdir -p "$dir/rootfs/bin" "$dir/oci/blobs/sha256"
  cp "$binary" "$dir/rootfs/bin/$name"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/rootfs" -cf "$dir/layer.tar" bin
  layer=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  mv "$dir/layer.tar" "$dir/oci/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/%s"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$name" "$layer" >"$dir/config.json"
  config=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$dir/config.json")" "$layer" "$(stat -c %s "$dir/oci/blobs/sha256/$layer")" >"$dir/manifest.json"
  manifest=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$(stat -c %s "$dir/manifest.json")" "$ref" "${ref##*:}" >"$dir/oci/index.json"
  mv "$dir/config.json" "$dir/oci/blobs/sha256/$config"
  mv "$dir/manifest.json" "$dir/oci/blobs/sha256/$manifest"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci/oci-layout"
  tar -C "$dir/oci" -cf "$out" oci-layout index.json blobs
  rm -rf "$dir"
}

up_node() {
  local bin=$1
  [[ -n ${FORTRESS_K8S_NODE:-} ]] || die "FORTRESS_K8S_NODE is not set: the real kubelet's node name"
  write_runc_wrapper
  write_node_config
  # A private mount namespace for containerd and the kubelet: the kubelet gets its own
  # kernel.panic, kernel.panic_on_oops and vm.overcommit_memory (bound over /proc/sys) instead of
  # rewriting the machine's, and every mount they make vanishes with the namespace.
  start mountns unshare --mount --propagation private sleep infinity
  # The PID is unshare's until it has unshared and exec'd sleep: wait until its namespace is new.
  wait_for "mount namespace" bash -c "[[ \$(readlink /proc/$(cat "$(pidfile mountns)")/ns/mnt) != \$(readlink /proc/self/ns/mnt) ]]"
  node_ns
  "${NODE_NS[@]}" mount --bind "$STATE/sysctl/panic" /proc/sys/kernel/panic
  "${NODE_NS[@]}" mount --bind "$STATE/sysctl/panic_on_oops" /proc/sys/kernel/panic_on_oops
  "${NODE_NS[@]}" mount --bind "$STATE/sysctl/overcommit_memory" /proc/sys/vm/overcommit_memory

  start containerd "${NODE_NS[@]}" containerd --config "$STATE/containerd.toml"
  wait_for containerd ctr --address "$RUN/containerd.sock" version
  make_image "$PAUSE_IMAGE" "$bin/pause" "$STATE/pause.tar"
  make_image "$PROBE_IMAGE" "$bin/probe" "$STATE/probe.tar"
  ctr --address "$RUN/containerd.sock" -n k8s.io images import "$STATE/pause.tar" >/dev/null
  ctr --address "$RUN/containerd.sock" -n k8s.io images import "$STATE/probe.tar" >/dev/null

  # The kubelet's pods go under a cgroup of their own in every hierarchy, which must exist.
  local c
  for c in /sys/fs/cgroup/*; do
    if [[ -d $c && ! -L $c ]]; then mkdir -p "$c$CGROUP_ROOT"; fi
  done
  start kubelet "${NODE_NS[@]}" "$bin/kubelet" --config="$STATE/kubelet.yaml" \
    --kubeconfig="$STATE/kubelet.kubeconfig" --root-dir="$STATE/kubelet" --cert-dir="$STATE/kubelet/pki" \
    --hostname-override="$FORTRESS_K8S_NODE" --node-ip="$NODE_IP" \
    --node-labels="${FORTRESS_K8S_NODE_LABELS:-}" --register-with-taints="${FORTRESS_K8S_NODE_TAINTS:-}"
  wait_for "node $FORTRESS_K8S_NODE" node_ready "$FORTRESS_K8S_NODE"
}

node_ready() {
  api "/api/v1/nodes/$1" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}

up_kwok() {
  local bin=$1
  # kwok runs pods "on paper" on every node annotated kwok.x-k8s.io/node=fake, as our stages say
  # (kwok-stages.yaml: nodes Ready, pods Running); it renews the nodes' leases itself.
  start kwok "${NS[@]}" "$bin/kwok" --kubeconfig="$STATE/kwok.kubeconfig" --config="$HERE/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="10.233.$ID.0/24" --node-ip="$NODE_IP" --server-address=127.0.0.1:10247
  wait_for kwok in_ns curl -fsS http://127.0.0.1:10247/healthz
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
