#!/usr/bin/env bash
# `make bench`: stekd (release build) under wrk on loopback with keep-alive, against
# a private PostgreSQL with a large generated dataset, compared in the same run with
# nginx serving the same bytes and pgbench running the feed's own SQL. Prints one table.
#   BENCH_DURATION  seconds per measurement (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
service/tools/deps.sh --test
command -v nginx >/dev/null || { apt-get install -y -qq nginx-light >/dev/null; }
make --no-print-directory -j"$(nproc)" all >/dev/null
mkdir -p build/bench
cc -std=c17 -O2 -o build/bench/print_sql tests/bench/print_sql.c

duration=${BENCH_DURATION:-10}
work=$(mktemp -d /tmp/stek-bench.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); pgport=$(free_port); nginx_port=$(free_port)
daemon_pid=""
big_pid=""
peer_pid=""
replica_pid=""
cleanup() {
    [[ -n "$replica_pid" ]] && kill "$replica_pid" 2>/dev/null && wait "$replica_pid" 2>/dev/null
    STEK_PGDATA=$work/replica service/tools/localdb.sh stop >/dev/null 2>&1 || true
    [[ -n "$peer_pid" ]] && kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
    [[ -n "$big_pid" ]] && kill "$big_pid" 2>/dev/null && wait "$big_pid" 2>/dev/null
    [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
    STEK_PGDATA=$work/pg service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "loading the dataset..." >&2
pg_options='-c shared_buffers=256MB -c max_connections=200'
eval "export $(STEK_PGDATA=$work/pg STEK_PGPORT=$pgport STEK_PG_OPTIONS=$pg_options service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f tests/bench/feed_data.sql
counts=$(psql "$DATABASE_URL" -X -tA -c "SELECT (SELECT count(DISTINCT municipality) FROM sites) || ' municipalities, ' || (SELECT count(*) FROM sites) || ' sites, ' || (SELECT count(*) FROM offers) || ' offers, ' || (SELECT count(*) FROM schedules) || ' schedules, ' || (SELECT count(*) FROM offer_exceptions) || ' exceptions'")
token=$(build/stekd create-admin-key bench)
STEK_PORT=$port STEK_HTTP_THREADS=2 STEK_WRITES_PER_MINUTE=0 build/stekd 2>/dev/null &
daemon_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

popular="/v1/feed?municipality=M1&from=2026-12-01&to=2026-12-29"
curl -sf "http://127.0.0.1:$port$popular" -o "$work/feed.json"
mkdir -p "$work/www"
cp "$work/feed.json" "$work/www/feed.json"
curl -sf "http://127.0.0.1:$port${popular/feed/feed.ics}" -o "$work/www/feed.ics"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    types { application/json json; text/calendar ics; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"

# pgbench runs the feed's statement, printed from statements.def, with the same
# kind of parameters as the many-query run.
sql=$(build/bench/print_sql feed_rows)
sql=${sql//\$15/0} # every offer confirmed since 1970: none is quiet, as in the bench's data
for i in 14 13 12 11 10 9 8 7 6 5 4; do sql=${sql//\$$i/NULL}; done
sql=${sql//\$3/(\'M\' || :m::int)}
sql=${sql//\$2/(date \'2026-12-31\' + :d::int)}
sql=${sql//\$1/(date \'2026-11-30\' + :d::int)}
printf '\\set m random(1, 300)\n\\set d random(1, 28)\n%s;\n' "$(tr '\n' ' ' <<<"$sql")" >"$work/feed.pgbench"

# wrk: requests/s, p50, p99 of one run.
run_wrk() { # conns url [lua]
    local out
    out=$(wrk -t"$(($1 < 2 ? 1 : 2))" -c"$1" -d"${duration}s" --latency ${3:+-s "$3"} "$2")
    awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {e=$NF}
         END {printf "%s %s %s %s\n", r, p50, p99, e ? e : 0}' <<<"$out"
}
run_pgbench() { # conns; planned with its values each time, as the daemon does (see db/conn.c)
    PGOPTIONS="-c jit=off -c plan_cache_mode=force_custom_plan" "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pgbench" -n -c "$1" -j 2 -T "$duration" -M prepared -f "$work/feed.pgbench" "$DATABASE_URL" 2>/dev/null |
        awk '/^tps/ {print $3}'
}

printf '\n%s; feed body %s bytes (%s gzipped)\n' "$counts" "$(wc -c <"$work/feed.json")" \
    "$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$popular" | wc -c)"
printf '%-44s %6s %12s %10s %10s %8s\n' "measurement" "conns" "requests/s" "p50" "p99" "non-2xx"
declare -A rps p99s hitshare
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# The share of a run's answers that came from the cache (the many-query rows should compute).
cache_share() { # hits0 misses0
    python3 -c "h=$(metric stek_feed_cache_hits_total)-$1; m=$(metric stek_feed_cache_misses_total)-$2; print(f'{h/max(h+m,1):.1%}')"
}
for conns in 8 64; do
    read -r r p50 p99 e < <(run_wrk "$conns" "http://127.0.0.1:$nginx_port/feed.json")
    rps[nginx$conns]=$r
    printf '%-44s %6s %12s %10s %10s %8s\n' "nginx, the same bytes as a static file" "$conns" "$r" "$p50" "$p99" "$e"
    read -r r p50 p99 e < <(run_wrk "$conns" "http://127.0.0.1:$port$popular")
    rps[json$conns]=$r
    printf '%-44s %6s %12s %10s %10s %8s\n' "feed JSON, one popular query" "$conns" "$r" "$p50" "$p99" "$e"
    read -r r p50 p99 e < <(run_wrk "$conns" "http://127.0.0.1:$port${popular/feed/feed.ics}")
    printf '%-44s %6s %12s %10s %10s %8s\n' "feed ICS, one popular query" "$conns" "$r" "$p50" "$p99" "$e"
    h0=$(metric stek_feed_cache_hits_total); m0=$(metric stek_feed_cache_misses_total)
    read -r r p50 p99 e < <(run_wrk "$conns" "http://127.0.0.1:$port" tests/bench/many.lua)
    rps[many$conns]=$r; p99s[many$conns]=$p99; hitshare[many$conns]=$(cache_share "$h0" "$m0")
    printf '%-44s %6s %12s %10s %10s %8s\n' "feed JSON, many different queries" "$conns" "$r" "$p50" "$p99" "$e"
    read -r r p50 p99 e < <(run_wrk "$conns" "http://127.0.0.1:$nginx_port/feed.ics")
    rps[nginxics$conns]=$r
    printf '%-44s %6s %12s %10s %10s %8s\n' "nginx, the popular ICS bytes as a static file" "$conns" "$r" "$p50" "$p99" "$e"
    h0=$(metric stek_feed_cache_hits_total); m0=$(metric stek_feed_cache_misses_total)
    read -r r p50 p99 e < <(STEK_BENCH_ICS=1 run_wrk "$conns" "http://127.0.0.1:$port" tests/bench/many.lua)
    rps[manyics$conns]=$r; p99s[manyics$conns]=$p99; hitshare[manyics$conns]=$(cache_share "$h0" "$m0")
    printf '%-44s %6s %12s %10s %10s %8s\n' "feed ICS, many different queries" "$conns" "$r" "$p50" "$p99" "$e"
    t=$(run_pgbench "$conns")
    rps[pg$conns]=$t
    printf '%-44s %6s %12s\n' "pgbench, the feed's SQL, the same queries" "$conns" "$t"
done

# The time of one cache-missing feed query by the window's length (one connection).
declare -A wp50
for days in 7 28 366; do
    read -r r p50 p99 e < <(STEK_BENCH_DAYS=$days run_wrk 1 "http://127.0.0.1:$port" tests/bench/many.lua)
    wp50[$days]=$p50
    printf '%-44s %6s %12s %10s %10s %8s\n' "feed JSON, many queries, ${days}-day window" 1 "$r" "$p50" "$p99" "$e"
done

# The same popular query in four languages: each language is cached on its own.
h0=$(metric stek_feed_cache_hits_total); m0=$(metric stek_feed_cache_misses_total)
read -r r p50 p99 e < <(run_wrk 64 "http://127.0.0.1:$port$popular" tests/bench/languages.lua)
h1=$(metric stek_feed_cache_hits_total); m1=$(metric stek_feed_cache_misses_total)
printf '%-44s %6s %12s %10s %10s %8s\n' "feed JSON, one query, 4 languages" 64 "$r" "$p50" "$p99" "$e"
lang_hits=$(python3 -c "h=$h1-$h0; m=$m1-$m0; print(f'{h/(h+m):.2%} of {h+m:.0f} answers from the cache, {m:.0f} misses (first requests, before the answer in each language was cached)')" 2>/dev/null)

# A slow write: a row lock held by another session makes an admin PATCH wait, while
# the feed is measured.
offer=$(psql "$DATABASE_URL" -X -tA -c "SELECT id FROM offers ORDER BY title LIMIT 1")
psql "$DATABASE_URL" -X -q -c "BEGIN; SELECT 1 FROM offers WHERE id = '$offer' FOR UPDATE; SELECT pg_sleep($duration + 2); COMMIT;" >/dev/null &
locker=$!
sleep 0.5
curl -s -o /dev/null -X PATCH -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"audience": "iedereen"}' "http://127.0.0.1:$port/v1/offers/$offer" &
writer=$!
read -r r p50 p99 e < <(run_wrk 64 "http://127.0.0.1:$port" tests/bench/many.lua)
printf '%-44s %6s %12s %10s %10s %8s\n' "feed, many queries, during a 10 s slow write" 64 "$r" "$p50" "$p99" "$e"
wait "$locker" "$writer" 2>/dev/null || true

# Signals: POST /v1/signals with unique keys, against pgbench running the same INSERT
# on the same table (synchronous_commit stays on).
site=$(psql "$DATABASE_URL" -X -tA -c "SELECT id FROM sites ORDER BY name LIMIT 1")
partner=$(psql "$DATABASE_URL" -X -tA -c "SELECT id FROM partners ORDER BY name LIMIT 1")
read -r ptoken pkey < <(curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\": \"bench partner key\", \"role\": \"partner\", \"partner_id\": \"$partner\"}" \
    "http://127.0.0.1:$port/v1/keys" | python3 -c 'import json,sys; k = json.load(sys.stdin); print(k["token"], k["id"])')
# The daemon's own statement (the API key still valid, claim the idempotency key, insert,
# audit), with a fresh idempotency key and id each time.
isql=$(build/bench/print_sql create_signal)
isql=${isql//\$13/\'$pkey\'::uuid}
for i in 12 11 9; do isql=${isql//\$$i/NULL}; done
isql=${isql//\$10/\'Loket enkel met de auto bereikbaar.\'}
isql=${isql//\$8/current_date}
isql=${isql//\$7/\'$site\'}
isql=${isql//\$6/\'mobility\'}
isql=${isql//\$5/\'barrier\'}
isql=${isql//\$4/md5(:client_id::text || \'-\' || :r::text)::uuid}
isql=${isql//\$3/repeat(\'0\', 64)}
isql=${isql//\$2/md5(:client_id::text || \'-\' || :r::text)}
isql=${isql//\$1/\'$partner\'::uuid}
printf '\\set r random(1, 9000000000000000000)\n%s;\n' "$(tr '\n' ' ' <<<"$isql")" >"$work/signal.pgbench"
declare -A srps
for conns in 8 32 64; do
    read -r r p50 p99 e < <(STEK_BENCH_TOKEN=$ptoken STEK_BENCH_SITE=$site \
        STEK_BENCH_TODAY=$(date +%F) run_wrk "$conns" "http://127.0.0.1:$port" tests/bench/signals.lua)
    srps[api$conns]=$r
    printf '%-44s %6s %12s %10s %10s %8s\n' "POST /v1/signals, unique keys" "$conns" "$r" "$p50" "$p99" "$e"
    t=$(PGOPTIONS="-c jit=off" "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pgbench" \
        -n -c "$conns" -j 2 -T "$duration" -M prepared -f "$work/signal.pgbench" "$DATABASE_URL" 2>/dev/null |
        awk '/^tps/ {print $3}')
    srps[pg$conns]=$t
    printf '%-44s %6s %12s\n' "pgbench, the same statement (key, insert, audit)" "$conns" "$t"
done

# Every list with its common filters (issue 14's goal: p99 under 20 ms at 64 connections).
# Public lists are kept in the response cache once computed (anonymous readers): one second of
# the same requests first (every municipality's list computed once, as the feed's popular
# query is fetched once above), then the measured run; each is also measured computed every
# time (Stek-Read-After), what a first reader or a partner app waits.
declare -A lp99 lcp99 ltcp
# The machine's TCP retransmissions and retransmission timeouts (RTO: 200 ms and more, even on
# loopback): a run whose p99 is a timeout shows it here, not in the daemon.
tcp_counters() {
    python3 -c '
import sys
def table(path, prefix):
    rows = [l.split() for l in open(path) if l.startswith(prefix)]
    return dict(zip(rows[0][1:], rows[1][1:]))
t = table("/proc/net/snmp", "Tcp:"); x = table("/proc/net/netstat", "TcpExt:")
print(t["RetransSegs"], x["TCPTimeouts"])'
}
for kind in offers sites partners stats; do
    STEK_BENCH_LIST=$kind wrk -t2 -c64 -d1s -s tests/bench/lists.lua "http://127.0.0.1:$port" >/dev/null 2>&1
done
h0=$(metric stek_public_cache_hits_total); m0=$(metric stek_public_cache_misses_total)
for kind in offers sites partners signals stats; do
    read -r rs0 to0 < <(tcp_counters)
    read -r r p50 p99 e < <(STEK_BENCH_LIST=$kind STEK_BENCH_TOKEN=$ptoken \
        run_wrk 64 "http://127.0.0.1:$port" tests/bench/lists.lua)
    read -r rs1 to1 < <(tcp_counters)
    lp99[$kind]=$p99
    ltcp[$kind]="$((rs1 - rs0))/$((to1 - to0))"
    printf '%-44s %6s %12s %10s %10s %8s %s\n' "GET /v1/$kind (filtered list)" 64 "$r" "$p50" "$p99" "$e" \
        "tcp retransmissions/timeouts ${ltcp[$kind]}"
    [[ $kind == signals ]] && { lcp99[$kind]=$p99; continue; } # a partner's own: never cached
    read -r r p50 p99 e < <(STEK_BENCH_LIST=$kind STEK_BENCH_COMPUTE=1 \
        run_wrk 64 "http://127.0.0.1:$port" tests/bench/lists.lua)
    lcp99[$kind]=$p99
    [[ $kind == offers ]] && lrps=$r
    printf '%-44s %6s %12s %10s %10s %8s\n' "GET /v1/$kind, computed every time" 64 "$r" "$p50" "$p99" "$e"
done
list_hits=$(python3 -c "h=$(metric stek_public_cache_hits_total)-$h0; m=$(metric stek_public_cache_misses_total)-$m0; print(f'{h/max(h+m,1):.1%} of {h+m:.0f} anonymous list answers from the cache')")

# Read replicas (issue 18): a streaming replica of the bench database (pg_basebackup -R), a
# second daemon reading public data from it, and the same reads through the daemon on the
# primary alone, one after the other in this run. The CPU time each run cost the daemon, the
# primary and the replica (/proc, the postmaster and its backends) gives the per-request costs
# the model in docs/operations.md for N machines uses.
repl_port=$(free_port); repl_http=$(free_port)
mkdir -p "$work/replica/socket"
chown -R postgres: "$work/replica" 2>/dev/null || true
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$pgbin/pg_basebackup" -D "$work/replica/data" -R -X stream -c fast \
    -h "$work/pg/socket" -p "$pgport" -U postgres
as_pg "$pgbin/pg_ctl" start -D "$work/replica/data" -l "$work/replica/postgresql.log" -w -t 60 \
    -o "-p $repl_port -k $work/replica/socket -c listen_addresses='' $pg_options" >/dev/null ||
    { tail -n 20 "$work/replica/postgresql.log" >&2; exit 1; }
replica_url="postgresql://postgres@/stek?host=$work/replica/socket&port=$repl_port"
STEK_PORT=$repl_http STEK_HTTP_THREADS=2 STEK_WRITES_PER_MINUTE=0 STEK_READ_URLS=$replica_url \
    build/stekd 2>/dev/null &
replica_pid=$!
for _ in $(seq 300); do
    curl -s "http://127.0.0.1:$repl_http/readyz" | grep -q in_rotation && break
    sleep 0.1
done
# CPU seconds used so far by a process and its children (a postmaster's backends).
cpu_of() { # pid...
    local p t=0
    for p in "$@"; do
        for q in "$p" $(pgrep -P "$p"); do
            t=$((t + $(awk '{print $14 + $15}' "/proc/$q/stat" 2>/dev/null || echo 0)))
        done
    done
    echo "$t"
}
primary_pm=$(head -n 1 "$work/pg/data/postmaster.pid")
replica_pm=$(head -n 1 "$work/replica/data/postmaster.pid")
declare -A rr
printf '%-44s %6s %12s %10s %10s %8s %s\n' "with a replica (daemon/primary/replica CPU ms per request)" "" "" "" "" "" ""
for what in offers sites stats many; do
    for setup in alone replica; do
        [[ $setup == alone ]] && p=$port d=$daemon_pid || p=$repl_http d=$replica_pid
        c0="$(cpu_of "$d") $(cpu_of "$primary_pm") $(cpu_of "$replica_pm")"
        if [[ $what == many ]]; then
            read -r r p50 p99 e < <(run_wrk 64 "http://127.0.0.1:$p" tests/bench/many.lua)
        else
            read -r r p50 p99 e < <(STEK_BENCH_LIST=$what STEK_BENCH_COMPUTE=1 run_wrk 64 "http://127.0.0.1:$p" tests/bench/lists.lua)
        fi
        c1="$(cpu_of "$d") $(cpu_of "$primary_pm") $(cpu_of "$replica_pm")"
        costs=$(python3 -c "import sys; a=list(map(int,sys.argv[1:4])); b=list(map(int,sys.argv[4:7])); n=float(sys.argv[7])*float(sys.argv[8]); tick=1000/float(sys.argv[9]); print(' '.join(f'{(y-x)*tick/max(n,1):.3f}' for x,y in zip(a,b)))" \
            $c0 $c1 "$r" "$duration" "$(getconf CLK_TCK)")
        rr[$what$setup]="$r $p99 $costs"
        label="GET /v1/$what (filtered list)"; [[ $what == many ]] && label="feed JSON, many different queries"
        printf '%-44s %6s %12s %10s %10s %8s %s\n' "$label, ${setup/alone/primary alone}" 64 "$r" "$p50" "$p99" "$e" "$costs"
    done
done
kill "$replica_pid" 2>/dev/null && wait "$replica_pid" 2>/dev/null || true
replica_pid=""
STEK_PGDATA=$work/replica service/tools/localdb.sh stop >/dev/null 2>&1 || true

# The generic peer on the same database: PostGraphile 4 (npm, into the git-ignored
# tests/bench/peer/node_modules), asked for the same offers of one municipality with their
# schedules (issue 14's goal: stek at least 5x). The answers are checked to hold the same offers.
peer=""
if (cd tests/bench/peer && npm ci --no-audit --no-fund --loglevel=error) >"$work/peer-npm.log" 2>&1; then
    peer_port=$(free_port)
    tests/bench/peer/node_modules/.bin/postgraphile -c "$DATABASE_URL" --host 127.0.0.1 \
        --port "$peer_port" --disable-graphiql --disable-query-log >"$work/peer.log" 2>&1 &
    peer_pid=$!
    for _ in $(seq 300); do
        curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
            -d '{"query":"{ __typename }"}' "http://127.0.0.1:$peer_port/graphql" && break
        sleep 0.1
    done
    python3 tests/bench/peer_check.py "http://127.0.0.1:$port" "http://127.0.0.1:$peer_port" \
        tests/bench/peer.lua M1 M77 M300
    read -r pr pp50 pp99 pe < <(run_wrk 64 "http://127.0.0.1:$peer_port" tests/bench/peer.lua)
    printf '%-44s %6s %12s %10s %10s %8s\n' "PostGraphile 4, the same offers (GraphQL)" 64 "$pr" "$pp50" "$pp99" "$pe"
    peer=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}x')" "$lrps" "$pr")
    kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null || true
    peer_pid=""
else
    echo "PostGraphile 4 could not be installed from npm (see $work/peer-npm.log)" >&2
fi

rss=$(awk '/VmHWM/ {print $2}' "/proc/$daemon_pid/status")
model_load=$(metric stek_feed_model_load_seconds)

# Memory with ten times the data (300,000 offers): a second database and daemon, under the
# many-query load, then the daemon's peak RSS.
big_url=${DATABASE_URL%/*}/stek_bench_big
psql "${DATABASE_URL%/*}/postgres" -X -q -c "CREATE DATABASE stek_bench_big" >/dev/null
DATABASE_URL=$big_url build/stek-migrate up >/dev/null
psql "$big_url" -X -q -v ON_ERROR_STOP=1 -v scale=10 -f tests/bench/feed_data.sql
big_port=$(free_port)
DATABASE_URL=$big_url STEK_PORT=$big_port STEK_HTTP_THREADS=2 build/stekd 2>/dev/null &
big_pid=$!
big_load=""
for _ in $(seq 600); do
    # (curl fails until the daemon listens: not an error here)
    big_load=$({ curl -s "http://127.0.0.1:$big_port/metrics" || true; } |
        awk '$1 == "stek_feed_model_loads_total" && $2 > 0 {print "yes"}')
    [[ -n "$big_load" ]] && break
    sleep 0.2
done
read -r r p50 p99 e < <(run_wrk 64 "http://127.0.0.1:$big_port" tests/bench/many.lua)
printf '%-44s %6s %12s %10s %10s %8s\n' "feed JSON, many queries, 300,000 offers" 64 "$r" "$p50" "$p99" "$e"
big_rss=$(awk '/VmHWM/ {print $2}' "/proc/$big_pid/status")
big_model_load=$(curl -s "http://127.0.0.1:$big_port/metrics" | awk '$1 == "stek_feed_model_load_seconds" {print $2}')
kill "$big_pid"; wait "$big_pid" 2>/dev/null || true
echo
python3 - "${rps[json8]}" "${rps[nginx8]}" "${rps[json64]}" "${rps[nginx64]}" \
    "${rps[many8]}" "${rps[pg8]}" "${rps[many64]}" "${rps[pg64]}" "$rss" \
    "${rps[manyics64]}" "${rps[nginxics64]}" "${p99s[many64]}" "${p99s[manyics64]}" \
    "${hitshare[many64]}" "${hitshare[manyics64]}" "$big_rss" "$model_load" "${big_model_load:-0}" \
    "${wp50[7]}" "${wp50[28]}" "${wp50[366]}" <<'PY'
import sys
a = sys.argv[1:]
v = [float(x) for x in a[0:9]]
def ms(t):  # wrk's latency: 812.00us, 4.05ms, 1.20s
    for unit, f in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if t.endswith(unit):
            return float(t[:-len(unit)]) * f
    return float("nan")
print(f"repeated-query feed / nginx:        {v[0]/v[1]:6.1%} at 8, {v[2]/v[3]:6.1%} at 64 (target >= 70%)")
print(f"many-query feed JSON / nginx:       {v[6]/v[3]:6.1%} at 64, p99 {a[11]} (targets >= 10%, p99 < 50 ms);"
      f" {a[13]} of its answers from the cache")
print(f"many-query feed ICS / nginx (ICS):  {float(a[9])/float(a[10]):6.1%} at 64, p99 {a[12]} (targets >= 10%, p99 < 50 ms);"
      f" {a[14]} from the cache")
print(f"many-query feed / pgbench on the feed's SQL: {v[4]/v[5]:6.1%} at 8, {v[6]/v[7]:6.1%} at 64 (was the ceiling before the model)")
print(f"peak RSS of stekd: {int(a[8]) / 1024:.1f} MiB with 30,000 offers (target < 100 MiB),"
      f" {int(a[15]) / 1024:.1f} MiB with 300,000; model load {float(a[16]):.2f} s and {float(a[17]):.2f} s")
print(f"cache-missing feed query by window (p50, one connection): 7 days {a[18]}, 28 days {a[19]},"
      f" 366 days {a[20]} ({ms(a[20]) / ms(a[18]):.1f}x the 7-day time for 52x the days)")
PY
python3 - "${srps[api8]}" "${srps[pg8]}" "${srps[api32]}" "${srps[pg32]}" "${srps[api64]}" "${srps[pg64]}" <<'PY'
import sys
v = [float(x) for x in sys.argv[1:7]]
print(f"signals / pgbench INSERT:          {v[0]/v[1]:6.1%} at 8, {v[2]/v[3]:6.1%} at 32, {v[4]/v[5]:6.1%} at 64 (target >= 70%)")
PY
echo "feed in 4 languages: ${lang_hits:-no metrics}"
echo "lists, p99 at 64 connections (target < 20 ms): offers ${lp99[offers]}, sites ${lp99[sites]}, partners ${lp99[partners]}, signals ${lp99[signals]}, stats ${lp99[stats]} ($list_hits)"
echo "  the machine's TCP retransmissions/timeouts during each: offers ${ltcp[offers]}, sites ${ltcp[sites]}, partners ${ltcp[partners]}, signals ${ltcp[signals]}, stats ${ltcp[stats]}"
echo "lists computed every time, p99 at 64 connections: offers ${lcp99[offers]}, sites ${lcp99[sites]}, partners ${lcp99[partners]}, signals ${lcp99[signals]} (a partner's own list is never cached), stats ${lcp99[stats]}"
echo "a municipality's offers with schedules / PostGraphile 4: ${peer:-not measured} (target >= 5x)"
python3 - "$(nproc)" "${rr[offersalone]}" "${rr[offersreplica]}" "${rr[sitesalone]}" "${rr[sitesreplica]}" \
    "${rr[statsalone]}" "${rr[statsreplica]}" "${rr[manyalone]}" "${rr[manyreplica]}" <<'PY'
import sys
cores = int(sys.argv[1])
rows = [a.split() for a in sys.argv[2:]]
print("with one replica / primary alone (same machine, 64 connections):", ", ".join(
    f"{w} {float(rows[2*i+1][0]) / float(rows[2*i][0]):.2f}x" for i, w in enumerate(("offers", "sites", "stats", "many-query feed"))))
# The model: each request costs d ms of daemon CPU and q ms of database CPU (on the replica
# when one serves it). With N daemon machines and R replica machines of C cores each, reads
# top out at min(N*C/d, R*C/q) per second; one machine holding all of it: C/(d+q).
print(f"per-request CPU with a replica (daemon / primary / replica ms) and the model for machines of {cores} cores:")
for i, w in enumerate(("offers", "sites", "stats", "many-query feed")):
    r = rows[2*i+1]
    d, prim, rep = (float(x) for x in r[2:5])
    q = rep + prim
    one = 1000 * cores / (d + q)
    def cap(n, m):
        return min(1000 * cores * n / d if d else float("inf"), 1000 * cores * m / q if q else float("inf"))
    print(f"  {w:16s} {d:.3f} / {prim:.3f} / {rep:.3f}: one machine ~{one:,.0f}/s; 2 daemons + 2 replicas ~{cap(2, 2):,.0f}/s;"
          f" 4 + 4 ~{cap(4, 4):,.0f}/s ({'daemon' if d > q else 'database'}-bound)")
PY
echo
# EXPLAIN (ANALYZE, BUFFERS) of the statements on this dataset (issue 14), also kept in
# build/bench/explain.txt.
psql "$DATABASE_URL" -X -q -c ANALYZE
python3 tests/bench/explain.py build/bench/print_sql | tee build/bench/explain.txt
echo
echo "$(nproc) cores; wrk -t2 with keep-alive; ${duration}s per row; command: make bench"
