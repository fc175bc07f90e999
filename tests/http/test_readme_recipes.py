"""Issue 30: the administrator recipes run top to bottom on an empty database.

The `sh` blocks of docs/administration.md's "Administrator tasks with curl" section are taken as
they are written and run in order by bash (-e, pipefail) against a daemon on a fresh database, with a
`curl` that fails on any HTTP error (--fail-with-body): a recipe that drifts from the API, or
depends on data it did not make, fails here.
"""
import os
import re
import stat
import subprocess

import requests

from conftest import BUILD, ROOT, Daemon, assert_clean_exit, migrate

SECTION = "## Administrator tasks with curl"


def recipes():
    text = (ROOT / "docs" / "administration.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end > 0 else len(text)]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) >= 2, "First setup and the everyday tasks"
    return blocks


def test_the_first_setup_comes_first_and_in_order():
    first = recipes()[0]
    order = [first.index(s) for s in ("create-admin-key", "/v1/partners",
                                      '\\"role\\": \\"partner\\"', "/v1/sites", "/v1/offers")]
    assert order == sorted(order), "admin key, partner, partner key, site, offer"
    assert "uuidgen" not in "".join(recipes())


def test_the_recipes_run_top_to_bottom_on_an_empty_database(fresh_db, tmp_path):
    assert migrate(fresh_db, "up").returncode == 0
    work = tmp_path / "work"
    (work / "build").mkdir(parents=True)
    (work / "build" / "stekd").symlink_to(BUILD / "stekd")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "curl.log"
    real = subprocess.run(["which", "curl"], capture_output=True, text=True).stdout.strip()
    wrapper = bindir / "curl"
    wrapper.write_text(f"""#!/usr/bin/env bash
# Every recipe's request must succeed: an HTTP error ends the run (set -e in the script).
echo "curl $*" >> {log}
exec {real} --fail-with-body "$@"
""")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    script = work / "recipes.sh"
    script.write_text("\n".join(recipes()))
    d = Daemon(fresh_db, tmp_path, STEK_WRITES_PER_MINUTE=0)
    try:
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", DATABASE_URL=fresh_db,
                   BASE=d.base)
        run = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=work, env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, (run.stderr[-3000:], log.read_text()[-2000:])
        # What the first setup made is there, and the residents are told what it said.
        offers = requests.get(d.base + "/v1/offers", params={"municipality": "Kalmthout",
                                                               "limit": 50}, timeout=10).json()
        titles = {o["title"]: o for o in offers["items"]}
        assert {"Ontmoetingsmoment", "Fietsbieb", "Sociale kruidenier"} <= set(titles)
        assert titles["Ontmoetingsmoment"]["free"] is True
        assert titles["Sociale kruidenier"]["free"] is None  # said nothing: unknown
        assert (work / "december.html").stat().st_size > 1000
        assert "BEGIN:VCALENDAR" in (work / "kalmthout.ics").read_text()
        assert log.read_text().count("curl ") >= 60
    finally:
        assert_clean_exit(*d.stop())
