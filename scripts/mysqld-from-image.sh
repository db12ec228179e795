#!/usr/bin/env bash
# Makes an image's `mysqld` runnable on this machine without installing MySQL: exports the
# image's root filesystem into a cache directory once, and writes a `mysqld` wrapper there that
# runs the binary through the root filesystem's own loader and libraries (Debian sid's mysqld
# needs sid's libc). `--db local --server-binary <dir>/mysqld` then starts Oracle MySQL as a
# local process. Idempotent: an existing export is reused.
#   scripts/mysqld-from-image.sh [IMAGE] [DIR]
#   defaults: migration-harness/mysql:9.7, ~/.cache/migration-harness/servers/mysql-9.7
# Prints the wrapper's path.
set -euo pipefail
image="${1:-migration-harness/mysql:9.7}"
tag="${image##*/}"
dir="${2:-${XDG_CACHE_HOME:-$HOME/.cache}/migration-harness/servers/${tag//:/-}}"
rootfs="$dir/rootfs"
wrapper="$dir/mysqld"
id=$(docker image inspect --format '{{.Id}}' "$image")

# The export is keyed by the image id: a rebuilt image replaces it.
if [ "$(cat "$dir/image-id" 2>/dev/null || true)" != "$id" ]; then
  rm -rf "$rootfs" "$wrapper" "$dir/image-id"
  mkdir -p "$rootfs"
  cid=$(docker create "$image")
  trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
  docker export "$cid" | tar -x -C "$rootfs" --exclude='dev/*' --exclude='usr/share/doc/*' \
    --exclude='usr/share/locale/*' --exclude='var/lib/mysql/*'
  docker rm -f "$cid" >/dev/null
  trap - EXIT
  cat >"$wrapper" <<WRAP
#!/bin/sh
# Runs $image's mysqld (exported to $rootfs) through that root's own loader.
# mysqld only honours --no-defaults as its first argument: it is put there, once.
R='$rootfs'
if [ "\${1:-}" = --no-defaults ]; then shift; fi
exec "\$R/lib64/ld-linux-x86-64.so.2" --library-path "\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu" \\
  "\$R/usr/sbin/mysqld" --no-defaults --basedir="\$R/usr" --lc-messages-dir="\$R/usr/share/mysql" \\
  --character-sets-dir="\$R/usr/share/mysql/charsets" --plugin-dir="\$R/usr/lib/mysql/plugin" "\$@"
WRAP
  chmod 0755 "$wrapper"
  echo "$id" >"$dir/image-id"
fi
echo "$wrapper"
