"""PgBouncer (Debian's 1.18) in front of PostgreSQL (issue 18): the daemon prepares its statements
once per connection and listens for notifications, so PgBouncer must run in session mode (a
server connection stays with its client); version 1.18 cannot keep prepared statements in
transaction mode (1.21's max_prepared_statements can). Everything a daemon does works through it:
writes, the feed, signals, a key revoked on one daemon refused at once by another."""
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlparse

import pytest
import requests

from conftest import PG, Daemon, assert_clean_exit, free_port, wait_until

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def word():
    """A unique word for names (letters only: digits could read as a phone number)."""
    return uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


@pytest.fixture
def bouncer(own_db):
    folder = tempfile.mkdtemp(prefix="stek-bouncer-", dir="/tmp")
    os.chmod(folder, 0o755)
    port, server, dbname = free_port(), urlparse(PG), own_db.url.rsplit("/", 1)[1]
    with open(os.path.join(folder, "users.txt"), "w") as f:
        f.write('"postgres" ""\n')
    ini = os.path.join(folder, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write(f"""[databases]
{dbname} = host={server.hostname} port={server.port} dbname={dbname}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 40
logfile = {folder}/pgbouncer.log
""")
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        for name in os.listdir(folder):
            shutil.chown(os.path.join(folder, name), "postgres", "postgres")
    cmd = [PGBOUNCER, ini]
    proc = subprocess.Popen(["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0
                            else cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/{dbname}"
        wait_until(lambda: proc.poll() is None and subprocess.run(
            ["psql", url, "-Xqtc", "SELECT 1"], capture_output=True, timeout=10).returncode == 0,
            15, "pgbouncer answers")
        yield url, own_db.token, folder
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def test_everything_works_through_pgbouncer_in_session_mode(bouncer):
    url, token, folder = bouncer
    a = Daemon(url, folder, STEK_DB_CONNECTIONS=4)
    b = Daemon(url, folder, STEK_DB_CONNECTIONS=4)
    try:
        h = {"Authorization": "Bearer " + token}
        p = requests.post(a.base + "/v1/partners", headers=h, timeout=10,
                          json={"name": f"Bouncer {word()}", "kind": "welfare"})
        assert p.status_code == 201, p.text
        town = f"Bouncerdorp {word()}"
        s = requests.post(a.base + "/v1/sites", headers=h, timeout=10, json={
            "name": town, "address": {"street": "Straat 1", "postal_code": "2990",
                                      "municipality": town}})
        assert s.status_code == 201, s.text
        day = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400 * 3))
        o = requests.post(a.base + "/v1/offers", headers=h, timeout=10, json={
            "title": "Via PgBouncer", "site_id": s.json()["id"], "partner_id": p.json()["id"],
            "functions": ["meeting"],
            "schedules": [{"dtstart": day, "start_time": "10:00", "end_time": "11:00"}]})
        assert o.status_code == 201, o.text
        # the other daemon's feed follows within a second (LISTEN through the bouncer)
        feed = f"{b.base}/v1/feed?municipality={town}&from={day}&to={day}"
        wait_until(lambda: requests.get(feed, timeout=5).json()["items"], 3,
                   "the write reaches the other daemon's feed")
        k = requests.post(a.base + "/v1/keys", headers=h, timeout=10, json={
            "name": "app", "role": "partner", "partner_id": p.json()["id"]}).json()
        ph = {"Authorization": "Bearer " + k["token"], "Idempotency-Key": uuid.uuid4().hex}
        sig = requests.post(b.base + "/v1/signals", headers=ph, timeout=10, json={
            "kind": "barrier", "theme": "mobility", "site_id": s.json()["id"],
            "occurred_on": time.strftime("%Y-%m-%d")})
        assert sig.status_code == 201, sig.text
        assert requests.delete(f"{a.base}/v1/keys/{k['id']}", headers=h,
                               timeout=10).status_code == 204
        ph["Idempotency-Key"] = uuid.uuid4().hex
        assert requests.get(b.base + "/v1/signals", headers=ph, timeout=10).status_code == 401
        for _ in range(50):  # many requests over the pooled server connections
            assert requests.get(a.base + "/v1/partners?limit=5", timeout=5).status_code == 200
    finally:
        for d in (a, b):
            assert_clean_exit(*d.stop())
