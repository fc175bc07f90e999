"""kill -9 of the daemon and of PostgreSQL: nothing acknowledged is lost, nothing is doubled.

Runs tests/durability/kill9.py (its own cluster and daemon) for 3 cycles; the script runs
10 or more on its own. The negative control runs the database with synchronous_commit=off,
where a crash does lose acknowledged commits: the harness must see that, or it proves nothing.
"""
import re
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

# Deadlines in seconds: not run under valgrind (make memcheck).
pytestmark = pytest.mark.timing

SCRIPT = ROOT / "tests" / "durability" / "kill9.py"


def run(*args):
    out = subprocess.run([sys.executable, str(SCRIPT), "--build", str(BUILD), *args],
                         capture_output=True, text=True, timeout=300)
    print(out.stdout)
    verdict = re.search(r"acknowledged=(\d+) lost=(\d+) duplicated=(\d+) in_doubt=(\d+)",
                        out.stdout)
    assert verdict, out.stdout[-2000:] + out.stderr[-2000:]
    return out.returncode, [int(g) for g in verdict.groups()]


def test_kill_9_loses_and_doubles_nothing():
    code, (acked, lost, duplicated, in_doubt) = run("--cycles", "3")
    assert acked > 100  # the clients did work through the crashes
    assert (lost, duplicated, in_doubt) == (0, 0, 0)
    assert code == 0


def test_negative_control_without_synchronous_commit_reports_a_loss():
    code, (acked, lost, duplicated, _) = run("--cycles", "4", "--async-commit")
    assert acked > 100
    assert lost > 0 and code == 1
