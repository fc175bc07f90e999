"""The widget on a host page of another origin, and the public page, in Debian's Chromium.

tests/browser/widget.test.mjs (playwright-core, axe-core from tests/node_modules) does the
browsing; this module starts what it needs: a daemon of its own on the demo data (the last
check stops it), an exception that cancels next Thursday's "Open Leersalon", and the host
page on another origin. Each check of the script is one test here. Screenshots: build/screenshots/.
"""
import datetime as dt
import http.server
import os
import re
import shutil
import subprocess
import threading
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import ROOT, Daemon, assert_clean_exit, free_port

SCRIPT = ROOT / "tests" / "browser" / "widget.test.mjs"
CHECKS = re.findall(r'await check\("([^"]+)"', SCRIPT.read_text())

pytestmark = pytest.mark.timing  # a browser under valgrind is not worth the wait


def next_thursday():
    today = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
    return today + dt.timedelta(days=(3 - today.weekday()) % 7)


def add_signals(base, admin_token, demo):
    """Signals of Kalmthout last month for the advocacy view: some above k, one below."""
    import uuid
    auth = {"Authorization": "Bearer " + admin_token}
    p = requests.post(f"{base}/v1/partners", headers=auth, timeout=10,
                      json={"name": "Browser signals " + uuid.uuid4().hex[:6], "kind": "welfare"})
    k = requests.post(f"{base}/v1/keys", headers=auth, timeout=10,
                      json={"name": "app", "role": "partner", "partner_id": p.json()["id"]})
    key = {"Authorization": "Bearer " + k.json()["token"]}
    site = demo["sites"]["Kantine Bezemheide"]["id"]
    today = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
    day = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=3).isoformat()
    items = []
    for kind, theme, n in (("barrier", "energy", 12), ("barrier", "digital", 7),
                           ("barrier", "mobility", 3), ("referral", "forms_and_bills", 8)):
        items += [{"kind": kind, "theme": theme, "site_id": site, "occurred_on": day,
                   "idempotency_key": uuid.uuid4().hex} for _ in range(n)]
    r = requests.post(f"{base}/v1/signals/batch", headers=key, json={"signals": items}, timeout=30)
    assert r.status_code == 201, r.text
    energy = [x["id"] for x in r.json()["items"] if x["theme"] == "energy"]
    for sid in energy[:6]:
        assert requests.patch(f"{base}/v1/signals/{sid}", headers=auth, timeout=10, json={
            "status": "raised", "raised_with": "Gemeenteraad Kalmthout"}).status_code == 200
    for sid in energy[:2]:
        assert requests.patch(f"{base}/v1/signals/{sid}", headers=auth, timeout=10, json={
            "status": "answered", "answer": "De energiepremie krijgt een loket op papier.",
            "answer_public": True}).status_code == 200


@pytest.fixture(scope="module")
def browser_run(demo, daemon, admin_token, db_url, tmp_path_factory):
    offer = demo["offers"]["Open Leersalon"]["id"]
    r = requests.post(f"{daemon.base}/v1/offers/{offer}/exceptions", timeout=10,
                      headers={"Authorization": "Bearer " + admin_token},
                      json={"date": next_thursday().isoformat(), "status": "cancelled",
                            "note": "Vrijwilligersdag: geen leersalon"})
    assert r.status_code in (201, 409), r.text
    add_signals(daemon.base, admin_token, demo)
    tmp = tmp_path_factory.mktemp("browser")
    d = Daemon(db_url, tmp)
    site = tmp / "site"
    site.mkdir()
    (site / "host.html").write_text(
        (ROOT / "tests" / "browser" / "host.html").read_text().replace("{{API}}", d.base))
    port = free_port()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), partial(http.server.SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shots = ROOT / "build" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    env = dict(os.environ, STEK_API=d.base, STEK_HOST=f"http://localhost:{port}/host.html",
               STEK_API_PID=str(d.proc.pid), STEK_SHOTS=str(shots),
               NODE_PATH=str(ROOT / "tests" / "node_modules"))
    try:
        out = subprocess.run(["node", str(SCRIPT)], capture_output=True, text=True, env=env,
                             cwd=ROOT / "tests", timeout=300)
    finally:
        server.shutdown()
        code, log = d.stop()
    print(out.stdout, out.stderr[-3000:])
    assert_clean_exit(code, log)
    results = {}
    for line in out.stdout.splitlines():
        for name in CHECKS:
            for status in ("ok", "FAIL"):
                if line == f"{status} {name}" or line.startswith(f"{status} {name}: "):
                    results[name] = (status, line[len(status) + len(name) + 3:])
    return results, out


@pytest.mark.parametrize("check", CHECKS)
def test_in_the_browser(browser_run, check):
    results, out = browser_run
    assert check in results, "the browser script did not get here:\n" + out.stdout[-2000:] + \
        out.stderr[-2000:]
    status, why = results[check]
    assert status == "ok", why


def test_screenshots_are_saved_for_review(browser_run):
    shots = ROOT / "build" / "screenshots"
    for name in ("public-page-phone", "public-page-desktop", "public-page-print",
                 "widget-on-host-phone", "widget-on-host-desktop", "widget-api-down",
                 "month-bezemheide", "stats-desktop", "stats-print"):
        assert (shots / f"{name}.png").stat().st_size > 1000, name
