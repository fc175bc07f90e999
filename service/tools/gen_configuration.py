#!/usr/bin/env python3
"""Writes docs/configuration.md from the programs' own --help (the one source of the variables
and their defaults), with the longer explanations below: a variable explained here but
missing from --help stops the script, so the page cannot drift. make docs runs it; the test
suite checks that the committed page is what it writes.

Usage: gen_configuration.py BUILD_DIR [OUT]   (OUT default: docs/configuration.md; - for stdout)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helptext import environment, helptext  # noqa: E402  (as the man pages read it)

# What --help says in a line, said in full (links are relative to docs/).
MORE = {
    'DATABASE_URL':
        'e.g. `postgresql://stek@localhost:5432/stek`',
    'STEK_BIND':
        'IPv4 address to listen on',
    'STEK_PORT':
        'TCP port',
    'STEK_TRUSTED_PROXIES':
        "IPv4 addresses of proxies (e.g. `127.0.0.1` for a local nginx) whose `X-Forwarded-For` names the client for per-client limits; others' headers are ignored",
    'STEK_HTTP_THREADS':
        'libmicrohttpd I/O threads',
    'STEK_DB_CONNECTIONS':
        'database workers, one PostgreSQL connection each',
    'STEK_MAX_CONNECTIONS':
        'open HTTP connections at most (the file descriptor limit is raised to fit, or this is lowered with a warning)',
    'STEK_CONNECTION_TIMEOUT':
        'seconds before an idle or stalled connection is closed',
    'STEK_CONNECTION_MEMORY':
        'bytes per connection for the request line and headers',
    'STEK_BODY_LIMIT':
        'largest request body (larger: 413)',
    'STEK_URL_LIMIT':
        'longest request URI (longer: 414)',
    'STEK_QUEUE_LIMIT':
        'requests waiting for a database worker (more: 503)',
    'STEK_STATEMENT_TIMEOUT_MS':
        'longest time one SQL statement may run',
    'STEK_SHUTDOWN_GRACE':
        'seconds in-flight requests get on SIGTERM',
    'STEK_STATS_K':
        'published signal counts below this are perturbed and suppressed (at least 3; see [Signals and privacy](architecture.md#signals-and-privacy))',
    'STEK_PUBLIC_URL':
        'the address residents reach the service at, e.g. `https://stek.example.org`: the QR code of the monthly calendar leads there',
    'STEK_WEBHOOK_ALLOW':
        'hosts, addresses and IPv4 networks webhooks may reach although private or loopback (and over http), e.g. `127.0.0.1,hooks.internal`',
    'STEK_WEBHOOK_RETRY_MS':
        'the first retry of a failed webhook delivery; each next one doubles, at most an hour',
    'STEK_METRICS_ALLOW':
        'addresses and IPv4 networks (after `STEK_TRUSTED_PROXIES`) that may read `/metrics`; others get 403',
    'STEK_NOTE_RETENTION_MONTHS':
        'signal notes are erased after this many months; counts stay',
    'STEK_AUTH_FAILURES':
        "failed authentications one client address may make per minute (then 429 instead of 401 for keys that do not work; a valid key from the same address, e.g. behind a municipality's NAT, always works)",
    'STEK_WRITES_PER_MINUTE':
        'writes one API key may make per minute; `0`: no limit (then 429)',
    'STEK_WATCHDOG_STALL':
        'seconds every database worker may be busy with one request before the systemd watchdog stops pinging; keep it below `STEK_STATEMENT_TIMEOUT_MS` (see Install on Debian)',
    'STEK_HANDOFF_GUESSES':
        'failed handoff-code lookups one key may make per minute (then 429)',
    'STEK_FEED_MODEL':
        "`1`: answer feed queries that miss the cache from the feed's data held in memory, following each change as it comes (only the records a change names are read again; see [The feed from memory](architecture.md#the-feed-from-memory)); `2`: the same, but reading all of it again after every change (the behaviour before issue 29, slow while data changes: kept for comparison in tests and benchmarks); `0`: ask the database for each (less memory: about 15 MiB less with 30,000 offers)",
    'STEK_READ_URLS':
        'read replicas for public reads: `postgresql://` URIs separated by spaces (see [Read replicas](operations.md#read-replicas-issue-18))',
    'STEK_SECRET_KEY_FILE':
        'a file only its owner reads (`chmod 600`) of keys, one per line (64 hex digits, `stekd new-secret-key`), the first sealing webhook secrets at rest with AES-256-GCM and the others opening what they sealed; a daemon refuses to start while the database holds a value sealed by a key it lacks (see [Secrets sealed at rest](operations.md))',
    'STEK_MAX_REPLICA_LAG':
        'seconds a read replica may lag behind the primary before it leaves the rotation',
    'STEK_UITDATABANK_URL':
        "UiTdatabank's Entry API (publiq) that the place and organizer ids of `GET /v1/offers/{id}/uitdatabank` point into; `https://io-test.uitdatabank.be` for publiq's test environment (see [Standards](standards.md))",
    'STEK_TIMEZONE':
        'the service\'s own timezone (IANA name): its "today" (the feed\'s default window, the statistics\' closed months, a referral\'s expiry) and the timezone of a new site that names none; e.g. `Europe/Amsterdam` for a Dutch network',
}


def page(build):
    stekd, migrate = helptext(build, "stekd"), helptext(build, "stek-migrate")
    env = environment(stekd)
    names = {n for n, _, _ in env}
    unknown = set(MORE) - names
    if unknown:
        sys.exit(f"gen_configuration: explained but not in stekd --help: {sorted(unknown)}")
    out = ["# Configuration", "",
           "Generated by `make docs` (`service/tools/gen_configuration.py`) from `stekd --help`"
           " and `stek-migrate --help`, the one source of the variables and their defaults;"
           " the test suite fails when this page and the programs disagree. Do not edit by hand.",
           "", "Both programs read the database from `DATABASE_URL` (a libpq URI or conninfo"
           " string); `stekd` reads the rest from the environment too. An invalid value stops"
           " the daemon at start with a message naming the variable; `stekd` refuses to start,"
           " naming the missing files, when the schema is behind the migrations it was built"
           " with (run `build/stek-migrate up` first).", "",
           "| variable | default | meaning |", "|---|---|---|"]
    for name, desc, default in env:
        text = MORE.get(name, desc).replace("|", "\\|")
        shown = (f"`{default}`" if default and default != "none" and " " not in default
                 else "(none)" if default in ("", "none") else default)
        if name == "DATABASE_URL":
            shown = "(required)"
        out.append(f"| `{name}` | {shown} | {text} |")
    out += ["", "## stekd", "", "```", stekd.split("\nenvironment:")[0].strip(), "```", "",
            "## stek-migrate", "", "```", migrate.strip(), "```", "",
            "`make run` reads `STEK_DEMO` (`0`: no demo data), `STEK_PGDATA`, `STEK_PGPORT` and"
            " `STEK_PGDATABASE` (the local cluster's folder, port and database) and `STEK_PORT`;"
            " `make run-empty` is `STEK_DEMO=0 STEK_PGDATABASE=stek_empty make run`.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    text = page(sys.argv[1])
    dest = sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).resolve().parent.parent.parent
                                                        / "docs" / "configuration.md")
    if dest == "-":
        sys.stdout.write(text)
    else:
        Path(dest).write_text(text)
