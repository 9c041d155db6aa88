#!/usr/bin/env bash
# deploy/testenv/envtest.sh: builds the binaries that the tests run as real
# Kubernetes API servers (kube-apiserver and etcd; see
# internal/testutil/kubetest), from the Go module proxy, and caches them
# under the cache dir keyed by their versions. Prints the folder holding
# both on stdout (the layout controller-runtime's envtest also accepts as
# BinaryAssetsDirectory).
#
# kube-apiserver takes about 3.5 minutes on 2 cores, etcd about 20 s; a
# second run with the cache in place takes no time.
#
# Each is built in a throwaway helper module so that Pont's go.mod does not
# carry Kubernetes' build dependencies. k8s.io/kubernetes refers to its
# staging modules at v0.0.0, so the helper module replaces each of them
# with the matching published v0.x version.
#
# Settings (environment):
#   PONT_CACHE_DIR  cache dir (default ~/.cache/pont)
set -euo pipefail

readonly KUBE_VERSION="v1.37.2"
readonly STAGING_VERSION="v0.37.2"
readonly ETCD_VERSION="v3.6.13"

HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_DIR="${PONT_CACHE_DIR:-$HOME/.cache/pont}"
# Bump the -vN suffix to force every machine to rebuild.
DIR="$CACHE_DIR/envtest-kube-$KUBE_VERSION-etcd-$ETCD_VERSION-v2"

log() { printf '[envtest] %s\n' "$*" >&2; }

if [[ -x $DIR/kube-apiserver && -x $DIR/etcd ]]; then
  printf '%s\n' "$DIR"
  exit 0
fi
mkdir -p "$DIR"

# Test binaries of several packages (go test runs them in parallel) may all
# call this script on a cold cache: one builds, the others wait for it
# instead of building the same files into the same place.
exec 9>"$DIR.lock"
flock 9
if [[ -x $DIR/kube-apiserver && -x $DIR/etcd ]]; then
  printf '%s\n' "$DIR"
  exit 0
fi

# Helper modules of an interrupted build (kubetest stops this script when it
# takes too long for a run that does not require Kubernetes).
work_dirs=()
trap 'rm -rf "${work_dirs[@]}"' EXIT

build_etcd() {
  [[ -x $DIR/etcd ]] && return
  local work t0=$SECONDS
  work=$(mktemp -d "${TMPDIR:-/tmp}/pont-etcd-build.XXXXXX")
  work_dirs+=("$work")
  log "building etcd $ETCD_VERSION"
  (
    cd "$work"
    go mod init pont.local/etcdbuild >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    CGO_ENABLED=0 go build -trimpath -o "$DIR/etcd.partial" go.etcd.io/etcd/server/v3 >&2
  )
  mv -f "$DIR/etcd.partial" "$DIR/etcd"
  rm -rf "$work"
  log "etcd built in $((SECONDS - t0))s"
}

build_apiserver() {
  [[ -x $DIR/kube-apiserver ]] && return
  local work t0=$SECONDS
  work=$(mktemp -d "${TMPDIR:-/tmp}/pont-kube-build.XXXXXX")
  work_dirs+=("$work")
  log "building kube-apiserver $KUBE_VERSION (about 3.5 minutes)"
  (
    cd "$work"
    go mod init pont.local/kubebuild >/dev/null 2>&1
    # The staging modules k8s.io/kubernetes requires at v0.0.0, each
    # replaced by its published version.
    local mod
    mod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    [[ -n $mod ]] || { log "cannot download k8s.io/kubernetes $KUBE_VERSION"; exit 1; }
    local staging
    staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$mod" | sort -u)
    local args=()
    for m in $staging; do args+=("-replace=$m=$m@$STAGING_VERSION"); done
    go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION" "${args[@]}"
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >&2
    # The version the server reports (/version, discovery), as a release
    # build would stamp it.
    local minor=${KUBE_VERSION#v1.}
    minor=${minor%%.*}
    local pkg=k8s.io/component-base/version
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
      -o "$DIR/kube-apiserver.partial" k8s.io/kubernetes/cmd/kube-apiserver >&2
  )
  mv -f "$DIR/kube-apiserver.partial" "$DIR/kube-apiserver"
  rm -rf "$work"
  log "kube-apiserver built in $((SECONDS - t0))s"
}

build_etcd
build_apiserver
printf '%s\n' "$DIR"
