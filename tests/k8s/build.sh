#!/usr/bin/env bash
# Builds the pinned upstream Kubernetes binaries (kube-apiserver, kube-scheduler,
# kube-controller-manager, kubelet) and kwok from Go modules into a cache outside the repository,
# keyed by version, plus the two static binaries our images are made of. A stamp file records
# what was built from what, so a machine that already has them skips the build.
#
#   build.sh            build what is missing, print the cache folder on stdout
#   build.sh version    print the Kubernetes version it builds
#
# k3s cannot be had here (no package, its module versions are refused); upstream Kubernetes runs
# the same API server, admission plugins and scheduler that k3s embeds.
set -euo pipefail

# v1.33: the newest line whose kubelet still runs on this cgroup v1 machine without an opt-out
# (1.35 refuses cgroup v1 unless failCgroupV1 is false) and that still supports containerd 1.6
# from Debian 12; it matches the kubectl 1.33 of the machine image.
K8S_VERSION=${FORTRESS_K8S_VERSION:-v1.33.13}
KWOK_VERSION=${FORTRESS_KWOK_VERSION:-v0.8.0}
CACHE_ROOT=${FORTRESS_K8S_CACHE:-/var/cache/fortress/k8s}
OUT=$CACHE_ROOT/$K8S_VERSION
HERE=$(cd "$(dirname "$0")" && pwd)
if [[ ${1:-} == version ]]; then
  echo "$K8S_VERSION"
  exit 0
fi

log() { echo "k8s-build: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "FORTRESS_K8S_VERSION must look like v1.33.13"
minor=${BASH_REMATCH[1]}
patch=${BASH_REMATCH[2]}
staging_version=v0.$minor.$patch
command -v go >/dev/null || die "go is not installed"

# The images' sources are part of the stamp, so changing them rebuilds (only them is cheap, but
# one stamp keeps the logic simple and they take seconds).
images_hash=$(cat "$HERE"/images/go.mod "$HERE"/images/*/*.go | sha256sum | cut -c1-16)
stamp_want="kubernetes=$K8S_VERSION kwok=$KWOK_VERSION images=$images_hash $(go env GOVERSION)"
if [[ -f $OUT/.stamp && $(cat "$OUT/.stamp") == "$stamp_want" ]]; then
  log "cached: $OUT ($stamp_want)"
  echo "$OUT"
  exit 0
fi

export GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT/bin.new"
rm -rf "${OUT:?}/bin.new/"*

# A wrapper module: k8s.io/kubernetes replaces its staging modules by relative paths, which only
# work inside its own tree; outside it each one must be replaced by its matching release.
log "resolving k8s.io/kubernetes@$K8S_VERSION"
gomod_file=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
[[ -f $gomod_file ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
{
  echo "module fortress.local/k8s-build"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  sed -n 's#^\t\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*$#replace \1 => \1 '"$staging_version"'#p' "$gomod_file"
} >"$work/go.mod"
grep -q '^replace k8s.io/api ' "$work/go.mod" || die "found no staging replacements in $gomod_file"

t0=$SECONDS
(
  cd "$work"
  go mod download k8s.io/kubernetes
  # Staging modules must be resolved through the replacements before the build reads them.
  go get "k8s.io/kubernetes@$K8S_VERSION" >/dev/null 2>&1 || go get "k8s.io/kubernetes@$K8S_VERSION"
)
log "modules resolved in $((SECONDS - t0)) s"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

t1=$SECONDS
# One invocation, so the packages the four share are compiled once.
(
  cd "$work"
  go build -trimpath -ldflags "$ldflags" -o "$OUT/bin.new/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubelet
)
log "kubernetes binaries built in $((SECONDS - t1)) s"

t2=$SECONDS
GOBIN=$OUT/bin.new go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
log "kwok built in $((SECONDS - t2)) s"

t3=$SECONDS
(
  cd "$HERE/images"
  go build -trimpath -ldflags "-s -w" -o "$OUT/bin.new/" ./...
)
log "image binaries built in $((SECONDS - t3)) s"

rm -rf "${OUT:?}/bin"
mv "$OUT/bin.new" "$OUT/bin"
echo "$stamp_want" >"$OUT/.stamp"
log "built $OUT in $((SECONDS - t0)) s ($stamp_want)"
echo "$OUT"
