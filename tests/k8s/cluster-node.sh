# shellcheck shell=bash
# The cluster's nodes: the real one (containerd and a kubelet in a mount namespace of their own,
# with images made here) and kwok's. Sourced by cluster.sh, which sets STATE, RUN, NS, NODE_IP and
# the helpers (start, wait_for, in_ns, api, ...) used here; not a command of its own.

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
