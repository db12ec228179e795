#!/usr/bin/env bash
# Builds the local database images the test suite and the server matrix run on (nothing can be
# pulled here): one debootstrapped Debian root filesystem per suite, imported, then the small
# Dockerfile in docker/<engine> on top. Idempotent: an image that exists is skipped.
#   mariadb:10.5  <- bullseye (MariaDB 10.5.x)   mariadb:10.11 <- bookworm (10.11.x)
#   mariadb:11.8  <- trixie (11.8.x)             mysql:9.7     <- sid (Oracle MySQL 9.7.x)
# Arguments pick images (default: all four), e.g. `scripts/build-images.sh 10.11 mysql:9.7`;
# a bare version means MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
log() { printf '[images %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# `engine suite packages version-prefix` of an image spec.
recipe_of() {
  case "$1" in
    mariadb:10.5) echo "mariadb bullseye mariadb-server 1:10.5." ;;
    mariadb:10.11) echo "mariadb bookworm mariadb-server 1:10.11." ;;
    mariadb:11.8) echo "mariadb trixie mariadb-server 1:11.8." ;;
    mysql:9.7) echo "mysql sid mysql-server-core,mysql-client-core,ca-certificates 9.7." ;;
    *) echo "unknown image $1 (known: mariadb:10.5 mariadb:10.11 mariadb:11.8 mysql:9.7)" >&2; return 2 ;;
  esac
}

mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | head -n1 | awk '{print $2}' || true)
mirror="${mirror:-http://deb.debian.org/debian}"

build_one() {
  local spec="$1" engine suite packages prefix image rootfs_image rootfs main_pkg found started
  read -r engine suite packages prefix <<<"$(recipe_of "$spec")"
  image="migration-harness/$spec"
  rootfs_image="migration-harness/$suite-$engine-rootfs:latest"
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image already present"
    return 0
  fi
  started=$(date +%s)
  if ! docker image inspect "$rootfs_image" >/dev/null 2>&1; then
    rootfs=$(mktemp -d "/tmp/mh-rootfs-$suite-$engine.XXXXXX")
    # shellcheck disable=SC2064
    trap "$SUDO rm -rf '$rootfs'" EXIT
    log "debootstrap $suite with $packages from $mirror"
    $SUDO debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
      >"/tmp/mh-debootstrap-$suite-$engine.log" 2>&1 \
      || { tail -n 30 "/tmp/mh-debootstrap-$suite-$engine.log"; exit 1; }
    # The suite decides the server version: refuse to name an image after a version it lacks
    # (sid moves on; a MySQL 9.8 must not be tagged 9.7).
    main_pkg="${packages%%,*}"
    found=$($SUDO chroot "$rootfs" dpkg-query -W -f='${Version}' "$main_pkg")
    case "$found" in
      "$prefix"*) ;;
      *) echo "$suite carries $main_pkg $found, not ${prefix}x: update scripts/build-images.sh" >&2; exit 1 ;;
    esac
    $SUDO rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    log "importing root filesystem ($main_pkg $found) as $rootfs_image"
    $SUDO tar -C "$rootfs" -c . | docker import - "$rootfs_image" >/dev/null
    $SUDO rm -rf "$rootfs"
    trap - EXIT
  fi
  log "building $image"
  docker build -q --build-arg "ROOTFS=$rootfs_image" -t "$image" "docker/$engine" >/dev/null
  log "built $image in $(($(date +%s) - started)) s"
}

specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then specs=(mariadb:10.11 mariadb:10.5 mariadb:11.8 mysql:9.7); fi
for s in "${specs[@]}"; do
  case "$s" in *:*) ;; *) s="mariadb:$s" ;; esac
  build_one "$s"
done
