"""stek-migrate against a real PostgreSQL, and the schema's own constraints."""
import hashlib
import os
import shutil
import subprocess
import threading

import pytest

from conftest import BUILD, ROOT, cli, migrate, psql

MIGRATIONS = sorted((ROOT / "migrations").glob("*.sql"))


def test_up_applies_every_file_and_records_it(fresh_db):
    out = migrate(fresh_db, "up")
    assert out.returncode == 0, out.stderr
    rows = psql(fresh_db, "SELECT version, name, checksum, applied_by <> '', execution_ms >= 0"
                          " FROM schema_migrations ORDER BY version").splitlines()
    assert len(rows) == len(MIGRATIONS)
    for row, path in zip(rows, MIGRATIONS):
        version, name, checksum, by, ms = row.split("|")
        assert int(version) == int(path.name.split("_")[0])
        assert name == path.name
        assert checksum == hashlib.sha256(path.read_bytes()).hexdigest()
        assert by == "t" and ms == "t"
    again = migrate(fresh_db, "up")
    assert again.returncode == 0 and "up to date" in again.stdout


def test_status_lists_applied_and_pending(fresh_db, tmp_path):
    shutil.copytree(ROOT / "migrations", tmp_path / "m")
    (tmp_path / "m" / "9000_later.sql").write_text("CREATE TABLE later (x int);\n")
    before = migrate(fresh_db, "status", dir=tmp_path / "m")
    assert before.returncode == 0
    assert "pending" in before.stdout and "applied " not in before.stdout
    assert migrate(fresh_db, "up", dir=ROOT / "migrations").returncode == 0
    after = migrate(fresh_db, "status", dir=tmp_path / "m")
    assert after.returncode == 0
    lines = {l.split()[1]: l.split()[2] for l in after.stdout.splitlines()[1:]}
    assert lines["0001_core.sql"] == "applied"
    assert lines["9000_later.sql"] == "pending"


def test_changed_or_missing_applied_file_fails_verify_and_up(fresh_db, tmp_path):
    mdir = tmp_path / "m"
    shutil.copytree(ROOT / "migrations", mdir)
    assert migrate(fresh_db, "up", dir=mdir).returncode == 0
    assert migrate(fresh_db, "verify", dir=mdir).returncode == 0
    with open(mdir / "0001_core.sql", "a") as f:
        f.write("\n-- edited after it was applied\n")
    for cmd in ("verify", "up"):
        out = migrate(fresh_db, cmd, dir=mdir)
        assert out.returncode != 0
        assert "0001_core.sql changed" in out.stderr
    (mdir / "0001_core.sql").unlink()
    out = migrate(fresh_db, "verify", dir=mdir)
    assert out.returncode != 0 and "0001_core.sql is missing" in out.stderr


def test_failing_file_is_rolled_back_and_stops_the_run(fresh_db, tmp_path):
    mdir = tmp_path / "m"
    mdir.mkdir()
    (mdir / "0001_a.sql").write_text("CREATE TABLE a (x int);\n")
    (mdir / "0002_b.sql").write_text("CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\n"
                                     "SELECT * FROM no_such_table;\n")
    (mdir / "0003_c.sql").write_text("CREATE TABLE c (x int);\n")
    out = migrate(fresh_db, "up", dir=mdir)
    assert out.returncode != 0
    assert "0002_b.sql failed at line 3" in out.stderr
    assert 'relation "no_such_table" does not exist' in out.stderr
    assert psql(fresh_db, "SELECT to_regclass('a') IS NOT NULL, to_regclass('b') IS NOT NULL,"
                          " to_regclass('c') IS NOT NULL") == "t|f|f"
    assert psql(fresh_db, "SELECT string_agg(name, ',') FROM schema_migrations") == "0001_a.sql"


def test_no_transaction_marker_allows_create_index_concurrently(fresh_db, tmp_path):
    mdir = tmp_path / "m"
    mdir.mkdir()
    (mdir / "0001_t.sql").write_text("CREATE TABLE t (x int);\n")
    (mdir / "0002_idx.sql").write_text("-- stek:no-transaction\n"
                                       "CREATE INDEX CONCURRENTLY t_x ON t (x);\n")
    out = migrate(fresh_db, "up", dir=mdir)
    assert out.returncode == 0, out.stderr
    assert psql(fresh_db, "SELECT to_regclass('t_x') IS NOT NULL") == "t"
    # Without the marker PostgreSQL refuses it, and the runner says so.
    (mdir / "0003_idx.sql").write_text("CREATE INDEX CONCURRENTLY t_x2 ON t (x);\n")
    out = migrate(fresh_db, "up", dir=mdir)
    assert out.returncode != 0 and "0003_idx.sql failed" in out.stderr


def test_two_runners_at_once_apply_each_file_once(fresh_db, tmp_path):
    mdir = tmp_path / "m"
    shutil.copytree(ROOT / "migrations", mdir)
    # A slow file widens the window in which the two runners overlap.
    (mdir / "9000_slow.sql").write_text("SELECT pg_sleep(0.5);\nCREATE TABLE slow (x int);\n")
    env = dict(os.environ, DATABASE_URL=fresh_db)
    cmd = [str(BUILD / "stek-migrate"), "--dir", str(mdir), "up"]
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    counts = psql(fresh_db, "SELECT count(*), count(DISTINCT version) FROM schema_migrations")
    assert counts == f"{len(MIGRATIONS) + 1}|{len(MIGRATIONS) + 1}"


def test_clear_messages_without_or_with_unreachable_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    out = subprocess.run([str(BUILD / "stek-migrate"), "up"], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "DATABASE_URL is not set" in out.stderr
    out = migrate("postgresql://nobody@127.0.0.1:1/none", "status")
    assert out.returncode != 0 and "cannot connect to the database" in out.stderr
    out = subprocess.run([str(BUILD / "stekd")], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "DATABASE_URL is not set" in out.stderr


def test_badly_named_file_is_refused(fresh_db, tmp_path):
    (tmp_path / "1_Bad-Name.sql").write_text("SELECT 1;\n")
    out = migrate(fresh_db, "up", dir=tmp_path)
    assert out.returncode != 0 and "1_Bad-Name.sql" in out.stderr


def test_stekd_refuses_a_schema_that_is_behind(fresh_db, tmp_path):
    mdir = tmp_path / "none"
    mdir.mkdir()
    psql(fresh_db, "CREATE TABLE schema_migrations (version bigint PRIMARY KEY)")
    out = cli(fresh_db)
    assert out.returncode != 0
    assert "schema is behind" in out.stderr or "stek-migrate up" in out.stderr
    out = cli(fresh_db, "create-admin-key", "x")
    assert out.returncode != 0 and "stek-migrate up" in out.stderr


def test_a_schema_ahead_is_accepted_only_when_marked_compatible(fresh_db, tmp_path):
    """README "Upgrading": the release before keeps serving while the schema moves on, when
    each newer migration says so (-- stek:compatible), recorded by stek-migrate."""
    mdir = tmp_path / "m"
    shutil.copytree(ROOT / "migrations", mdir)
    (mdir / "9001_expand.sql").write_text("-- stek:compatible\n-- adds only\n"
                                         "CREATE TABLE later_expand (id int);\n")
    (mdir / "9002_contract.sql").write_text("-- drops what an older daemon reads\n"
                                           "CREATE TABLE later_contract (id int);\n")
    assert migrate(fresh_db, "up", dir=mdir).returncode == 0
    assert psql(fresh_db, "SELECT string_agg(name || '=' || compatible, ',' ORDER BY version)"
                          " FROM schema_migrations WHERE version > 9000") == \
        "9001_expand.sql=true,9002_contract.sql=false"
    assert psql(fresh_db, "SELECT bool_and(compatible) FROM schema_migrations"
                          " WHERE name = '0028_search.sql'") == "t"
    out = cli(fresh_db, "create-admin-key", "x")
    assert out.returncode != 0 and "9002_contract.sql is not marked compatible" in out.stderr
    psql(fresh_db, "DELETE FROM schema_migrations WHERE version = 9002")
    out = cli(fresh_db, "create-admin-key", "x")
    assert out.returncode == 0, out.stderr


def test_schema_constraints_hold_without_the_daemon(fresh_db):
    assert migrate(fresh_db, "up").returncode == 0
    bad = [
        "INSERT INTO partners (name, kind, email) VALUES ('A', 'welfare', 'not an address')",
        "INSERT INTO partners (name, kind) VALUES (' padded', 'welfare')",
        "INSERT INTO partners (name, kind, website) VALUES ('B', 'welfare', 'javascript:x')",
        "INSERT INTO api_keys (name, role, prefix, token_hash)"
        " VALUES ('k', 'partner', 'stek_00000000', repeat('a', 64))",
        "INSERT INTO api_keys (name, role, prefix, token_hash)"
        " VALUES ('k', 'root', 'stek_00000000', repeat('a', 64))",
        "INSERT INTO audit_log (action, entity, entity_id) VALUES ('steal', 'partner', 'x')",
    ]
    for sql in bad:
        with pytest.raises(RuntimeError, match="violates"):
            psql(fresh_db, sql)
    psql(fresh_db, "INSERT INTO partners (name, kind) VALUES ('SAAMO', 'welfare')")
    with pytest.raises(RuntimeError, match="partners_name_key"):
        psql(fresh_db, "INSERT INTO partners (name, kind) VALUES ('saamo', 'welfare')")


def test_help_version_and_bad_configuration(db_url):
    for prog in ("stekd", "stek-migrate"):
        out = subprocess.run([str(BUILD / prog), "--version"], capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout.startswith(prog + " ")
        out = subprocess.run([str(BUILD / prog), "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "usage:" in out.stdout
    out = subprocess.run([str(BUILD / "stekd")], capture_output=True, text=True,
                         env=dict(os.environ, DATABASE_URL=db_url, STEK_PORT="99999"))
    assert out.returncode == 2 and "STEK_PORT must be a whole number" in out.stderr
    out = subprocess.run([str(BUILD / "stekd"), "serve-please"], capture_output=True, text=True)
    assert out.returncode == 2 and "unknown argument" in out.stderr
