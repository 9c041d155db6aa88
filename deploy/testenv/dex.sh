#!/usr/bin/env bash
# deploy/testenv/dex.sh: builds the Dex OIDC provider that the sign-in tests
# (internal/testutil/dextest) run, from the Go module proxy, and caches the
# binary under the cache dir keyed by Dex's version.
#
# Dex is built in a throwaway helper module so that Pont's go.mod does not
# pull in Dex's dependency tree. Prints the binary's path on stdout.
#
# Settings (environment):
#   PONT_CACHE_DIR  cache dir (default ~/.cache/pont)
set -euo pipefail

# The v2.45.1 tag, as the module proxy serves it (pseudo-version).
readonly DEX_VERSION="v0.0.0-20260303133905-11d2eeb52b42"

HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_DIR="${PONT_CACHE_DIR:-$HOME/.cache/pont}"
BIN="$CACHE_DIR/dex-$DEX_VERSION/dex"

if [[ -x $BIN ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pont-dex-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$BIN")"
t0=$SECONDS
echo "[dex] building github.com/dexidp/dex/cmd/dex@$DEX_VERSION (about a minute)" >&2
(
  cd "$work"
  go mod init pont.local/dexbuild >/dev/null 2>&1
  # The package path, not only the module: go get then records every go.sum
  # entry the build needs (grpc among them).
  go get "github.com/dexidp/dex/cmd/dex@$DEX_VERSION" >&2
  CGO_ENABLED=0 go build -trimpath -o "$BIN.partial" github.com/dexidp/dex/cmd/dex >&2
)
mv -f "$BIN.partial" "$BIN"
echo "[dex] built $BIN in $((SECONDS - t0))s" >&2
printf '%s\n' "$BIN"
