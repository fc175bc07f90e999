"""Read replicas (issue 18): a primary and a streaming replica made with pg_basebackup -R, both
private clusters on Unix sockets in a folder of this test, the replica held 1.5 s behind with
recovery_min_apply_delay (loopback is too fast to show staleness), and two daemons reading from
it. Read-your-writes through Stek-LSN / Stek-Read-After, the feed never older than what it
showed, a replica that dies or comes back, and the primary's loss and a promotion."""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import random
import string

import pytest
import requests

from conftest import BIN, BUILD, Cluster, Daemon, as_postgres, assert_clean_exit, metric, wait_until

DELAY_MS = 1500


def tag():
    """A unique word for names (letters only: digits could read as a phone number)."""
    return "".join(random.choices(string.ascii_lowercase, k=10))


@pytest.fixture(scope="module")
def pair():
    folder = tempfile.mkdtemp(prefix="stek-repl-", dir="/tmp")
    os.chmod(folder, 0o755)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary, replica = Cluster(folder, "primary"), Cluster(folder, "replica")
    try:
        out = as_postgres(f"{BIN}/initdb", "-D", primary.data, "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--locale=C.UTF-8")
        assert out.returncode == 0, out.stderr
        primary.start()
        primary.psql("CREATE DATABASE stek", db="postgres")
        mig = subprocess.run([str(BUILD / "stek-migrate"), "up"], capture_output=True, text=True,
                             env=dict(os.environ, DATABASE_URL=primary.uri()), timeout=60)
        assert mig.returncode == 0, mig.stderr
        out = as_postgres(f"{BIN}/pg_basebackup", "-D", replica.data, "-R", "-X", "stream", "-c", "fast",
                          "-h", folder, "-p", str(primary.port), "-U", "postgres")
        assert out.returncode == 0, out.stderr
        with open(os.path.join(replica.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"recovery_min_apply_delay = '{DELAY_MS}ms'\n")
        replica.start()
        yield primary, replica, folder
    finally:
        replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def daemons(pair):
    primary, replica, folder = pair
    # The primary by both hosts, the first writable one wins: after a promotion the daemons
    # find the new primary without a restart.
    url = (f"postgresql://postgres@/stek?host={folder},{folder}"
           f"&port={primary.port},{replica.port}&target_session_attrs=read-write")
    token = subprocess.run([str(BUILD / "stekd"), "create-admin-key", "replicas"],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, DATABASE_URL=url)).stdout.strip()
    env = dict(STEK_READ_URLS=replica.uri(), STEK_MAX_REPLICA_LAG=5, STEK_WRITES_PER_MINUTE=0,
               STEK_DB_CONNECTIONS=4)
    a, b = Daemon(url, folder, **env), Daemon(url, folder, **env)
    try:
        wait_for(lambda: state(a) == "in_rotation" and state(b) == "in_rotation", 15,
                 "the replica never joined the rotation")
        yield a, b, token
    finally:
        for d in (a, b):
            assert_clean_exit(*d.stop())


def state(d):
    try:
        r = requests.get(d.base + "/readyz", timeout=5)
        return r.json()["replicas"][0]["state"]
    except (requests.RequestException, KeyError, ValueError):
        return None


def wait_for(cond, seconds, why):
    """wait_until, answering when the condition first held."""
    wait_until(cond, seconds, why)
    return time.time()


def post_partner(d, token, name):
    r = requests.post(d.base + "/v1/partners", json={"name": name, "kind": "welfare"},
                      headers={"Authorization": "Bearer " + token}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["id"], r.headers["Stek-LSN"]


def test_public_reads_use_the_replica_and_writes_say_their_position(daemons):
    a, b, token = daemons
    r = requests.get(a.base + "/v1/partners", timeout=5)
    assert r.status_code == 200 and r.headers.get("Stek-Served-By") == "replica"
    ready = requests.get(a.base + "/readyz", timeout=5).json()
    assert ready["status"] == "ready" and ready["primary"] == "up"
    _, lsn = post_partner(a, token, f"Replica {tag()}")
    assert "/" in lsn


def test_every_write_is_read_back_through_the_other_daemon(daemons):
    a, b, token = daemons
    stale_without_token = 0
    for i in range(1000):
        w, rd = (a, b) if i % 2 == 0 else (b, a)
        pid, lsn = post_partner(w, token, f"RYW {i} {tag()}")
        if i < 20:  # the replica is 1.5 s behind: without the position it does not have it yet
            plain = requests.get(f"{rd.base}/v1/partners/{pid}", timeout=5)
            stale_without_token += plain.status_code == 404
        r = requests.get(f"{rd.base}/v1/partners/{pid}", headers={"Stek-Read-After": lsn},
                         timeout=5)
        assert r.status_code == 200, (i, r.status_code, r.text)
    # The replica was used, and was behind: the position is what makes the read right.
    assert stale_without_token > 0


def test_a_key_reads_its_own_writes_through_the_same_daemon_without_a_header(daemons):
    """Issue 30: an administrator with curl PATCHes and reads back through the same daemon."""
    a, b, token = daemons
    auth = {"Authorization": "Bearer " + token}
    pid, lsn = post_partner(a, token, f"Own {tag()}")
    wait_for(lambda: requests.get(f"{a.base}/v1/partners/{pid}", timeout=5).status_code == 200,
             10, "the replica never had the partner")
    stale_for_others = 0
    for i in range(6):
        name = f"Renamed {i} {tag()}"
        r = requests.patch(f"{a.base}/v1/partners/{pid}", json={"name": name}, headers=auth,
                           timeout=10)
        assert r.status_code == 200, r.text
        mine = requests.get(f"{a.base}/v1/partners/{pid}", headers=auth, timeout=10)
        assert mine.status_code == 200 and mine.json()["name"] == name, (i, mine.text)
        if i < 3:  # the replica is 1.5 s behind: a reader without the key sees the old name
            other = requests.get(f"{a.base}/v1/partners/{pid}", timeout=10)
            stale_for_others += other.json()["name"] != name
    assert stale_for_others > 0


def post_offer(d, token, town, title, day):
    """An offer on one day at a new site in town, by a new partner, made through daemon d."""
    site = requests.post(d.base + "/v1/sites", headers={"Authorization": "Bearer " + token},
                         timeout=10, json={"name": town, "address": {
                             "street": "Straat 1", "postal_code": "2990", "municipality": town}})
    assert site.status_code == 201, site.text
    partner, _ = post_partner(d, token, f"Partner {tag()}")
    o = requests.post(d.base + "/v1/offers", headers={"Authorization": "Bearer " + token},
                      timeout=10, json={
                          "title": title, "site_id": site.json()["id"], "partner_id": partner,
                          "functions": ["meeting"],
                          "schedules": [{"dtstart": day, "start_time": "10:00",
                                         "end_time": "11:00"}]})
    assert o.status_code == 201, o.text


def test_the_feed_never_goes_back_to_older_data(daemons):
    a, b, token = daemons
    town = f"Replicadorp {tag()}"
    day = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400 * 2))
    feed = f"{b.base}/v1/feed?municipality={town}&from={day}&to={day}"
    assert requests.get(feed, timeout=5).json()["items"] == []  # cached at this generation
    post_offer(a, token, town, "Nieuw", day)
    t0, seen = time.time(), None
    while time.time() - t0 < 3:  # the replica needs 1.5 s; the feed must not wait for it
        items = requests.get(feed, timeout=5).json()["items"]
        if items:
            seen = seen or time.time() - t0
        else:
            assert seen is None, "the feed showed the new offer, then older data again"
        time.sleep(0.05)
    assert seen is not None and seen < 1.0, f"visible after {seen} s"


def set_delay(replica, ms):
    conf = os.path.join(replica.data, "postgresql.auto.conf")
    lines = [l for l in open(conf) if not l.startswith("recovery_min_apply_delay")]
    with open(conf, "w") as f:
        f.writelines(lines + [f"recovery_min_apply_delay = '{ms}ms'\n"])
    out = as_postgres(f"{BIN}/pg_ctl", "reload", "-D", replica.data)
    assert out.returncode == 0, out.stderr


def test_the_feed_model_loads_from_a_replica_that_has_the_change(pair, daemons):
    """N daemons following a change must not all read the primary: the model's loader reads a
    replica once it has replayed the change (asked there), else the primary (the 1.5 s delay)."""
    primary, replica, folder = pair
    a, b, token = daemons
    set_delay(replica, 0)
    try:
        time.sleep(DELAY_MS / 1000 + 0.5)  # what was held back is replayed
        before = metric(a, "stek_feed_model_replica_loads_total")
        town = f"Replicastad {tag()}"
        day = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400 * 3))
        post_offer(a, token, town, "Van de replica", day)
        wait_for(lambda: metric(a, "stek_feed_model_replica_loads_total") > before, 10,
                 "the model never loaded from the replica")
        feed = f"{a.base}/v1/feed?municipality={town}&from={day}&to={day}"
        assert [i["title"] for i in requests.get(feed, timeout=5).json()["items"]] == ["Van de replica"]
    finally:
        set_delay(replica, DELAY_MS)


def test_a_dead_replica_leaves_the_rotation_and_comes_back(pair, daemons):
    primary, replica, folder = pair
    a, b, token = daemons
    errors, ok, stop = [], [0], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                r = requests.get(a.base + "/v1/partners?limit=5", timeout=5)
                if r.status_code == 200:
                    ok[0] += 1
                else:
                    errors.append(r.status_code)
            except requests.RequestException as e:
                errors.append(str(e))

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.5)
    killed = time.time()
    replica.stop("immediate")
    out = wait_for(lambda: state(a) == "unreachable", 10, "the dead replica stayed in rotation")
    time.sleep(1)
    stop.set()
    t.join()
    print(f"replica killed: out of rotation after {out - killed:.2f} s; reads {ok[0]} ok,"
          f" {len(errors)} failed")
    assert ok[0] > 0 and len(errors) <= 4, errors  # at most the reads in flight on it
    r = requests.get(a.base + "/v1/partners", timeout=5)
    assert r.status_code == 200 and "Stek-Served-By" not in r.headers
    replica.start()
    restarted = time.time()
    wait_for(lambda: state(a) == "in_rotation", 20, "the replica never came back")
    # each worker reconnects to it on its next read (after its connection's back-off)
    back = wait_for(lambda: requests.get(a.base + "/v1/partners", timeout=5).headers.get(
        "Stek-Served-By") == "replica", 20, "reads never went back to the replica")
    print(f"replica restarted: serving reads again after {back - restarted:.2f} s")


def test_primary_loss_keeps_reads_and_a_promotion_resumes_writes(pair, daemons):
    """The primary is killed under signal load and the replica promoted: with synchronous
    replication (a commit waits for the replica's flush) no acknowledged signal is lost."""
    primary, replica, folder = pair
    a, b, token = daemons
    h = {"Authorization": "Bearer " + token}
    primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
    primary.psql("SELECT pg_reload_conf()")
    pid, _ = post_partner(a, token, f"Signals {tag()}")
    site = requests.post(a.base + "/v1/sites", headers=h, timeout=10, json={
        "name": f"Failover {tag()}", "address": {
            "street": "Straat 1", "postal_code": "2990", "municipality": "Failover"}}).json()
    key = requests.post(a.base + "/v1/keys", headers=h, timeout=10, json={
        "name": "app", "role": "partner", "partner_id": pid}).json()["token"]
    acked, refused, stop = [], [], threading.Event()

    def writer(d):
        while not stop.is_set():
            try:
                r = requests.post(d.base + "/v1/signals", timeout=10, json={
                    "kind": "barrier", "theme": "mobility", "site_id": site["id"],
                    "occurred_on": time.strftime("%Y-%m-%d")},
                    headers={"Authorization": "Bearer " + key,
                             "Idempotency-Key": uuid.uuid4().hex})
                (acked.append(r.json()["id"]) if r.status_code == 201 else
                 refused.append(r.status_code))
            except requests.RequestException as e:
                refused.append(str(e))

    writers = [threading.Thread(target=writer, args=(d,)) for d in (a, b)]
    for t in writers:
        t.start()
    time.sleep(1.5)
    before = len(acked)
    primary.stop("immediate")
    killed = time.time()
    wait_for(lambda: requests.get(a.base + "/readyz", timeout=5).json().get("status") ==
             "read_only", 10, "readyz never said read_only")
    def read_only_reads():
        r = requests.get(a.base + "/v1/partners?limit=5", timeout=5)
        return r.status_code == 200 and r.headers.get("Stek-Primary") == "unavailable"

    wait_for(read_only_reads, 5, "public reads did not go on from the replica")
    w = requests.post(a.base + "/v1/partners", json={"name": "During", "kind": "welfare"},
                      headers=h, timeout=10)
    assert w.status_code == 503 and w.headers.get("Retry-After")
    promoted = time.time()
    out = as_postgres(f"{BIN}/pg_ctl", "promote", "-D", replica.data, "-w")
    assert out.returncode == 0, out.stderr

    def writes():
        r = requests.post(a.base + "/v1/partners", headers=h, timeout=10,
                          json={"name": f"After {tag()}", "kind": "welfare"})
        return r.status_code == 201

    back = wait_for(writes, 30, "writes never resumed after the promotion")
    for d in (a, b):  # reads through both daemons again (each worker reconnects on its own)
        wait_for(lambda: requests.get(d.base + "/v1/partners?limit=5", timeout=5).status_code
                 == 200, 10, "reads did not come back after the promotion")
    time.sleep(1)
    stop.set()
    for t in writers:
        t.join()
    print(f"primary killed under signal load ({before} signals acknowledged before):"
          f" writes resumed {back - promoted:.2f} s after pg_ctl promote,"
          f" {back - killed:.2f} s after the kill; {len(acked)} acknowledged in all,"
          f" {len(refused)} refused meanwhile")
    assert before > 0 and set(refused) <= {503} | {r for r in refused if isinstance(r, str)}
    ph = {"Authorization": "Bearer " + key}
    lost = [s for s in acked
            if requests.get(f"{a.base}/v1/signals/{s}", headers=ph, timeout=5).status_code != 200]
    assert lost == [], f"{len(lost)} of {len(acked)} acknowledged signals lost"
