#!/usr/bin/env bash
# Prepares a machine for the test suite, idempotently: Debian packages (Docker engine,
# debootstrap, MariaDB server and client, python3 with venv, git), a running dockerd, the locally built MariaDB
# images 10.5, 10.11 and 11.8 and the Oracle MySQL 9.7 image (nothing can be pulled here), Chromium for the HTML report check, and the Python venv
# with the pinned migration tools (built by the harness itself, where every run finds it).
# Every step checks first and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

log() { printf '[setup %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# 1. Debian packages ------------------------------------------------------------------
need=()
for pkg in docker.io debootstrap mariadb-server mariadb-client chromium python3 python3-venv git; do
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

# 3. Local server images ----------------------------------------------------------------
# MariaDB 10.11 (bookworm) is the default test server; 10.5 (bullseye) and 11.8 (trixie) are
# the other two servers of the matrix tests; Oracle MySQL 9.7 (sid) runs the MySQL suite.
# See scripts/build-images.sh.
./scripts/build-images.sh mariadb:10.11 mariadb:10.5 mariadb:11.8 mysql:9.7

# 4. Python venv with the pinned migration tools ------------------------------------------
# `prepare` builds the venv for requirements.txt in the harness's cache (keyed by the file's
# hash) and reuses it when it is already there.
log "preparing the Python venv for requirements.txt"
cargo run --quiet --locked -- prepare --config harness.toml
# The Django example and tests (tests/it/drivers/django.rs) use their own pinned venv: Django 5.2, PyMySQL.
log "preparing the Python venv for examples/django/requirements.txt"
cargo run --quiet --locked -- prepare --config examples/django/harness.toml
log "environment ready"
