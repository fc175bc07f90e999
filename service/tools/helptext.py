"""Reads the programs' own --help, the one source of their usage and environment variables:
for the man pages and stek.env (debian/generate.py) and docs/configuration.md
(service/tools/gen_configuration.py)."""
import re
import subprocess
from pathlib import Path


def helptext(build, prog):
    """The --help text of build/prog (stdout and stderr)."""
    out = subprocess.run([str(Path(build) / prog), "--help"], capture_output=True, text=True,
                         env={"DATABASE_URL": "unused", "PATH": "/usr/bin:/bin"})
    return out.stdout + out.stderr


def environment(text):
    """[(NAME, description, default)] from the help's environment list."""
    items, cur = [], None
    for line in text.split("\n"):
        m = re.match(r"^  ([A-Z_]+)\s+(.*)$", line)
        if m:
            cur = [m.group(1), m.group(2).strip()]
            items.append(cur)
        elif cur and re.match(r"^\s{20,}\S", line):
            cur[1] += " " + line.strip()
    out = []
    for name, desc in items:
        d = re.search(r"\(default:? ([^)]*)\)\s*$", desc)
        default = d.group(1) if d else ""
        desc = desc[:d.start()].strip() if d else desc
        out.append((name, desc, default))
    return out
