#!/usr/bin/env bash
# Fortress K3sCluster: installs the pinned k3s release, from the upstream installer or, air-gapped,
# from a mirror the user names (binary, images and installer from an internal host). Does nothing
# when the pinned release is already installed, and refuses what Kubernetes does not support before
# it touches anything: a downgrade, or a skip of more than one minor release (the version skew
# policy). Never starts or restarts k3s: the configure step does, one node or batch at a time.
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-install

VERSION=@@VERSION@@
ROLE=@@ROLE@@
MIRROR=@@MIRROR@@
INSTALL_SCRIPT_URL=@@INSTALL_SCRIPT_URL@@

# @fortress-common

installed=$( (k3s --version 2>/dev/null || true) | awk 'NR==1 {print $3}')
if [[ $installed == "$VERSION" ]]; then
  summary
  exit 0
fi

# minor, patch, release candidate (a release sorts after its candidates), k3s build.
version_key() {
  [[ $1 =~ ^v1\.([0-9]+)\.([0-9]+)(-rc([0-9]+))?\+k3s([0-9]+)$ ]] || return 1
  printf '%s %s %s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[4]:-999999}" "${BASH_REMATCH[5]}"
}
if [[ -n $installed ]] && from=$(version_key "$installed") && to=$(version_key "$VERSION"); then
  read -ra f <<<"$from"
  read -ra t <<<"$to"
  for i in 0 1 2 3; do
    ((f[i] == t[i])) && continue
    ((t[i] > f[i])) ||
      die "$VERSION is older than the installed $installed; k3s cannot be downgraded in place (pin $installed or later)"
    break
  done
  ((t[0] <= f[0] + 1)) ||
    die "$VERSION skips a minor version from the installed $installed; upgrade one minor version at a time (pin the newest v1.$((f[0] + 1)).x release first)"
  log "upgrading k3s $installed to $VERSION"
fi
ensure_packages curl ca-certificates

case "$(uname -m)" in
  x86_64) arch=amd64 suffix="" ;;
  aarch64) arch=arm64 suffix=-arm64 ;;
  *) die "k3s has no release for $(uname -m) that Fortress supports (amd64, arm64)" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export INSTALL_K3S_VERSION=$VERSION INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC=$ROLE
if [[ -n $MIRROR ]]; then
  # Air-gapped: the binary and the images come from the mirror, checked against its checksums.
  base="$MIRROR/$VERSION"
  curl -fsSL "$base/sha256sum-$arch.txt" -o "$work/sha256sums"
  curl -fsSL "$base/k3s$suffix" -o "$work/k3s$suffix"
  curl -fsSL "$base/k3s-airgap-images-$arch.tar.zst" -o "$work/k3s-airgap-images-$arch.tar.zst"
  (cd "$work" && grep -E " (k3s$suffix|k3s-airgap-images-$arch\.tar\.zst)\$" sha256sums | sha256sum -c --quiet) ||
    die "the files from $base do not match its sha256sum-$arch.txt"
  install -m 0755 "$work/k3s$suffix" /usr/local/bin/k3s
  install -d /var/lib/rancher/k3s/agent/images
  install -m 0644 "$work/k3s-airgap-images-$arch.tar.zst" /var/lib/rancher/k3s/agent/images/
  curl -fsSL "$MIRROR/install.sh" -o "$work/install.sh"
  INSTALL_K3S_SKIP_DOWNLOAD=true sh "$work/install.sh" >&2
else
  curl -fsSL "$INSTALL_SCRIPT_URL" -o "$work/install.sh"
  sh "$work/install.sh" >&2
fi
installed=$(k3s --version | awk 'NR==1 {print $3}')
[[ $installed == "$VERSION" ]] || die "k3s $installed is installed, not the pinned $VERSION"
changed "k3s-$VERSION"
summary
