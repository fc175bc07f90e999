"""The systemd notify protocol and the watchdog, tested without systemd (issue 21): the daemon
talks to a datagram socket this test reads, as the service manager would."""
import os
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BUILD, Daemon, assert_clean_exit, free_port, wait_until, worker_stuck_on_lock


class Manager:
    """A fake service manager: a Unix datagram socket, and every message with its time."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.stop = False
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while not self.stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, text, timeout=15):
        def seen():
            return next(((t, m) for t, m in self.messages if text in m.split("\n")), None)
        return wait_until(seen, timeout, f"{text!r} is notified (so far: {self.messages})")

    def pings(self, since=0.0):
        return [t for t, m in self.messages if "WATCHDOG=1" in m.split("\n") and t >= since]

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def test_ready_only_when_ready_then_stopping_on_sigterm(db_url, tmp_path):
    mgr = Manager(tmp_path)
    try:
        d = Daemon(db_url, tmp_path, NOTIFY_SOCKET=mgr.path)
        t_ready, msg = mgr.wait_for("READY=1")
        assert "STATUS=serving on 127.0.0.1" in msg
        # When READY=1 was sent, /readyz already answered 200 (database usable, schema current).
        assert requests.get(d.base + "/readyz", timeout=5).status_code == 200
        assert not mgr.pings()  # no watchdog asked for: no pings
        t0 = time.monotonic()
        code, log = d.stop()
        assert_clean_exit(code, log)
        t_stop, msg = mgr.wait_for("STOPPING=1")
        assert t_stop >= t_ready and time.monotonic() - t0 < 15
    finally:
        mgr.close()


def test_no_ready_when_the_database_is_unusable(tmp_path):
    mgr = Manager(tmp_path)
    try:
        env = dict(os.environ, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
                   NOTIFY_SOCKET=mgr.path, STEK_PORT=str(free_port()))
        out = subprocess.run([str(BUILD / "stekd")], env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 1 and "cannot use the database" in out.stderr, out.stderr
        time.sleep(0.3)
        assert not [m for _, m in mgr.messages if "READY=1" in m]
    finally:
        mgr.close()


@pytest.mark.timing
def test_watchdog_pings_while_healthy_and_stops_when_the_pool_is_stuck(db_url, tmp_path,
                                                                       admin_token, admin):
    mgr = Manager(tmp_path)
    d = None
    try:
        d = Daemon(db_url, tmp_path, NOTIFY_SOCKET=mgr.path, WATCHDOG_USEC="2000000",
                   STEK_DB_CONNECTIONS=2, STEK_WATCHDOG_STALL=2, STEK_STATEMENT_TIMEOUT_MS=60000)
        mgr.wait_for("READY=1")
        time.sleep(3.2)
        pings = mgr.pings()
        assert len(pings) >= 3, pings
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert all(0.6 < g < 1.9 for g in gaps), gaps  # every second: half of WATCHDOG_USEC
        # Both workers stuck behind a row lock this test holds, for longer than the bound.
        pid = admin.post("/v1/partners", json={"name": f"Watchdog {time.time()}",
                                               "kind": "welfare"}).json()["id"]
        with worker_stuck_on_lock(d, db_url, pid, admin_token, 7) as first:
            second = threading.Thread(target=lambda: requests.patch(
                f"{d.base}/v1/partners/{pid}", json={"kind": "other"}, timeout=20,
                headers={"Authorization": "Bearer " + admin_token}))
            second.start()
            time.sleep(4.5)  # the bound (2 s) passed
            stalled_at = time.monotonic()
            time.sleep(1.5)
            assert not mgr.pings(stalled_at), "pings went on while every worker was stuck"
            assert any("STATUS=unhealthy" in m for _, m in mgr.messages)
            assert first.locker.poll() is None, "the lock was released too early"
        second.join(20)
        released = time.monotonic()
        time.sleep(2.5)
        assert mgr.pings(released), "pings did not resume after the lock was released"
        code, log = d.stop()
        d = None
        assert_clean_exit(code, log)
        mgr.wait_for("STOPPING=1")
        assert "watchdog: not pinging" in log
    finally:
        if d is not None:
            d.stop()
        mgr.close()
