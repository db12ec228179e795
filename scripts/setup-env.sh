#!/usr/bin/env bash
# Prepares a machine for the test suite, idempotently: Debian packages (Docker engine,
# debootstrap, MariaDB server and client), a running dockerd, the locally built MariaDB
# image (nothing can be pulled here), Chromium for the HTML report check, and the Python venv
# with the pinned migration tools (built by the harness itself, where every run finds it).
# Every step checks first and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${MH_TEST_IMAGE:-migration-harness/mariadb:10.11}"
ROOTFS_IMAGE="migration-harness/bookworm-mariadb-rootfs:latest"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

log() { printf '[setup %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# 1. Debian packages ------------------------------------------------------------------
need=()
for pkg in docker.io debootstrap mariadb-server mariadb-client chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  # Keep the package's own MariaDB from starting on :3306 during install; tests never use it.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
else
  log "packages already installed"
fi

# 2. Docker engine ----------------------------------------------------------------------
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "starting dockerd"
  $SUDO bash -c 'nohup setsid dockerd >/var/log/mh-dockerd.log 2>&1 </dev/null &'
  for _ in $(seq 1 60); do
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 1
  done
  docker version --format 'docker engine {{.Server.Version}} (API {{.Server.APIVersion}})' \
    || { tail -n 30 /var/log/mh-dockerd.log; exit 1; }
else
  log "docker engine already running: $(docker version --format '{{.Server.Version}}')"
fi

# 3. Local MariaDB image ----------------------------------------------------------------
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  if ! docker image inspect "$ROOTFS_IMAGE" >/dev/null 2>&1; then
    mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | head -n1 | awk '{print $2}' || true)
    mirror="${mirror:-http://deb.debian.org/debian}"
    rootfs=$(mktemp -d /tmp/mh-rootfs.XXXXXX)
    trap '$SUDO rm -rf "$rootfs"' EXIT
    log "debootstrap bookworm with mariadb-server from $mirror"
    $SUDO debootstrap --variant=minbase --include=mariadb-server bookworm "$rootfs" "$mirror" >/tmp/mh-debootstrap.log 2>&1 \
      || { tail -n 30 /tmp/mh-debootstrap.log; exit 1; }
    $SUDO rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    log "importing root filesystem as $ROOTFS_IMAGE"
    $SUDO tar -C "$rootfs" -c . | docker import - "$ROOTFS_IMAGE" >/dev/null
    $SUDO rm -rf "$rootfs"
    trap - EXIT
  fi
  log "building $IMAGE"
  docker build -q -t "$IMAGE" docker/mariadb >/dev/null
else
  log "image $IMAGE already present"
fi

# 4. Python venv with the pinned migration tools ------------------------------------------
# `prepare` builds the venv for requirements.txt in the harness's cache (keyed by the file's
# hash) and reuses it when it is already there.
log "preparing the Python venv for requirements.txt"
cargo run --quiet --locked -- prepare --config harness.toml
log "environment ready"
