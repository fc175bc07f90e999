"""Fixtures shared by the database and HTTP tiers.

The suite runs the real binaries (built with ASan and UBSan) against the
private PostgreSQL cluster that tests/run.sh starts (STEK_TEST_PG). Every
response the `api` client receives is checked against openapi/openapi.yaml.
"""
import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import types
import uuid
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

import sys as _sys
_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service" / "demo"))
import load_demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("STEK_TEST_BUILD", ROOT / "build" / "asan"))
PG = os.environ.get("STEK_TEST_PG")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
# make memcheck runs every daemon under valgrind (see tests/run.sh --memcheck).
WRAPPER = os.environ.get("STEK_TEST_WRAPPER", "").split()
SLOW = 20 if WRAPPER else 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"openapi: {Spec.checked} responses checked against the document"
                                " (status, content type, schema)")


def pytest_configure(config):
    config.addinivalue_line("markers", "timing: asserts deadlines in seconds (skipped by"
                                       " make memcheck, where valgrind slows the daemon)")
    if not PG:
        raise pytest.UsageError("STEK_TEST_PG is not set: run the suite with `make test`")


def psql(url, sql, *args):
    """Runs SQL through psql (values passed as psql variables, never pasted)."""
    cmd = ["psql", url, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
    for i, a in enumerate(args, 1):
        cmd += ["-v", f"p{i}={a}"]
    out = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def create_database():
    name = "t_" + uuid.uuid4().hex[:12]
    psql(PG + "/postgres", f"CREATE DATABASE {name}")
    return name, f"{PG}/{name}"


def drop_database(name):
    psql(PG + "/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def migrate(url, *args, dir=None):
    cmd = [str(BUILD / "stek-migrate")]
    if dir is not None:
        cmd += ["--dir", str(dir)]
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=60)


@pytest.fixture
def fresh_db():
    """An empty database, dropped afterwards."""
    name, url = create_database()
    yield url
    drop_database(name)


@pytest.fixture(scope="session")
def db_url():
    """The database of the HTTP tier, migrated once."""
    name, url = create_database()
    out = migrate(url, "up")
    assert out.returncode == 0, out.stderr
    yield url
    drop_database(name)


class Daemon:
    """A stekd process on a free port, with its stderr in a file."""

    def __init__(self, url, tmp, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tmp) / f"stekd-{self.port}.log"
        full_env = dict(os.environ, DATABASE_URL=url, STEK_PORT=str(self.port),
                        STEK_BIND="127.0.0.1", **{k: str(v) for k, v in env.items()})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(WRAPPER + [str(BUILD / "stekd")], env=full_env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15 * SLOW
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stekd exited: " + self.log_path.read_text())
            try:
                requests.get(self.base + "/healthz", timeout=SLOW)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("stekd did not start: " + self.log_path.read_text())

    def stop(self, timeout=15 * SLOW):
        """SIGTERM; returns (exit code, log text)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode, self.log_path.read_text()


@contextlib.contextmanager
def worker_stuck_on_lock(daemon, db_url, partner_id, token, seconds, kind="later"):
    """psql holds partner_id's row for seconds while a PATCH of it waits in a daemon worker.

    Yields a namespace with `locker` (the psql process, running while the lock is held) and,
    once the block is left (which waits for the PATCH and psql), `response`.
    """
    stuck = types.SimpleNamespace(response=None, locker=subprocess.Popen(
        ["psql", db_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"p1={partner_id}"],
        stdin=subprocess.PIPE, text=True))

    def patch():
        stuck.response = requests.patch(
            f"{daemon.base}/v1/partners/{partner_id}", json={"kind": kind}, timeout=20,
            headers={"Authorization": "Bearer " + token})

    thread = threading.Thread(target=patch)
    try:
        stuck.locker.stdin.write("BEGIN; SELECT 1 FROM partners WHERE id = :'p1' FOR UPDATE;"
                                 f" SELECT pg_sleep({float(seconds)}); COMMIT;\n")
        stuck.locker.stdin.close()
        time.sleep(0.3)
        thread.start()
        time.sleep(0.3)
        yield stuck
    finally:
        if thread.is_alive():
            thread.join(20)
        stuck.locker.wait(10)


def wait_until(condition, timeout, why):
    """Polls condition until it holds (returns its value) or timeout seconds pass (fails
    naming why). For waiting on something a test needs, never a fixed sleep."""
    deadline = time.time() + timeout * SLOW
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {why}")
        time.sleep(0.01)


def metric(daemon, name):
    """A value of the daemon's /metrics (the first line of that name, without labels)."""
    for line in requests.get(daemon.base + "/metrics", timeout=5 * SLOW).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def assert_clean_exit(code, text):
    for marker in SANITIZER_MARKERS:
        assert marker not in text, "sanitizer report:\n" + text[-4000:]
    assert code == 0, f"stekd exited {code}:\n" + text[-2000:]


@pytest.fixture(scope="session")
def daemon(db_url, tmp_path_factory):
    # The whole suite writes with one admin key: the per-key write limit (tested with daemons of
    # its own in test_lifecycle.py) must not decide which test runs in which minute.
    d = Daemon(db_url, tmp_path_factory.mktemp("daemon"), STEK_WRITES_PER_MINUTE=0)
    yield d
    # Part of every run: the daemon stops cleanly, without leaks or UB reports.
    assert_clean_exit(*d.stop())


def cli(url, *args):
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([str(BUILD / "stekd"), *args], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.fixture
def own_db(fresh_db):
    """A migrated database of the test's own, with an admin key: the daemons on one database
    share their rate limits, so a test that counts them needs a database to itself."""
    assert migrate(fresh_db, "up").returncode == 0
    out = cli(fresh_db, "create-admin-key", "own admin")
    assert out.returncode == 0, out.stderr
    return types.SimpleNamespace(url=fresh_db, token=out.stdout.strip())


@pytest.fixture(scope="session")
def admin_token(db_url):
    out = cli(db_url, "create-admin-key", "test admin")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


# ---- private PostgreSQL clusters (replicas, backups): as postgres, on Unix sockets ----

BIN = sorted(p for p in (f"/usr/lib/postgresql/{v}/bin" for v in
                         os.listdir("/usr/lib/postgresql")) if os.path.isdir(p))[-1]


def as_postgres(*cmd, **kw):
    run = ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else list(cmd)
    return subprocess.run(run, capture_output=True, text=True, timeout=60, **kw)


class Cluster:
    def __init__(self, folder, name):
        self.data = os.path.join(folder, name)
        self.sock = folder
        self.port = free_port()
        self.log = os.path.join(folder, name + ".log")

    def uri(self, db="stek"):
        return f"postgresql://postgres@/{db}?host={self.sock}&port={self.port}"

    def start(self):
        out = as_postgres(f"{BIN}/pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", "-t",
                          "30", "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=''")
        assert out.returncode == 0, out.stderr + open(self.log).read()[-2000:]

    def stop(self, mode="fast"):
        as_postgres(f"{BIN}/pg_ctl", "stop", "-D", self.data, "-m", mode, "-w")

    def psql(self, sql, db="stek"):
        out = subprocess.run(["psql", self.uri(db), "-X", "-qtA", "-c", sql], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()


# ---- OpenAPI conformance ----

class Spec:
    def __init__(self):
        self.doc = yaml.safe_load((ROOT / "openapi" / "openapi.yaml").read_text())
        self.paths = []
        for tmpl in self.doc["paths"]:
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tmpl)) + "$"
            self.paths.append((re.compile(rx), tmpl))
        self.resolver = jsonschema.RefResolver("", self.doc)

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            obj = self.resolver.resolve(obj["$ref"])[1]
        return obj

    def validate_schema(self, schema, value, what):
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
        assert not errors, f"{what}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5])

    checked = 0

    def check(self, method, url_path, resp):
        """Asserts that resp is what openapi.yaml promises for method and path."""
        Spec.checked += 1
        method = method.lower()
        assert resp.headers.get("X-Request-Id"), "every response carries X-Request-Id"
        tmpl = next((t for rx, t in self.paths if rx.match(url_path)), None)
        problem = {"$ref": "#/components/schemas/Problem"}
        if method == "options":
            assert resp.status_code in (204, 404)
            return
        if tmpl is None or resp.status_code in (405, 414, 413) and (
                tmpl is None or method not in self.doc["paths"][tmpl]):
            # Unknown paths and methods: the generic problem shape.
            if resp.status_code >= 400:
                assert resp.headers["Content-Type"].startswith("application/problem+json")
                self.validate_schema(problem, resp.json(), f"{method} {url_path}")
            return
        op = self.doc["paths"][tmpl].get("get" if method == "head" else method)
        assert op is not None, f"{method} {tmpl} is not in openapi.yaml"
        entry = op["responses"].get(str(resp.status_code))
        assert entry is not None, f"{resp.status_code} is not documented for {method} {tmpl}"
        entry = self.resolve(entry)
        # Declared headers are sent (those marked required: false may be left out).
        for hname, hdef in (entry.get("headers") or {}).items():
            hdef = self.resolve(hdef)
            if hdef.get("required", True) and method != "head":
                assert hname in resp.headers, \
                    f"{method} {tmpl} {resp.status_code} lacks the declared header {hname}"
        content = entry.get("content")
        if method == "head" or not content:
            if method != "head":
                assert resp.content == b"", f"{method} {tmpl} {resp.status_code} has a body"
            return
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        assert ctype in content, f"{ctype} is not documented for {method} {tmpl}"
        if not ctype.endswith("json"):
            assert resp.content, f"{method} {tmpl}: empty {ctype} body"
            return
        self.validate_schema(content[ctype]["schema"], resp.json(),
                             f"{method} {tmpl} {resp.status_code}")


@pytest.fixture(scope="session")
def spec():
    return Spec()


class Api:
    """requests with the daemon's base URL; checks every response against the spec."""

    def __init__(self, base, spec, token=None):
        self.base, self.spec, self.token = base, spec, token
        self.session = requests.Session()

    def as_key(self, token):
        return Api(self.base, self.spec, token)

    def request(self, method, path, token=..., **kw):
        headers = dict(kw.pop("headers", {}) or {})
        tok = self.token if token is ... else token
        if tok:
            headers.setdefault("Authorization", f"Bearer {tok}")
        resp = self.session.request(method, self.base + path, headers=headers, timeout=30, **kw)
        self.spec.check(method, path.split("?")[0], resp)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(daemon, spec):
    return Api(daemon.base, spec)


@pytest.fixture
def admin(api, admin_token):
    return api.as_key(admin_token)


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def unique(name):
    return f"{name} {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def demo(daemon, admin_token):
    """The domain.md examples, loaded through the public API only."""
    load_demo.load(daemon.base, admin_token)
    api = load_demo.Api(daemon.base, admin_token)
    sites = {s["name"]: s for s in api.all("/v1/sites")}
    offers = {o["title"]: o for o in api.all("/v1/offers")}
    partners = {p["name"]: p for p in api.all("/v1/partners")}
    return {"sites": sites, "offers": offers, "partners": partners}
