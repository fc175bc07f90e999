#!/usr/bin/env python3
"""Durability under kill -9: no acknowledged signal is lost, none is stored twice.

16 client threads post signals, each with its own Idempotency-Key, and retry a request
whose outcome they did not see (connection error, 5xx) with the same key until it is
acknowledged with 2xx. Each cycle SIGKILLs stekd at a random moment and starts it again,
then SIGKILLs the PostgreSQL postmaster and every one of its processes (a crash of the
database server) and starts it again. After each database crash, every signal
acknowledged before the kill must be there; at the end every acknowledged id must be there
exactly once, and the table must hold exactly one row per Idempotency-Key.

The harness owns everything it uses: a PostgreSQL cluster in a temporary folder on a free
loopback port (as user postgres when run as root), and the daemon. It becomes a child
subreaper, so the killed postmaster, which pg_ctl detached, is reaped here and cannot stay
a zombie that blocks the restart.

  tests/durability/kill9.py --build build/asan --cycles 10
  tests/durability/kill9.py --build build/asan --cycles 2 --async-commit   # negative control

--async-commit runs the database with synchronous_commit=off: commits are acknowledged
before their WAL is written, so a database crash must lose some of them. The harness then
has to report a loss (exit 1), which shows that it can see one.

Exit status: 0 nothing lost or duplicated, 1 loss or duplicates found, 2 harness failure.
The last line is the verdict, e.g.
  kill9: cycles=10 acknowledged=5123 lost=0 duplicated=0 in_doubt=0 retries=187 -> PASS
"""
import argparse
import ctypes
import datetime as dt
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PR_SET_CHILD_SUBREAPER = 36


def log(msg):
    print(f"kill9: {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reap():
    """Collects every exited child, including orphans re-parented to this subreaper."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Cluster:
    def __init__(self, options):
        self.dir = Path(tempfile.mkdtemp(prefix="stek-kill9-"))
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.options = options
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/stek"

    def env(self):
        return dict(os.environ, STEK_PGDATA=str(self.dir), STEK_PGPORT=str(self.port),
                    STEK_PG_OPTIONS=self.options)

    def start(self):
        out = subprocess.run([str(ROOT / "service/tools/localdb.sh"), "start"], env=self.env(),
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("PostgreSQL did not start: " + out.stderr[-2000:])
        reap()

    def kill(self):
        """SIGKILL for the postmaster and all its processes at once, like a crashed server."""
        pid = int((self.dir / "data/postmaster.pid").read_text().split()[0])
        victims = [pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    victims.append(int(entry.name))
        for v in victims:
            try:
                os.kill(v, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while time.time() < deadline:
            reap()
            if not any(Path(f"/proc/{v}").exists() for v in victims):
                return
            time.sleep(0.02)
        raise RuntimeError("killed PostgreSQL processes did not go away")

    def stop(self):
        subprocess.run([str(ROOT / "service/tools/localdb.sh"), "stop"], env=self.env(),
                       capture_output=True, timeout=60)
        reap()
        shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, sql, *args):
        cmd = ["psql", self.url, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
        for i, a in enumerate(args, 1):
            cmd += ["-v", f"p{i}={a}"]
        out = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()


class Daemon:
    def __init__(self, build, url, logdir):
        self.build, self.url = build, url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(logdir / "stekd.log", "a")
        self.proc = None

    def start(self):
        env = dict(os.environ, DATABASE_URL=self.url, STEK_PORT=str(self.port),
                   STEK_BIND="127.0.0.1", STEK_WRITES_PER_MINUTE="0")
        self.proc = subprocess.Popen([str(self.build / "stekd")], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stekd exited with {self.proc.returncode}")
            try:
                requests.get(self.base + "/healthz", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("stekd did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode if self.proc is not None else None


class Client(threading.Thread):
    """Posts signals; retries in-doubt ones with the same Idempotency-Key until acknowledged."""

    def __init__(self, base, token, site, acked, lock, stop):
        super().__init__(daemon=True)
        self.base, self.site = base, site
        self.headers = {"Authorization": "Bearer " + token}
        self.acked, self.lock, self.stop = acked, lock, stop
        self.retries = 0
        self.in_doubt = 0
        self.refused = []

    def run(self):
        session = requests.Session()
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            body = {"kind": "barrier", "theme": "mobility", "site_id": self.site,
                    "occurred_on": dt.date.today().isoformat()}
            deadline = time.time() + 60
            while True:
                try:
                    r = session.post(self.base + "/v1/signals", json=body, timeout=10,
                                     headers=dict(self.headers, **{"Idempotency-Key": key}))
                    status = r.status_code
                except requests.RequestException:
                    status = None
                    session.close()
                    session = requests.Session()
                if status is not None and 200 <= status < 300:
                    with self.lock:
                        self.acked.append((key, r.json()["id"], time.time()))
                    break
                if status is not None and 400 <= status < 500 and status not in (408, 429):
                    self.refused.append((status, r.text[:200]))
                    break
                if time.time() > deadline:
                    self.in_doubt += 1
                    break
                self.retries += 1
                time.sleep(0.05 + random.random() * 0.1)


def setup(daemon, cluster, build):
    out = subprocess.run([str(build / "stekd"), "create-admin-key", "kill9"], capture_output=True,
                         text=True, env=dict(os.environ, DATABASE_URL=cluster.url), timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    admin = {"Authorization": "Bearer " + out.stdout.strip()}
    p = requests.post(daemon.base + "/v1/partners", headers=admin, timeout=10,
                      json={"name": "Kill9 partner", "kind": "welfare"}).json()["id"]
    site = requests.post(daemon.base + "/v1/sites", headers=admin, timeout=10, json={
        "name": "Kill9 site", "address": {"street": "Markt 1", "postal_code": "2920",
                                          "municipality": "Kalmthout"}}).json()["id"]
    token = requests.post(daemon.base + "/v1/keys", headers=admin, timeout=10, json={
        "name": "kill9 app", "role": "partner", "partner_id": p}).json()["token"]
    return p, site, token


def missing(cluster, ids):
    """The ids (of acknowledged signals) that are not in the table (sent as COPY data)."""
    if not ids:
        return []
    out = cluster.query("CREATE TEMP TABLE acked (id uuid);\nCOPY acked FROM STDIN;\n" +
                        "\n".join(ids) + "\n\\.\n"
                        "SELECT a.id FROM acked a LEFT JOIN signals s USING (id)"
                        " WHERE s.id IS NULL;\n")
    return out.split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=str(ROOT / "build"), help="folder with stekd, stek-migrate")
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--async-commit", action="store_true",
                    help="negative control: synchronous_commit=off, so a crash must lose data")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    build = Path(args.build).resolve()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log("warning: cannot become a child subreaper; killed processes may linger")

    options = "-c max_connections=60"
    if args.async_commit:
        # Commits return before their WAL is written; the WAL writer waits up to 10 s.
        options += " -c synchronous_commit=off -c wal_writer_delay=10000"
    cluster = Cluster(options)
    daemon = None
    clients = []
    lost = set()
    try:
        cluster.start()
        env = dict(os.environ, DATABASE_URL=cluster.url)
        out = subprocess.run([str(build / "stek-migrate"), "up"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        daemon = Daemon(build, cluster.url, cluster.dir)
        daemon.start()
        partner, site, token = setup(daemon, cluster, build)
        acked, lock, stop = [], threading.Lock(), threading.Event()
        clients = [Client(daemon.base, token, site, acked, lock, stop)
                   for _ in range(args.clients)]
        for c in clients:
            c.start()
        log(f"seed={seed} clients={args.clients} async_commit={args.async_commit}")
        for cycle in range(1, args.cycles + 1):
            time.sleep(0.5 + random.random())
            daemon.kill()
            time.sleep(random.random() * 0.3)
            daemon.start()
            time.sleep(0.5 + random.random())
            with lock:
                before = [i for _, i, _ in acked]
            cluster.kill()
            time.sleep(random.random() * 0.3)
            cluster.start()
            gone = missing(cluster, before)
            lost.update(gone)
            log(f"cycle {cycle}: acknowledged so far {len(before)}, missing after the database"
                f" crash {len(gone)}")
        # Let the clients finish what is in doubt, then look at everything.
        stop.set()
        for c in clients:
            c.join(90)
        # The last daemon stops normally: it must exit 0 without a sanitizer report.
        code = daemon.stop()
        daemon = None
        report = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
                  if m in (cluster.dir / "stekd.log").read_text()]
        if code != 0 or report:
            raise RuntimeError(f"stekd exited {code} {report}")
        lost.update(missing(cluster, [i for _, i, _ in acked]))
        rows = int(cluster.query("SELECT count(*) FROM signals WHERE partner_id = :'p1'", partner))
        keys = len({k for k, _, _ in acked})
        ids = [i for _, i, _ in acked]
        duplicated = max(0, rows + len(lost) - keys) + (len(ids) - len(set(ids)))
        in_doubt = sum(c.in_doubt for c in clients)
        refused = [r for c in clients for r in c.refused]
        retries = sum(c.retries for c in clients)
        if refused:
            log(f"refused requests (unexpected): {refused[:3]}")
        ok = not lost and duplicated == 0 and in_doubt == 0 and not refused
        log(f"cycles={args.cycles} acknowledged={len(acked)} lost={len(lost)}"
            f" duplicated={duplicated} in_doubt={in_doubt} retries={retries}"
            f" -> {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    except Exception as e:  # noqa: BLE001 - the harness itself failed
        log(f"harness failure: {e}")
        return 2
    finally:
        for c in clients:
            c.stop.set()
        if daemon is not None:
            daemon.stop()
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
