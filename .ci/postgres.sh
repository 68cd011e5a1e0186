#!/usr/bin/env bash
# Install (Debian's package) and start a local PostgreSQL for the store tests, with a role and an
# empty database of their own; prints the URL to give CARD_READER_TEST_POSTGRES_URL.
set -euo pipefail
SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
read -r version cluster _ < <(pg_lsclusters -h | head -1)
$SUDO pg_ctlcluster "$version" "$cluster" start >&2 2>/dev/null || true   # already running is fine
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')
as_postgres() { (cd / && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi); }
for _ in $(seq 30); do as_postgres pg_isready -q -p "$port" && break; sleep 1; done
as_postgres env PGOPTIONS="--client-min-messages=warning" psql -q -p "$port" -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP DATABASE IF EXISTS card_reader_test;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'card_reader') THEN
    CREATE ROLE card_reader LOGIN PASSWORD 'card_reader';
  END IF;
END \$\$;
CREATE DATABASE card_reader_test OWNER card_reader;
SQL
echo "postgresql+psycopg://card_reader:card_reader@localhost:${port}/card_reader_test"
