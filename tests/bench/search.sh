#!/usr/bin/env bash
# Part of `make bench` (issue 34): q over 30,000 offers, at 64 connections, every request a
# different query (cache-missing): the feed answered by the in-memory model, the feed and the
# offers list answered by the database (a second daemon without the model), each beside the
# same requests without q in the same run (the reference: what the search adds). The offers are
# the relevance set's 70 texts in four languages, each made 430 times over 300 municipalities;
# the queries are the relevance set's 144, each with one of the municipalities (a municipal
# website's search box), then the same over all 30,000 offers. A private PostgreSQL, a release
# build; prints one table. BENCH_DURATION seconds per row (default 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make --no-print-directory -j"$(nproc)" all >/dev/null
command -v wrk >/dev/null || service/tools/deps.sh --test
duration=${BENCH_DURATION:-10}
work=$(mktemp -d /tmp/stek-bench-search.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); plain=$(free_port); pgport=$(free_port)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    STEK_PGDATA=$work/pg service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
eval "export $(STEK_PGDATA=$work/pg STEK_PGPORT=$pgport STEK_PG_OPTIONS='-c shared_buffers=256MB -c max_connections=200' service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null

# The offers: the relevance set's texts, 430 times each, at 3,000 sites in 300 municipalities,
# weekly on the template's days; and the queries, URL-encoded, one per line.
python3 tests/bench/search_data.py "$work"
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f "$work/data.sql"
counts=$(psql "$DATABASE_URL" -X -tA -c "SELECT (SELECT count(*) FROM offers) || ' offers, ' || (SELECT count(*) FROM search_words) || ' terms in the vocabulary'")
STEK_PORT=$port STEK_HTTP_THREADS=2 STEK_WRITES_PER_MINUTE=0 build/stekd 2>/dev/null &
pids+=($!)
STEK_PORT=$plain STEK_HTTP_THREADS=2 STEK_WRITES_PER_MINUTE=0 STEK_FEED_MODEL=0 build/stekd 2>/dev/null &
pids+=($!)
for p in $port $plain; do
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
done
# the model loaded: a feed query answered from it
for _ in $(seq 600); do
    [[ $(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "stek_feed_model_answers_total" {print $2}') != 0 ]] && break
    curl -s -o /dev/null "http://127.0.0.1:$port/v1/feed?q=$RANDOM$RANDOM"
    sleep 0.1
done

run_wrk() { # conns url (the lua script reads STEK_BENCH_*)
    local out
    out=$(wrk -t2 -c"$1" -d"${duration}s" --latency -s tests/bench/search.lua "$2")
    awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {e=$NF}
         END {printf "%s %s %s %s\n", r, p50, p99, e ? e : 0}' <<<"$out"
}
ms() { python3 -c "import sys; v=sys.argv[1]; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)" "$1"; }
printf '\n%s\n' "$counts"
printf '%-58s %6s %12s %10s %10s %8s\n' "measurement (64 connections, every request a different query)" "conns" "requests/s" "p50" "p99" "non-2xx"
declare -A rps p99
row() { # key label port path with_q municipality
    read -r r p50 p ee < <(STEK_BENCH_QUERIES=$work/queries.txt STEK_BENCH_PATH=$4 STEK_BENCH_Q=$5 \
        STEK_BENCH_MUNICIPALITY=$6 run_wrk 64 "http://127.0.0.1:$3")
    rps[$1]=$r
    p99[$1]=$(ms "$p")
    printf '%-58s %6s %12s %10s %10s %8s\n' "$2" 64 "$r" "$p50" "$p" "$ee"
}
row feed_model_q "feed?municipality=&q=, the model" "$port" /v1/feed 1 1
row feed_model "  the same without q (reference)" "$port" /v1/feed 0 1
row feed_db_q "feed?municipality=&q=, the database" "$plain" /v1/feed 1 1
row feed_db "  the same without q (reference)" "$plain" /v1/feed 0 1
row offers_q "offers?municipality=&q= (ranked), the database" "$plain" /v1/offers 1 1
row offers "  the same without q (reference)" "$plain" /v1/offers 0 1
row feed_model_all "feed?q= over all 30,000 offers, the model" "$port" /v1/feed 1 0
row feed_db_all "feed?q= over all 30,000 offers, the database" "$plain" /v1/feed 1 0
row offers_all "offers?q= over all 30,000 offers (ranked), the database" "$plain" /v1/offers 1 0
echo
python3 - <<PY
rows = [("feed, the model", "feed_model_q", "feed_model"), ("feed, the database", "feed_db_q", "feed_db"),
        ("offers list, the database", "offers_q", "offers")]
rps = {$(for k in "${!rps[@]}"; do printf '"%s": %s, ' "$k" "${rps[$k]}"; done)}
p99 = {$(for k in "${!p99[@]}"; do printf '"%s": %s, ' "$k" "${p99[$k]}"; done)}
for label, q, ref in rows:
    print(f"q, {label}: p99 {p99[q]:.1f} ms (goal < 20 ms: {'met' if p99[q] < 20 else 'NOT met'}), "
          f"{rps[q] / rps[ref]:.2f}x the requests/s of the same requests without q (p99 {p99[ref]:.1f} ms)")
for label, k in (("feed, the model", "feed_model_all"), ("feed, the database", "feed_db_all"),
                 ("offers list, the database", "offers_all")):
    print(f"q over all 30,000 offers, {label}: p99 {p99[k]:.1f} ms (goal < 20 ms: {'met' if p99[k] < 20 else 'NOT met'})")
PY
