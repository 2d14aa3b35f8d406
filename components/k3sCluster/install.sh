#!/usr/bin/env bash
# Fortress K3sCluster: installs the pinned k3s release, from the upstream installer or, air-gapped,
# from a mirror the user names (binary, images and installer from an internal host). Does nothing
# when the pinned release is already installed. Never starts k3s: the configure step does.
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
