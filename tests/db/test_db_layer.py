"""The db/ functions against a real PostgreSQL, without HTTP (tests/db/db_test.c)."""
import re
import subprocess

from conftest import BUILD, ROOT, migrate


def test_the_database_layer_on_a_migrated_database(fresh_db):
    assert migrate(fresh_db, "up").returncode == 0
    out = subprocess.run([str(BUILD / "db-tests"), fresh_db], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    print(out.stdout)
    result = re.search(r"^db: (\d+) passed, (\d+) failed$", out.stdout, re.M)
    assert result, out.stdout + out.stderr
    assert int(result.group(2)) == 0 and int(result.group(1)) >= 25, out.stdout
    assert out.returncode == 0, out.stderr
    # Sanitizers report on stderr; a leak or UB report fails the tier.
    assert "ERROR: " not in out.stderr and "runtime error" not in out.stderr, out.stderr
