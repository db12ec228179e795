#!/usr/bin/env bash
# The test command (README): prepares the machine (idempotent, see setup-env.sh), then runs
# every test — unit tests and the integration tests against real MariaDB and Oracle MySQL
# servers (container and local process), real Alembic and Flask-Migrate.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-env.sh
export MH_TEST_IMAGE="${MH_TEST_IMAGE:-migration-harness/mariadb:10.11}"
export MH_TEST_MYSQL_IMAGE="${MH_TEST_MYSQL_IMAGE:-migration-harness/mysql:9.7}"
cargo build --locked --all-targets
cargo test --locked --all-targets --no-fail-fast
