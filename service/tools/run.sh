#!/usr/bin/env bash
# `make run`: local PostgreSQL (unless DATABASE_URL is set), migrations, demo
# data, a development admin key, then the daemon in the foreground.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [[ -z "${DATABASE_URL:-}" ]]; then
    eval "export $(service/tools/localdb.sh start)"
    state=$root/.pgdata
else
    state=$root/build
fi
build/stek-migrate up
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -f service/demo/demo.sql

# Reuse the development key of an earlier run while it is valid.
tokfile=$state/dev-admin-token
token=""
if [[ -f "$tokfile" ]]; then
    token=$(cat "$tokfile")
    valid=$(psql "$DATABASE_URL" -tA -v t="$token" <<'SQL'
SELECT count(*) FROM api_keys
 WHERE token_hash = encode(sha256(convert_to(:'t', 'UTF8')), 'hex') AND revoked_at IS NULL;
SQL
)
    [[ "$valid" == "1" ]] || token=""
fi
if [[ -z "$token" ]]; then
    token=$(build/stekd create-admin-key "development admin")
    (umask 077 && echo "$token" >"$tokfile")
fi

port=${STEK_PORT:-8080}
cat <<EOT

  stek serves on http://127.0.0.1:$port   (Ctrl-C stops it; make stop stops the database)
  DATABASE_URL=$DATABASE_URL
  development admin key (also in $tokfile):

  curl -H 'Authorization: Bearer $token' http://127.0.0.1:$port/v1/keys

EOT
exec build/stekd
