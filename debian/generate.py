#!/usr/bin/env python3
"""Generates, from the programs' own --help (the one source, kept current with the code):
the man pages stekd.8 and stek-migrate.8, and /etc/stek/stek.env with every variable
commented out at its default. Usage: generate.py BUILD_DIR (writes into BUILD_DIR)."""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service" / "tools"))
from helptext import environment, helptext as helptext_of  # noqa: E402

build = Path(sys.argv[1])
version = re.search(r'"([^"]+)"', (Path(__file__).resolve().parent.parent / "include" / "stek"
                                   / "version.h").read_text().split("STEK_VERSION ")[1]).group(1)


def helptext(prog):
    return helptext_of(build, prog)


def roff(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l) if l.startswith((".", "'")) else l for l in s.split("\n"))


def man(prog, text, description, extra=""):
    usage, _, rest = text.partition("\n\n")
    lines = [f'.TH {prog.upper()} 8 "" "stek {version}" "System Administration"',
             ".SH NAME", f"{prog} \\- {description}",
             ".SH SYNOPSIS", ".nf", roff(usage.replace("usage: ", "")), ".fi",
             ".SH DESCRIPTION"]
    body = rest.split("\nenvironment:")[0].strip()
    for para in body.split("\n\n"):
        lines += [".PP", roff(para)]
    env = environment(text)
    if env:
        lines.append(".SH ENVIRONMENT")
        for name, desc, default in env:
            lines += [".TP", f"\\fB{name}\\fR", roff(desc + (f" (default {default})"
                                                             if default else ""))]
    lines += [extra, ".SH SEE ALSO",
              "stekd(8), stek\\-migrate(8), systemctl(1), journalctl(1);"
              " /usr/share/doc/stek; the OpenAPI document at /openapi.json."]
    return "\n".join(l for l in lines if l) + "\n"


stekd = helptext("stekd")
migrate = helptext("stek-migrate")
(build / "stekd.8").write_text(man("stekd", stekd, "the stek API daemon", "\n".join([
    ".SH FILES", ".TP", "/etc/stek/stek.env",
    "The configuration (systemd EnvironmentFile), readable by root and group stek.",
    ".SH SYSTEMD",
    "stekd.service runs it with Type=notify: READY=1 once it listens and the database is"
    " usable, STOPPING=1 on SIGTERM, and watchdog pings only while it is healthy"
    " (see STEK_WATCHDOG_STALL). Logs go to the journal, one JSON object per line:"
    " journalctl \\-u stekd \\-o cat."])))
(build / "stek-migrate.8").write_text(man("stek-migrate", migrate + "\n\nenvironment:\n"
                                          "  DATABASE_URL                 libpq URI or conninfo"
                                          " string (required)\n",
                                          "applies the stek database migrations", "\n".join([
    ".SH FILES", ".TP", "/usr/share/stek/migrations", "The migrations of this version."])))
env_lines = ["# stek configuration: read by stekd.service and stek-migrate (EnvironmentFile).",
             "# Every variable, commented out at its default; see stekd(8).", "",
             "# The database (required), e.g. a local PostgreSQL over its socket:",
             "DATABASE_URL=postgresql:///stek?host=/var/run/postgresql", ""]
for name, desc, default in environment(stekd):
    if name == "DATABASE_URL":
        continue
    if name == "STEK_SECRET_KEY_FILE":  # made by postinst: webhook secrets sealed at rest
        env_lines += [f"# {desc}", f"{name}=/etc/stek/secret.key", ""]
        continue
    if " " in default:  # not a value, a rule ("http:// + Host")
        env_lines += [f"# {desc} (default: {default})", f"#{name}=", ""]
    else:
        env_lines += [f"# {desc}", f"#{name}={default}", ""]
(build / "stek.env").write_text("\n".join(env_lines))
print("generated stekd.8, stek-migrate.8, stek.env in", build)
