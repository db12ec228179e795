#!/usr/bin/env bash
# Builds the local MariaDB images the test suite and the server matrix run on (nothing can be
# pulled here): one debootstrapped Debian root filesystem per suite, imported, then the small
# Dockerfile in docker/mariadb on top. Idempotent: an image that exists is skipped.
#   10.5  <- bullseye (MariaDB 10.5.x)   10.11 <- bookworm (10.11.x)   11.8 <- trixie (11.8.x)
# Arguments pick versions (default: all three), e.g. `scripts/build-images.sh 10.11`.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
log() { printf '[images %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

suite_of() {
  case "$1" in
    10.5) echo bullseye ;;
    10.11) echo bookworm ;;
    11.8) echo trixie ;;
    *) echo "unknown MariaDB version $1 (known: 10.5 10.11 11.8)" >&2; return 2 ;;
  esac
}

mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | head -n1 | awk '{print $2}' || true)
mirror="${mirror:-http://deb.debian.org/debian}"

build_one() {
  local version="$1" suite image rootfs_image rootfs
  suite=$(suite_of "$version")
  image="migration-harness/mariadb:$version"
  rootfs_image="migration-harness/$suite-mariadb-rootfs:latest"
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image already present"
    return 0
  fi
  if ! docker image inspect "$rootfs_image" >/dev/null 2>&1; then
    rootfs=$(mktemp -d "/tmp/mh-rootfs-$suite.XXXXXX")
    # shellcheck disable=SC2064
    trap "$SUDO rm -rf '$rootfs'" EXIT
    log "debootstrap $suite with mariadb-server from $mirror"
    $SUDO debootstrap --variant=minbase --include=mariadb-server "$suite" "$rootfs" "$mirror" \
      >"/tmp/mh-debootstrap-$suite.log" 2>&1 \
      || { tail -n 30 "/tmp/mh-debootstrap-$suite.log"; exit 1; }
    $SUDO rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    log "importing root filesystem as $rootfs_image"
    $SUDO tar -C "$rootfs" -c . | docker import - "$rootfs_image" >/dev/null
    $SUDO rm -rf "$rootfs"
    trap - EXIT
  fi
  log "building $image"
  docker build -q --build-arg "ROOTFS=$rootfs_image" -t "$image" docker/mariadb >/dev/null
}

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then versions=(10.11 10.5 11.8); fi
for v in "${versions[@]}"; do build_one "$v"; done
