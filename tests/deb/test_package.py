"""The Debian package (issue 21): built with dpkg-buildpackage and debhelper by `make deb`,
lintian without errors, the expected files, the extracted programs run, the systemd unit
verifies and scores 2.0 or lower in `systemd-analyze security`."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, migrate

OUT = ROOT / "build" / "deb-out"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    r = subprocess.run(["make", "--no-print-directory", "deb"], cwd=ROOT, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    deb = next(p for p in (ROOT / "build").glob("stek_*_*.deb") if "dbgsym" not in p.name)
    root = tmp_path_factory.mktemp("debroot")
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return deb, root


def test_lintian_reports_no_errors(package):
    report = (OUT / "lintian.txt").read_text()
    errors = [l for l in report.splitlines() if l.startswith("E:")]
    assert not errors, errors
    print("\nlintian:", [l for l in report.splitlines() if l[:2] in ("E:", "W:")] or "clean")


def test_the_package_holds_what_an_administrator_expects(package):
    deb, _ = package
    version = re.search(r'STEK_VERSION "([^"]+)"',
                        (ROOT / "include/stek/version.h").read_text()).group(1)
    assert deb.name.startswith(f"stek_{version}_")
    assert (ROOT / "debian/changelog").read_text().startswith(f"stek ({version})")
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    files = {line.split()[-1].lstrip("."): line.split()[0] for line in listing.splitlines()}
    for path in ("/usr/bin/stekd", "/usr/bin/stek-migrate", "/lib/systemd/system/stekd.service",
                 "/usr/share/man/man8/stekd.8.gz", "/usr/share/man/man8/stek-migrate.8.gz",
                 "/usr/share/doc/stek/changelog.gz", "/usr/share/doc/stek/copyright"):
        assert path in files, path
    for sql in (ROOT / "migrations").glob("*.sql"):
        assert f"/usr/share/stek/migrations/{sql.name}" in files, sql.name
    assert files["/etc/stek/stek.env"] == "-rw-r-----"
    control = subprocess.run(["dpkg-deb", "-e", str(deb), str(OUT / "control")], check=True)
    assert "/etc/stek/stek.env" in (OUT / "control" / "conffiles").read_text()
    postinst = (OUT / "control" / "postinst").read_text()
    assert "adduser --system" in postinst and "chmod 0640 /etc/stek/stek.env" in postinst
    # The key that seals webhook secrets: made once, owner-only, named in stek.env.
    assert "chmod 0600 /etc/stek/secret.key" in postinst and "/dev/urandom" in postinst


def test_the_extracted_programs_run_and_migrate(package, fresh_db):
    _, root = package
    env = dict(os.environ, DATABASE_URL=fresh_db)
    help_ = subprocess.run([str(root / "usr/bin/stekd"), "--help"], capture_output=True,
                           text=True, env=env)
    assert help_.returncode == 0 and "STEK_PORT" in help_.stdout
    up = subprocess.run([str(root / "usr/bin/stek-migrate"), "--dir",
                         str(root / "usr/share/stek/migrations"), "up"], capture_output=True,
                        text=True, env=env)
    assert up.returncode == 0, up.stderr
    status = subprocess.run([str(root / "usr/bin/stek-migrate"), "--dir",
                             str(root / "usr/share/stek/migrations"), "verify"], env=env)
    assert status.returncode == 0
    # One source: every variable of `stekd --help` is in stek.env and in the man page.
    names = re.findall(r"^  ([A-Z_]+) ", help_.stdout, re.M)
    env_file = (root / "etc/stek/stek.env").read_text()
    man = subprocess.run(["zcat", str(root / "usr/share/man/man8/stekd.8.gz")],
                         capture_output=True, text=True).stdout
    for name in names:
        assert name in env_file and name.replace("_", "_") in man, name
    assert "\nDATABASE_URL=" in env_file
    assert all(l.startswith("#") for l in env_file.splitlines()
               if l.startswith(("STEK_", "#STEK_")) and not l.startswith("DATABASE_URL")
               and l != "STEK_SECRET_KEY_FILE=/etc/stek/secret.key")
    assert "\nSTEK_SECRET_KEY_FILE=/etc/stek/secret.key\n" in env_file


def test_the_unit_verifies_and_is_sandboxed(package, tmp_path):
    _, root = package
    unit = (root / "lib/systemd/system/stekd.service").read_text()
    for line in ("Type=notify", "WatchdogSec=", "EnvironmentFile=/etc/stek/stek.env",
                 "Restart=on-failure", "ExecStartPre=/usr/bin/stek-migrate", "User=stek",
                 "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                 "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n"):
        assert line in unit, line
    # verify checks that the programs exist: point the unit at the extracted ones.
    (tmp_path / "stekd.service").write_text(unit.replace("/usr/", f"{root}/usr/"))
    v = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "stekd.service")],
                       capture_output=True, text=True)
    assert v.returncode == 0 and v.stderr.strip() == "", v.stderr
    s = subprocess.run(["systemd-analyze", "security", "--offline=true", f"--root={root}",
                        str(root / "lib/systemd/system/stekd.service")],
                       capture_output=True, text=True)
    score = float(re.search(r"Overall exposure level for stekd.service: ([0-9.]+)",
                            s.stdout).group(1))
    print(f"\nsystemd-analyze security: {score}")
    assert score <= 2.0
