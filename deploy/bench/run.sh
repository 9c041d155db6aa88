#!/usr/bin/env bash
# deploy/bench/run.sh: the catalog benchmark of docs/benchmarks.md (issue 3).
# `make bench` runs it after `make build` and deploy/testenv/setup.sh.
#
#   1. copies the synthetic catalog generator (../shared/bench, read-only in
#      CI) into a cache dir and runs `npm ci` there once;
#   2. generates the catalogs (node generate.js N DIR), cached by N and by a
#      hash of the generator;
#   3. builds cmd/pontbench and runs it: every N on every database, the
#      crash-recovery check, then docs/benchmarks.md is rewritten;
#   4. runs the Kubernetes benchmark (issue 5: BenchmarkInventory in
#      plugins/kubernetes, three real API servers), which writes its section
#      of docs/benchmarks.md;
#   5. runs the actions benchmark (issue 6: BenchmarkActions in
#      plugins/kubernetes, 500 kubernetes.create-environment runs through the
#      runner and the queue on a real API server, on PostgreSQL and SQLite),
#      which writes its section of docs/benchmarks.md after the Kubernetes one;
#   6. runs the web UI's benchmark (issue 7: BenchmarkUI in web/e2e, Chromium
#      on a 50,000-entity catalog), which writes its section too.
#
# Settings (environment):
#   BENCH_N          comma-separated sizes (default 1000,10000,50000)
#   BENCH_DB         sqlite, postgres or both (default sqlite,postgres; the
#                    actions benchmark honours it too)
#   BENCH_CRASH      0 skips the crash-recovery check (default 1)
#   BENCH_TIMEOUT    how long an ingest may take to converge (default 10m)
#   BENCH_OUT        the report (default docs/benchmarks.md)
#   BENCH_ONLY       catalog, kubernetes, actions or ui: run only that part
#   BENCH_KUBE_NS    namespaces per cluster of the Kubernetes benchmark (default 2000)
#   BENCH_ACTIONS_N, BENCH_ACTIONS_RATE, BENCH_ACTIONS_WORKERS
#                    the actions benchmark's burst size (default 500), paced
#                    arrival rate per second (default 25) and queue workers
#                    (default: Pont's, 10)
#   PONT_BENCH_CPUPROFILE  FILE: CPU profiles of the Kubernetes benchmark's
#                    queries (FILE) and of the actions bursts (FILE.postgres,
#                    FILE.sqlite)
#   PONT_SHARED      the shared folder holding bench/generate.js
#                    (default: the repository's ../shared)
#   PONT_CACHE_DIR   cache dir (default ~/.cache/pont)
#   PONT_TEST_POSTGRES_IMAGE  PostgreSQL image (default pont-test/postgres:15)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"

# The report names the overrides it ran with, so a partial run says so.
COMMAND="make bench"
for v in BENCH_N BENCH_DB BENCH_CRASH BENCH_TIMEOUT BENCH_ONLY BENCH_KUBE_NS BENCH_ACTIONS_N BENCH_ACTIONS_RATE BENCH_ACTIONS_WORKERS; do
  if [[ -n ${!v:-} ]]; then COMMAND="$v=${!v} $COMMAND"; fi
done

CACHE_DIR="${PONT_CACHE_DIR:-$HOME/.cache/pont}/bench-gen"
BENCH_N="${BENCH_N:-1000,10000,50000}"
BENCH_DB="${BENCH_DB:-sqlite,postgres}"
BENCH_OUT="${BENCH_OUT:-docs/benchmarks.md}"
IMAGE="${PONT_TEST_POSTGRES_IMAGE:-pont-test/postgres:15}"

START_NS=$(date +%s%N)
elapsed() {
  local now
  now=$(date +%s%N)
  awk -v d="$((now - START_NS))" 'BEGIN { printf "%6.1fs", d / 1e9 }'
}
log() { printf '[bench %s] %s\n' "$(elapsed)" "$*" >&2; }
die() {
  printf '[bench %s] ERROR: %s\n' "$(elapsed)" "$*" >&2
  exit 1
}

# --- the Kubernetes benchmark ----------------------------------------------------

kube_bench() {
  log "kubernetes: BenchmarkInventory (3 API servers × ${BENCH_KUBE_NS:-2000} namespaces)"
  deploy/testenv/envtest.sh >/dev/null || die "envtest.sh failed"
  local out=$BENCH_OUT
  [[ $out == /* ]] || out="$ROOT/$out"
  PONT_REQUIRE_KUBE=1 PONT_BENCH_REPORT="$out" \
    go test ./plugins/kubernetes -run '^$' -bench '^BenchmarkInventory$' -benchtime 1x -timeout 30m ||
    die "the Kubernetes benchmark failed"
}

# --- the actions benchmark -------------------------------------------------------

actions_bench() {
  log "actions: BenchmarkActions (${BENCH_ACTIONS_N:-500} kubernetes.create-environment runs; databases: ${BENCH_DB:-sqlite,postgres})"
  deploy/testenv/envtest.sh >/dev/null || die "envtest.sh failed"
  local out=$BENCH_OUT
  [[ $out == /* ]] || out="$ROOT/$out"
  PONT_BENCH_ACTIONS=1 PONT_REQUIRE_KUBE=1 PONT_REQUIRE_DOCKER=1 PONT_BENCH_REPORT="$out" \
    go test ./plugins/kubernetes -run '^$' -bench '^BenchmarkActions$' -benchtime 1x -timeout 30m ||
    die "the actions benchmark failed"
}

# The web UI's budget (issue 7): in Chromium, on a 50,000-entity catalog
# (the same generator cache as the catalog benchmark), search results after
# typing and an entity page after navigation, with the Performance API; and
# the main bundle's gzipped size. Needs web/dist (make build) and Chromium
# (deploy/testenv/setup.sh).
ui_bench() {
  log "ui: BenchmarkUI (Chromium, 50,000 entities)"
  local out=$BENCH_OUT
  [[ $out == /* ]] || out="$ROOT/$out"
  PONT_BENCH_UI=1 PONT_REQUIRE_BROWSER=1 PONT_BENCH_REPORT="$out" \
    go test ./web/e2e -run '^$' -bench '^BenchmarkUI$' -benchtime 1x -timeout 30m ||
    die "the UI benchmark failed"
}

case ${BENCH_ONLY:-} in
kubernetes | actions | ui)
  case $BENCH_ONLY in
  kubernetes) kube_bench ;;
  actions) actions_bench ;;
  ui) ui_bench ;;
  esac
  log "done in $(elapsed)"
  exit 0
  ;;
esac

# --- the generator -----------------------------------------------------------

shared_dir() {
  if [[ -n ${PONT_SHARED:-} ]]; then
    printf '%s\n' "$PONT_SHARED"
    return
  fi
  local top
  top=$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || printf '%s' "$ROOT")
  printf '%s\n' "$top/../shared"
}

SHARED=$(shared_dir)
GEN_SRC="$SHARED/bench"
[[ -f $GEN_SRC/generate.js ]] || die "no generator at $GEN_SRC/generate.js (set PONT_SHARED to the folder holding bench/)"
GEN_SRC=$(cd "$GEN_SRC" && pwd)
command -v node >/dev/null 2>&1 || die "node is missing (deploy/testenv/setup.sh installs it)"
command -v npm >/dev/null 2>&1 || die "npm is missing (deploy/testenv/setup.sh installs it)"

# The cache key covers the generator and its locked dependencies.
GEN_HASH=$(cat "$GEN_SRC/generate.js" "$GEN_SRC/package.json" "$GEN_SRC/package-lock.json" 2>/dev/null |
  sha256sum | cut -c1-16)
GEN_DIR="$CACHE_DIR/generator-$GEN_HASH"
mkdir -p "$CACHE_DIR"

if [[ ! -f $GEN_DIR/.ready ]]; then
  log "generator: copying $GEN_SRC to $GEN_DIR and running npm ci"
  rm -rf "$GEN_DIR" "$GEN_DIR.partial"
  mkdir -p "$GEN_DIR.partial"
  # Only the generator's own files: never a node_modules that may sit there.
  (cd "$GEN_SRC" && tar --exclude=./node_modules -cf - .) | tar -C "$GEN_DIR.partial" -xf -
  (cd "$GEN_DIR.partial" && npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1) ||
    { tail -20 "$GEN_DIR.partial/npm-ci.log" >&2; die "npm ci in $GEN_DIR.partial failed"; }
  touch "$GEN_DIR.partial/.ready"
  mv "$GEN_DIR.partial" "$GEN_DIR"
else
  log "generator: cached in $GEN_DIR"
fi

# Drop catalogs and generators of older generator versions.
for old in "$CACHE_DIR"/generator-* "$CACHE_DIR"/catalog-*; do
  [[ -e $old ]] || continue
  case $old in
  *"-$GEN_HASH" | *"-$GEN_HASH-"*) ;;
  *)
    log "cache: removing $old (older generator)"
    rm -rf "$old"
    ;;
  esac
done

CATALOG_ARGS=()
IFS=',' read -r -a SIZES <<<"$BENCH_N"
for n in "${SIZES[@]}"; do
  n=${n// /}
  [[ $n =~ ^[0-9]+$ ]] || die "BENCH_N: $n is not a number"
  dir="$CACHE_DIR/catalog-$GEN_HASH-$n"
  if [[ ! -f $dir/.ready ]]; then
    log "catalog: generating N=$n into $dir"
    rm -rf "$dir" "$dir.partial"
    node "$GEN_DIR/generate.js" "$n" "$dir.partial" >"$CACHE_DIR/generate-$n.log" 2>&1 ||
      { cat "$CACHE_DIR/generate-$n.log" >&2; die "generate.js $n failed"; }
    # location.yaml names its targets relative to itself: the folder can move.
    touch "$dir.partial/.ready"
    mv "$dir.partial" "$dir"
  else
    log "catalog: N=$n cached in $dir"
  fi
  CATALOG_ARGS+=(-catalog "$n=$dir")
done

# --- the driver --------------------------------------------------------------

[[ -x bin/pont ]] || die "bin/pont is missing: run make build (make bench does)"
log "driver: building cmd/pontbench"
CGO_ENABLED=0 go build -trimpath -o bin/pontbench ./cmd/pontbench || die "building cmd/pontbench failed"

# The driver removes its PostgreSQL container itself; this trap covers a
# driver that was killed.
CONTAINER="pontbench-$$"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if command -v docker >/dev/null 2>&1 && docker container inspect "$CONTAINER" >/dev/null 2>&1; then
    log "cleanup: removing container $CONTAINER"
    docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "driver: running (databases: $BENCH_DB; sizes: $BENCH_N)"
set +e
bin/pontbench \
  -pont bin/pont \
  "${CATALOG_ARGS[@]}" \
  -db "$BENCH_DB" \
  -crash="${BENCH_CRASH:-1}" \
  -timeout "${BENCH_TIMEOUT:-10m}" \
  -pg-image "$IMAGE" \
  -pg-container "$CONTAINER" \
  -generator "$GEN_HASH" \
  -command "$COMMAND" \
  -out "$BENCH_OUT"
rc=$?
set -e
if [[ $rc -eq 0 && ${BENCH_ONLY:-} != catalog ]]; then
  kube_bench
  actions_bench
  ui_bench
fi
log "done in $(elapsed) (exit $rc)"
exit $rc
