#!/usr/bin/env bash
# `make run`: local PostgreSQL (unless DATABASE_URL is set), migrations, a
# development admin key, the daemon, and the demo data loaded through the API.
# STEK_DEMO=0 loads no demo data; `make run-empty` is that on a database of its own
# (stek_empty in the same local cluster), empty the first time: First setup in docs/administration.md.
set -euo pipefail
demo=${STEK_DEMO:-1}
[[ "$demo" == 0 || "$demo" == 1 ]] || { echo "run: STEK_DEMO must be 0 or 1" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [[ -z "${DATABASE_URL:-}" ]]; then
    eval "export $(service/tools/localdb.sh start)"
    state=${STEK_PGDATA:-$root/.pgdata}
else
    state=$root/build
fi
build/stek-migrate up

# Reuse the development key of an earlier run while it is valid.
db=${STEK_PGDATABASE:-stek}
tokfile=$state/dev-admin-token
[[ "$db" == stek ]] || tokfile=$state/dev-admin-token-$db
token=""
if [[ -f "$tokfile" ]]; then
    token=$(cat "$tokfile")
    valid=$(psql "$DATABASE_URL" -X -tA -v t="$token" <<'SQL'
SELECT count(*) FROM api_keys
 WHERE token_hash = encode(sha256(convert_to(:'t', 'UTF8')), 'hex') AND revoked_at IS NULL
   AND expires_at > now() + interval '1 day';
SQL
)
    [[ "$valid" == "1" ]] || token=""
fi
if [[ -z "$token" ]]; then
    token=$(build/stekd create-admin-key "development admin")
    (umask 077 && echo "$token" >"$tokfile")
fi

# Webhook secrets sealed at rest (docs/operations.md): a development key of its own, kept
# owner-only beside the database.
keyfile=$state/secret.key
[[ -f "$keyfile" ]] || (umask 077 && build/stekd new-secret-key >"$keyfile")
export STEK_SECRET_KEY_FILE=${STEK_SECRET_KEY_FILE:-$keyfile}

port=${STEK_PORT:-8080}
build/stekd &
pid=$!
# Ctrl-C reaches the daemon directly (same process group); this only covers `kill` of the script.
trap 'kill -TERM $pid 2>/dev/null || true' TERM
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    kill -0 $pid 2>/dev/null || exit 1
    sleep 0.1
done
if [[ "$demo" == 1 ]]; then
    python3 service/demo/load_demo.py "http://127.0.0.1:$port" "$token"
    try="curl 'http://127.0.0.1:$port/v1/offers?municipality=Kalmthout'"
else
    try="no demo data: see 'First setup' in docs/administration.md (partner, key, site, offer)"
fi
cat <<EOT

  stek serves on http://127.0.0.1:$port   (Ctrl-C stops it; make stop stops the database)
  DATABASE_URL=$DATABASE_URL
  development admin key (also in $tokfile):

  export BASE=http://127.0.0.1:$port TOKEN=$token
  curl -H "Authorization: Bearer \$TOKEN" \$BASE/v1/me
  $try

EOT
wait $pid
