#!/usr/bin/env bash
# deploy/testenv/setup.sh: prepares this machine for the tests that need real
# services (internal/testutil/pgtest and friends).
#
#   1. installs Debian's docker.io and debootstrap when missing, and its
#      chromium (the browser of the UI tests in web/e2e);
#   2. starts dockerd (vfs storage driver, detached, log under the cache dir)
#      when /var/run/docker.sock does not answer;
#   3. builds the local PostgreSQL image (no registry is reachable, so it is
#      made from Debian's packages with debootstrap + docker import), caching
#      the rootfs tarball so the next build skips debootstrap.
#
# Idempotent: a second run with everything in place takes about a second.
#
# Settings (environment):
#   PONT_CACHE_DIR            cache dir (default ~/.cache/pont)
#   PONT_TEST_POSTGRES_IMAGE  image name (default pont-test/postgres:15)
#   PONT_DEBIAN_MIRROR        Debian mirror for debootstrap (default: read from
#                             this machine's apt sources)
#   PONT_DOCKERD_WAIT         seconds to wait for dockerd (default 60)
#   PONT_CHROMIUM             a browser binary to use instead of Debian's
#                             chromium (which is then not installed)
set -euo pipefail

# Bump the -vN suffix to force every machine to rebuild the image.
readonly VERSION_KEY="bookworm-postgresql-15-v2"
readonly SUITE="bookworm"
readonly PG_PACKAGES="postgresql-15,tzdata"

IMAGE="${PONT_TEST_POSTGRES_IMAGE:-pont-test/postgres:15}"
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE_DIR="${PONT_CACHE_DIR:-$HOME/.cache/pont}"
DOCKERD_WAIT="${PONT_DOCKERD_WAIT:-60}"
ROOTFS_TAR="$CACHE_DIR/postgres-15-rootfs-$VERSION_KEY.tar"
DOCKERD_LOG="$CACHE_DIR/dockerd.log"

START_NS=$(date +%s%N)

elapsed() { # seconds since the script started, with tenths
  local now
  now=$(date +%s%N)
  awk -v d="$((now - START_NS))" 'BEGIN { printf "%6.1fs", d / 1e9 }'
}
log() { printf '[setup %s] %s\n' "$(elapsed)" "$*"; }
die() {
  printf '[setup %s] ERROR: %s\n' "$(elapsed)" "$*" >&2
  exit 1
}

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing: run as root"
  SUDO=(sudo)
fi

mkdir -p "$CACHE_DIR"

# --- 1. packages -------------------------------------------------------------

install_packages() {
  local missing=()
  # /usr/local/bin/docker (a bare client) may exist without an engine: look
  # for dockerd itself.
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
  # PONT_CHROMIUM names another browser binary (internal/testutil/browsertest).
  if [[ -n ${PONT_CHROMIUM:-} ]]; then
    command -v "$PONT_CHROMIUM" >/dev/null 2>&1 || die "PONT_CHROMIUM=$PONT_CHROMIUM is not an executable"
  else
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  fi
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "packages: docker.io, debootstrap and chromium already installed"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${missing[*]} by hand (Debian/Ubuntu expected)"
  local t0=$SECONDS apt_log="$CACHE_DIR/apt.log"
  log "packages: installing ${missing[*]} (log: $apt_log)"
  # Wait for a concurrent apt/dpkg run (lock) instead of failing at once.
  apt() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  if ! apt install -y "${missing[@]}" >"$apt_log" 2>&1; then
    log "packages: install failed, running apt-get update and retrying"
    apt update >>"$apt_log" 2>&1 || { tail -20 "$apt_log" >&2; die "apt-get update failed (log: $apt_log)"; }
    apt install -y "${missing[@]}" >>"$apt_log" 2>&1 ||
      { tail -20 "$apt_log" >&2; die "apt-get install ${missing[*]} failed (log: $apt_log)"; }
  fi
  log "packages: installed ${missing[*]} in $((SECONDS - t0))s"
}

# --- 2. docker engine --------------------------------------------------------

docker_ok() { "${SUDO[@]}" docker info >/dev/null 2>&1; }

start_dockerd() {
  if docker_ok; then
    log "docker: engine already answering"
    return
  fi
  local pidfile=/var/run/docker.pid
  if [[ -f $pidfile ]]; then
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      log "docker: dockerd (pid $pid) is running but not answering yet; waiting"
    else
      log "docker: removing stale $pidfile"
      "${SUDO[@]}" rm -f "$pidfile"
      pid=""
    fi
  fi
  if [[ -z ${pid:-} ]]; then
    log "docker: starting dockerd --storage-driver=vfs (log: $DOCKERD_LOG)"
    # setsid + nohup: detached from this shell, survives its exit.
    "${SUDO[@]}" setsid nohup dockerd --storage-driver=vfs >>"$DOCKERD_LOG" 2>&1 </dev/null &
    disown || true
  fi
  local t0=$SECONDS
  until docker_ok; do
    if ((SECONDS - t0 >= DOCKERD_WAIT)); then
      tail -30 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer 'docker info' within ${DOCKERD_WAIT}s (log: $DOCKERD_LOG)"
    fi
    sleep 0.5
  done
  log "docker: engine up after $((SECONDS - t0))s"
}

# --- 3. PostgreSQL image -----------------------------------------------------

# debian_mirror prints the Debian mirror this machine's apt uses for $SUITE.
debian_mirror() {
  if [[ -n ${PONT_DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "$PONT_DEBIAN_MIRROR"
    return
  fi
  local f uri=""
  # deb822 files: the first stanza whose Suites include $SUITE exactly.
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$SUITE" '
      function flush() {
        if (uris != "" && hit && types ~ /(^|[ \t])deb([ \t]|$)/) { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit }
        uris = ""; hit = 0; types = "deb"
      }
      BEGIN { types = "deb" }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:" { types = ""; for (i = 2; i <= NF; i++) types = types " " $i }
      tolower($1) == "uris:" { uris = ""; for (i = 2; i <= NF; i++) uris = uris (uris == "" ? "" : " ") $i }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      END { if (!found) flush() }
    ' "$f")
    [[ -n $uri ]] && break
  done
  # One-line format: deb [options] URI SUITE components...
  if [[ -z $uri ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      uri=$(awk -v suite="$SUITE" '
        $1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == suite) { print $i; exit }
        }' "$f")
      [[ -n $uri ]] && break
    done
  fi
  [[ -n $uri ]] || return 1
  printf '%s\n' "${uri%/}"
}

image_ok() {
  local key
  key=$("${SUDO[@]}" docker image inspect --format '{{ index .Config.Labels "pont.version-key" }}' "$IMAGE" 2>/dev/null) || return 1
  [[ $key == "$VERSION_KEY" ]]
}

build_rootfs() {
  local mirror
  mirror=$(debian_mirror) ||
    die "cannot find a Debian '$SUITE' mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources; set PONT_DEBIAN_MIRROR"
  local debootstrap=debootstrap
  command -v debootstrap >/dev/null 2>&1 || debootstrap=/usr/sbin/debootstrap
  local work
  work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  # shellcheck disable=SC2064 # expand $work now
  trap "${SUDO[*]} rm -rf '$work'" EXIT
  local t0=$SECONDS db_log="$CACHE_DIR/debootstrap.log"
  log "image: debootstrap $SUITE with $PG_PACKAGES from $mirror (log: $db_log)"
  if ! "${SUDO[@]}" "$debootstrap" --variant=minbase --include="$PG_PACKAGES" \
    "$SUITE" "$work/rootfs" "$mirror" >"$db_log" 2>&1; then
    tail -30 "$db_log" >&2
    # debootstrap keeps its own detailed log inside the target.
    [[ -f $work/rootfs/debootstrap/debootstrap.log ]] && tail -30 "$work/rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (log: $db_log)"
  fi
  log "image: debootstrap done in $((SECONDS - t0))s"
  # Slim the rootfs (420 MB -> about 150 MB): under vfs every container start
  # copies the whole image, about 1.3 s per 100 MB here. The image only runs
  # initdb and postgres, so drop what they never load: JIT (LLVM, z3, bitcode;
  # the tests run with jit=off), full perl (Debian's pg_ctlcluster wrappers
  # and plperl; perl-base stays), translations and locale sources (the
  # cluster uses --locale=C), docs, apt's caches, and the package's own
  # default cluster (the tests run initdb themselves).
  local r="$work/rootfs"
  "${SUDO[@]}" rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"* \
    "$r/var/lib/postgresql/15/main" "$r/etc/postgresql/15/main" \
    "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/info" \
    "$r/usr/share/locale" "$r/usr/share/i18n" "$r/usr/lib/locale" \
    "$r/usr/lib/"*"-linux-gnu/libLLVM-"*.so* "$r/usr/lib/"*"-linux-gnu/libz3.so"* \
    "$r/usr/lib/postgresql/15/lib/bitcode" "$r/usr/lib/postgresql/15/lib/llvmjit"*.so \
    "$r/usr/lib/"*"-linux-gnu/perl" "$r/usr/share/perl" "$r/usr/lib/"*"-linux-gnu/libperl.so"*
  # Check that nothing postgres or initdb needs went with it.
  local bin missing
  for bin in postgres initdb; do
    missing=$("${SUDO[@]}" chroot "$r" /usr/bin/ldd "/usr/lib/postgresql/15/bin/$bin" 2>&1 | grep 'not found' || true)
    [[ -z $missing ]] || die "slimmed rootfs lacks libraries for $bin: $missing"
  done
  t0=$SECONDS
  "${SUDO[@]}" tar -C "$work/rootfs" --numeric-owner -cf "$ROOTFS_TAR.partial" . ||
    die "tar of the rootfs failed"
  mv -f "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
  "${SUDO[@]}" rm -rf "$work"
  trap - EXIT
  log "image: cached rootfs $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1)) in $((SECONDS - t0))s"
}

build_image() {
  if image_ok; then
    log "image: $IMAGE present ($VERSION_KEY)"
    return
  fi
  if [[ -f $ROOTFS_TAR ]]; then
    log "image: using cached rootfs $ROOTFS_TAR"
  else
    build_rootfs
  fi
  local t0=$SECONDS old_id
  old_id=$("${SUDO[@]}" docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  log "image: docker import -> $IMAGE"
  "${SUDO[@]}" docker import \
    -c 'USER postgres' \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin' \
    -c "LABEL pont.version-key=$VERSION_KEY" \
    "$ROOTFS_TAR" "$IMAGE" >/dev/null ||
    die "docker import of $ROOTFS_TAR failed (delete it to rebuild from scratch)"
  image_ok || die "image $IMAGE missing after import"
  log "image: imported in $((SECONDS - t0))s"
  # The image of an older version key is now untagged: remove it, unless a
  # container still uses it.
  if [[ -n $old_id ]] && "${SUDO[@]}" docker rmi "$old_id" >/dev/null 2>&1; then
    log "image: removed old image $old_id"
  fi
  # Drop cached rootfs tarballs of older version keys.
  local old
  for old in "$CACHE_DIR"/postgres-15-rootfs-*.tar; do
    [[ -f $old && $old != "$ROOTFS_TAR" ]] || continue
    log "image: removing old cache $old"
    rm -f "$old"
  done
}

# Node and npm run the published @backstage/catalog-client against Pont,
# and build and test the web UI (web/, which needs Node 20.19 or later).
ensure_node() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    log "node: $(node --version), npm $(npm --version)"
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
      log "node: WARNING: $(node --version) is older than 20.19, which the web UI build (Vite) needs"
    return
  fi
  log "node: installing Debian's nodejs and npm"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q nodejs npm >/dev/null ||
    { "${SUDO[@]}" apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q nodejs npm >/dev/null; } ||
    die "cannot install nodejs and npm"
}

install_packages
start_dockerd
build_image
ensure_node
log "ready: docker engine up, image $IMAGE present, node available"
