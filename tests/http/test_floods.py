"""Floods: slow connections that never finish their headers, and more connections than allowed."""
import os
import re
import resource
import selectors
import socket
import statistics
import time

import pytest
import requests

from conftest import Daemon, assert_clean_exit, wait_until

# Deadlines in seconds: not run under valgrind (make memcheck).
pytestmark = pytest.mark.timing


def fds(daemon):
    return len(os.listdir(f"/proc/{daemon.proc.pid}/fd"))


def allow_fds(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def open_slow(port, n):
    """n connections that send the start of a request and then nothing."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /v1/partners HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    return socks


def closed_by_server(socks, deadline):
    """How many of socks the server closed before the deadline."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    while closed < len(socks) and time.time() < deadline:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                sel.unregister(key.fileobj)
                closed += 1
    sel.close()
    return closed


def warm_baseline(d):
    """The daemon's descriptors once its one database worker and listener are connected."""
    assert requests.get(d.base + "/v1/partners?limit=1", timeout=5).status_code == 200
    time.sleep(0.2)
    return fds(d)


def timed_get(url):
    t0 = time.perf_counter()
    r = requests.get(url, timeout=5)
    return r.status_code, time.perf_counter() - t0


def test_slow_connections_do_not_starve_others_and_time_out(db_url, tmp_path):
    allow_fds(4096)
    d = Daemon(db_url, tmp_path, STEK_CONNECTION_TIMEOUT=3, STEK_DB_CONNECTIONS=1)
    socks = []
    try:
        baseline = warm_baseline(d)
        socks = open_slow(d.port, 2000)
        time.sleep(0.2)
        assert fds(d) >= baseline + 2000  # all of them were accepted and are held open
        answers = [timed_get(d.base + path) for path in ["/healthz", "/v1/partners?limit=5"] * 10]
        assert {status for status, _ in answers} == {200}
        took = [t for _, t in answers]
        print(f"with 2,000 slow connections: median {statistics.median(took) * 1000:.1f} ms,"
              f" worst {max(took) * 1000:.1f} ms")
        assert statistics.median(took) < 0.1 and max(took) < 1.0, took
        # STEK_CONNECTION_TIMEOUT closes them, and the descriptors come back.
        assert closed_by_server(socks, time.time() + 3 + 5) == 2000
        wait_until(lambda: fds(d) <= baseline, 3, "the daemon's descriptors are back to its baseline")
    finally:
        for s in socks:
            s.close()
        code, log = d.stop()
    assert_clean_exit(code, log)


def test_a_connection_flood_is_refused_and_recovers_within_a_second(db_url, tmp_path):
    allow_fds(4096)
    d = Daemon(db_url, tmp_path, STEK_MAX_CONNECTIONS=64, STEK_CONNECTION_TIMEOUT=30,
               STEK_DB_CONNECTIONS=1)
    socks = []
    try:
        baseline = warm_baseline(d)
        socks = open_slow(d.port, 64)
        time.sleep(0.2)
        # Beyond the limit: closed at once, not left waiting in the backlog.
        extra = open_slow(d.port, 200)
        assert closed_by_server(extra, time.time() + 2) == 200
        assert fds(d) <= baseline + 64
        for s in extra:
            s.close()
        for s in socks:
            s.close()
        socks = []
        t0 = time.time()
        status = None
        while time.time() - t0 < 3:
            try:
                status = requests.get(d.base + "/healthz", timeout=0.5).status_code
                break
            except requests.RequestException:
                time.sleep(0.05)
        recovery = time.time() - t0
        print(f"flood: served again after {recovery * 1000:.0f} ms")
        assert status == 200 and recovery < 1.0, recovery
        metrics = requests.get(d.base + "/metrics", timeout=5).text
        refused = re.search(r"^stek_http_connections_refused_total (\d+)$", metrics, re.M)
        assert refused and int(refused.group(1)) >= 200, metrics[-600:]
        assert "limit reached" in d.log_path.read_text()
        wait_until(lambda: fds(d) <= baseline, 3, "the daemon's descriptors are back to its baseline")
    finally:
        for s in socks:
            s.close()
        code, log = d.stop()
    assert_clean_exit(code, log)
