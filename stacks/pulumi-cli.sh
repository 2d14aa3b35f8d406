#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules into a cache keyed by version, once per machine, and
# prints the path of the binary. Machines without a Pulumi install (or without internet access
# to Pulumi's downloads) get the CLI this way; `npm run up` and `npm run test:engine` use it.
#
#   stacks/pulumi-cli.sh          # builds if missing, prints .../pulumi/v3.248.0/bin/pulumi
#
# The version must be the one the npm SDK (@pulumi/pulumi) was released with: the Automation API
# and the engine speak the same protocol version. FORTRESS_TOOLS_CACHE moves the cache.
set -euo pipefail

VERSION=${FORTRESS_PULUMI_VERSION:-v3.248.0}
if [[ $(id -u) == 0 ]]; then default_cache=/var/cache/fortress; else default_cache=${XDG_CACHE_HOME:-$HOME/.cache}/fortress; fi
CACHE=${FORTRESS_TOOLS_CACHE:-$default_cache}
DEST=$CACHE/pulumi/$VERSION
BIN=$DEST/bin/pulumi

log() { echo "pulumi-cli: $*" >&2; }

if [[ -x $BIN && $("$BIN" version 2>/dev/null) == "$VERSION" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || {
  log "error: Go is needed to build the Pulumi CLI (go 1.25.11 or newer)"
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
log "building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$VERSION (about 6 minutes on 2 cores, once)"
cd "$work"
# A wrapper module: pkg/v3 cannot be `go install`ed by itself because its go.mod has a replace
# directive (clipboard), which a wrapper has to repeat.
cat >go.mod <<MOD
module fortress.local/pulumi-cli

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 $VERSION
	github.com/pulumi/pulumi/sdk/v3 $VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
cat >tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
# The checksum database is not reachable from every network; the proxy's content is used as is.
export GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0
go mod tidy >"$work/tidy.log" 2>&1 || {
  cat "$work/tidy.log" >&2
  log "error: go mod tidy failed"
  exit 1
}
mkdir -p "$DEST/bin.new"
go build -trimpath -o "$DEST/bin.new/pulumi" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
rm -rf "${DEST:?}/bin"
mv "$DEST/bin.new" "$DEST/bin"
log "built $BIN in $((SECONDS - start)) s"
echo "$BIN"
