"""Daemon lifecycle: graceful shutdown with work in flight, database loss and recovery."""
import os
import subprocess
import threading
import time

import pytest
import requests

from conftest import (BUILD, Daemon, assert_clean_exit, cli, migrate, psql,
                      wait_until, worker_stuck_on_lock)

# Deadlines in seconds: not run under valgrind (make memcheck).
pytestmark = pytest.mark.timing


def test_sigterm_finishes_in_flight_requests(db_url, admin, admin_token, tmp_path):
    pid = admin.post("/v1/partners", json={"name": "Slow write partner", "kind": "k"}).json()["id"]
    d = Daemon(db_url, tmp_path, STEK_DB_CONNECTIONS=2)
    # Another session holds the row, so the PATCH waits inside the daemon.
    with worker_stuck_on_lock(d, db_url, pid, admin_token, 1.5, kind="after") as stuck:
        started = time.time()
        d.proc.send_signal(15)
        time.sleep(0.2)
        try:
            requests.get(d.base + "/healthz", timeout=2)
            refused = False
        except requests.ConnectionError:
            refused = True
    code, log = d.stop()
    assert refused, "no new connections after SIGTERM"
    assert stuck.response.status_code == 200 and stuck.response.json()["kind"] == "after"
    assert time.time() - started < 10
    assert_clean_exit(code, log)
    assert '"msg":"stopped"' in log


def test_database_loss_gives_503_and_recovers_without_restart(fresh_db, spec, tmp_path):
    assert migrate(fresh_db, "up").returncode == 0
    dbname = fresh_db.rsplit("/", 1)[1]
    token = cli(fresh_db, "create-admin-key", "t").stdout.strip()
    d = Daemon(fresh_db, tmp_path, STEK_DB_CONNECTIONS=2)
    auth = {"Authorization": "Bearer " + token}
    admin_url = fresh_db.rsplit("/", 1)[0] + "/postgres"
    try:
        assert requests.get(d.base + "/v1/partners", timeout=5).status_code == 200
        feed_url = d.base + "/v1/feed?from=2026-12-01&to=2026-12-31"
        cached = requests.get(feed_url, timeout=5)
        assert cached.status_code == 200
        psql(admin_url, f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
        psql(admin_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = :'p1'", dbname)
        for path in ("/v1/partners", "/v1/keys", "/readyz"):
            t0 = time.time()
            r = requests.get(d.base + path, headers=auth, timeout=10)
            assert r.status_code == 503, (path, r.text)
            assert time.time() - t0 < 3
            assert int(r.headers["Retry-After"]) > 0
            assert r.json()["type"] == "urn:stek:problem:database-unavailable"
            spec.check("GET", path, r)
        assert requests.get(d.base + "/healthz", timeout=5).status_code == 200
        # The feed keeps answering from its cache while the database is away.
        during = requests.get(feed_url, timeout=5)
        assert during.status_code == 200 and during.content == cached.content
        # A malformed key is refused without the database (it never takes a worker).
        r = requests.get(d.base + "/v1/keys", headers={"Authorization": "Bearer nope"}, timeout=5)
        assert r.status_code == 401
        psql(admin_url, f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
        wait_until(lambda: requests.get(d.base + "/v1/keys", headers=auth,
                                        timeout=5).status_code == 200,
                   5, "served again within 5 s, without a restart")
        # Every worker has its statements prepared again.
        for _ in range(10):
            assert requests.post(d.base + "/v1/partners", headers=auth, timeout=5,
                                 json={"name": f"back {time.time()}", "kind": "k"}
                                 ).status_code == 201
    finally:
        psql(admin_url, f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
        code, log = d.stop()
    assert_clean_exit(code, log)


def test_rate_limits_for_failed_authentication_and_writes(own_db, tmp_path):
    db_url, admin_token = own_db.url, own_db.token
    d = Daemon(db_url, tmp_path, STEK_AUTH_FAILURES=3, STEK_WRITES_PER_MINUTE=2)
    try:
        bad = {"Authorization": "Bearer stek_" + "0" * 48}
        # Limits count per clock minute: start well inside one.
        while time.time() % 60 > 50:
            time.sleep(1)
        codes = [requests.get(d.base + "/v1/keys", headers=bad, timeout=5).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        r = requests.get(d.base + "/v1/keys", headers=bad, timeout=5)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert r.headers["RateLimit-Limit"] == "3" and r.headers["RateLimit-Remaining"] == "0"
        # A key that works is never refused for the failures of others at the same address.
        r = requests.get(d.base + "/v1/keys", headers={"Authorization": "Bearer " + admin_token},
                         timeout=5)
        assert r.status_code == 200
        assert requests.get(d.base + "/v1/partners", timeout=5).status_code == 200  # public
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)
    # (a key of its own: the first daemon's counts of this minute are shared with this one)
    admin_token = cli(db_url, "create-admin-key", "writes").stdout.strip()
    d = Daemon(db_url, tmp_path, STEK_WRITES_PER_MINUTE=2)
    try:
        auth = {"Authorization": "Bearer " + admin_token}
        while time.time() % 60 > 50:
            time.sleep(1)
        codes = [requests.post(d.base + "/v1/partners", json={"kind": "k"}, headers=auth,
                               timeout=5).status_code for _ in range(3)]
        assert codes == [422, 422, 429]
        assert requests.get(d.base + "/v1/keys", headers=auth, timeout=5).status_code == 200
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(own_db, tmp_path):
    db_url, admin_token = own_db.url, own_db.token
    bad = {"Authorization": "Bearer stek_" + "0" * 48}
    good = {"Authorization": "Bearer " + admin_token}

    def get(d, headers, client):
        return requests.get(d.base + "/v1/keys", timeout=5,
                            headers=dict(headers, **{"X-Forwarded-For": client})).status_code

    d = Daemon(db_url, tmp_path, STEK_AUTH_FAILURES=2, STEK_TRUSTED_PROXIES="10.0.0.9,127.0.0.1")
    try:
        while time.time() % 60 > 50:
            time.sleep(1)
        assert [get(d, bad, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
        # A forged address in front of the proxy's own entry changes nothing.
        assert get(d, bad, "198.51.100.1, 203.0.113.7") == 429
        # Another resident behind the same proxy is not punished, and a good key always works.
        assert get(d, bad, "198.51.100.1") == 401
        assert get(d, good, "203.0.113.7") == 200
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)
    # Without STEK_TRUSTED_PROXIES the header is ignored: the peer address counts (the first
    # daemon counted the forwarded addresses, never the peer's).
    d = Daemon(db_url, tmp_path, STEK_AUTH_FAILURES=2)
    try:
        while time.time() % 60 > 50:
            time.sleep(1)
        assert [get(d, bad, f"203.0.113.{i}") for i in range(3)] == [401, 401, 429]
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)
    out = subprocess.run([str(BUILD / "stekd")], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, DATABASE_URL=db_url, STEK_TRUSTED_PROXIES="nginx"))
    assert out.returncode == 2 and "STEK_TRUSTED_PROXIES" in out.stderr


def test_a_lock_held_elsewhere_does_not_slow_unrelated_requests(db_url, admin, admin_token,
                                                                  tmp_path):
    pid = admin.post("/v1/partners", json={"name": f"Locked {time.time()}", "kind": "k"}).json()["id"]
    d = Daemon(db_url, tmp_path, STEK_DB_CONNECTIONS=2)
    try:
        with worker_stuck_on_lock(d, db_url, pid, admin_token, 3):
            worst = 0.0
            for _ in range(20):
                t0 = time.time()
                assert requests.get(d.base + "/v1/partners?limit=5", timeout=5).status_code == 200
                assert requests.get(d.base + "/healthz", timeout=5).status_code == 200
                worst = max(worst, time.time() - t0)
            assert worst < 0.5, worst  # the other worker and the I/O threads carry on
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)


def test_killed_backends_heal_without_leaking_connections(fresh_db, tmp_path):
    assert migrate(fresh_db, "up").returncode == 0
    d = Daemon(fresh_db, tmp_path, STEK_DB_CONNECTIONS=3)
    dbname = fresh_db.rsplit("/", 1)[1]
    admin_url = fresh_db.rsplit("/", 1)[0] + "/postgres"
    try:
        statuses = []

        def load():
            end = time.time() + 2.5
            while time.time() < end:
                statuses.append(requests.get(d.base + "/v1/partners?limit=3", timeout=5).status_code)

        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        time.sleep(0.7)
        psql(admin_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = :'p1' AND application_name LIKE 'stekd%'", dbname)
        for w in workers:
            w.join()
        failures = [s for s in statuses if s != 200]
        assert set(failures) <= {503} and len(failures) <= 6, failures
        assert statuses[-1] == 200
        time.sleep(1.5)
        assert requests.get(d.base + "/v1/partners", timeout=5).status_code == 200
        conns = int(psql(admin_url, "SELECT count(*) FROM pg_stat_activity WHERE datname = :'p1'"
                                    " AND application_name LIKE 'stekd%'", dbname))
        # workers, the listener, the maintenance job, the feed model's loader, the webhooks
        assert conns <= 3 + 4, conns
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)


def test_limits_hold_across_daemons_on_one_database(own_db, tmp_path):
    """Two daemons on one database give a client one budget, not two (issue 18): each shares
    its counts of the minute about once a second, no round trip per request."""
    a = Daemon(own_db.url, tmp_path, STEK_AUTH_FAILURES=6, STEK_WRITES_PER_MINUTE=4)
    b = Daemon(own_db.url, tmp_path, STEK_AUTH_FAILURES=6, STEK_WRITES_PER_MINUTE=4)
    try:
        while time.time() % 60 > 40:  # one clock minute for the whole test
            time.sleep(1)
        bad = {"Authorization": "Bearer stek_" + "0" * 48}
        auth = {"Authorization": "Bearer " + own_db.token}
        assert [requests.get(a.base + "/v1/keys", headers=bad, timeout=5).status_code
                for _ in range(4)] == [401] * 4
        time.sleep(2.5)  # a's counts reach b
        assert [requests.get(b.base + "/v1/keys", headers=bad, timeout=5).status_code
                for _ in range(3)] == [401, 401, 429]
        writes = [requests.post(a.base + "/v1/partners", json={"kind": "k"}, headers=auth,
                                timeout=5).status_code for _ in range(3)]
        assert writes == [422] * 3
        time.sleep(2.5)
        assert [requests.post(b.base + "/v1/partners", json={"kind": "k"}, headers=auth,
                              timeout=5).status_code for _ in range(2)] == [422, 429]
    finally:
        for d in (a, b):
            assert_clean_exit(*d.stop())


def test_replica_settings_and_positions_are_checked(db_url, api):
    """A Stek-Read-After that is no write's position is refused, not ignored (a reader would
    miss its own write without knowing); replica and UiTdatabank addresses are checked at start."""
    r = api.get("/v1/partners", headers={"Stek-Read-After": "yesterday"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Stek-Read-After"
    assert api.get("/v1/partners", headers={"Stek-Read-After": "0/3A1C2B8"}).status_code == 200
    for name, value in (("STEK_READ_URLS", "host=replica dbname=stek"),
                        ("STEK_UITDATABANK_URL", "https://" + "x" * 300)):
        out = subprocess.run([str(BUILD / "stekd")], capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, DATABASE_URL=db_url, **{name: value}))
        assert out.returncode == 2 and name in out.stderr, out.stderr
