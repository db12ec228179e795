#!/bin/sh
# Entrypoint of the locally built Oracle MySQL image: behaves like the official mysql image for
# the parts a user relies on: MYSQL_ROOT_PASSWORD or MYSQL_ALLOW_EMPTY_PASSWORD (one is
# required), MYSQL_DATABASE, MYSQL_USER + MYSQL_PASSWORD (all privileges on MYSQL_DATABASE),
# root@'%', port 3306 and the final "ready for connections ... port: 3306" log line.
# The server runs as shipped (binary log on, log_bin_trust_function_creators off): migrations
# tested here meet the same server settings as in production.
set -eu
DATADIR=/var/lib/mysql

if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ]; then
  echo "mh-entrypoint: database is uninitialized and no password option is specified;" >&2
  echo "  set MYSQL_ROOT_PASSWORD or MYSQL_ALLOW_EMPTY_PASSWORD=yes" >&2
  exit 1
fi
if [ -n "${MYSQL_USER:-}" ] && [ "${MYSQL_USER}" = root ]; then
  echo "mh-entrypoint: MYSQL_USER=root is not allowed; use MYSQL_ROOT_PASSWORD for root" >&2
  exit 1
fi

# SQL string literal / identifier quoting for values taken from the environment.
lit() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
ident() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }

mkdir -p /run/mysqld "$DATADIR" /var/lib/mysql-files
chown mysql:mysql /run/mysqld "$DATADIR" /var/lib/mysql-files

if [ ! -d "$DATADIR/mysql" ]; then
  PW=$(lit "${MYSQL_ROOT_PASSWORD:-}")
  INIT=$(mktemp /tmp/mh-init.XXXXXX.sql)
  {
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $PW;"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $PW;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS $(ident "$MYSQL_DATABASE");"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER $(lit "$MYSQL_USER")@'%' IDENTIFIED BY $(lit "$MYSQL_PASSWORD");"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL PRIVILEGES ON $(ident "$MYSQL_DATABASE").* TO $(lit "$MYSQL_USER")@'%';"
      fi
    fi
  } >"$INIT"
  chown mysql:mysql "$INIT"
  chmod 0600 "$INIT"
  mysqld --no-defaults --user=mysql --datadir="$DATADIR" --initialize-insecure \
    --init-file="$INIT" --log-error-verbosity=1
  rm -f "$INIT"
fi

exec mysqld --no-defaults --user=mysql --datadir="$DATADIR" --socket=/run/mysqld/mysqld.sock \
  --bind-address=0.0.0.0 --port=3306 --secure-file-priv=/var/lib/mysql-files \
  --skip-name-resolve "$@"
