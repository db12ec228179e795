#!/bin/sh
# Entrypoint of the locally built MariaDB image: behaves like the official image for the
# parts the harness uses (MARIADB_ROOT_PASSWORD / MYSQL_ROOT_PASSWORD, root@'%', port 3306,
# the final "port: 3306" log line).
set -eu
DATADIR=/var/lib/mh-mysql
PW="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
mkdir -p /run/mysqld "$DATADIR"
chown mysql:mysql /run/mysqld "$DATADIR"
if [ ! -d "$DATADIR/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$DATADIR" \
    --auth-root-authentication-method=normal --skip-test-db >/dev/null
  # The password goes in through SQL; escape single quotes for the string literal.
  ESC=$(printf '%s' "$PW" | sed "s/'/''/g")
  mariadbd --user=mysql --datadir="$DATADIR" --bootstrap --skip-log-bin <<SQL
FLUSH PRIVILEGES;
CREATE USER 'root'@'%' IDENTIFIED BY '$ESC';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$ESC';
SQL
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 \
  --skip-log-bin --skip-name-resolve "$@"
