#!/usr/bin/env python3
"""Embeds the public page and the widget into the daemon: raw and gzip bodies, strong ETags;
and, never served, the page templates (service/web/templates/) and the word catalogue
(service/web/words.json), whose words of the widget and the public page are also written into
widget.js, page.js and stats.js at {{words:widget}}, {{words:page}} and {{words:stats}}.

Each asset is served at /assets/NAME.HASH.EXT (cached for a year: its name changes with its
content); the widget also at /widget.js and the page at / (both revalidated often, since
their names never change). {{asset:NAME}} in the page becomes that versioned path.
"""
import gzip
import json
import hashlib
import re
import sys
from pathlib import Path

TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json"}
# name -> the stable path it is also served at (None: only the versioned one)
ASSETS = [("widget.js", "/widget.js"), ("page.js", None), ("page.css", None),
          ("stats.js", None), ("index.html", "/"), ("stats.html", "/stats"),
          ("hsds-profile.json", "/hsds/profile")]


def c_bytes(data):
    rows = [", ".join(str(b) for b in data[i:i + 20]) for i in range(0, len(data), 20)]
    return "{\n    " + ",\n    ".join(rows + ["0"]) + "}"


def words_of(src, part):
    """{lang: {the script's key: word}} of the catalogue's part (widget, page, stats), as
    JavaScript (JSON)."""
    cat = json.loads((src / "words.json").read_text())
    out = {lang: {k: cat["words"][key][lang] for k, key in cat[part].items()}
           for lang in cat["languages"]}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    versioned = {}
    entries = []
    for name, stable in ASSETS:
        data = re.sub(rb"\{\{words:(\w+)\}\}", lambda m: words_of(src, m.group(1).decode()),
                      (src / name).read_bytes())
        data = re.sub(rb"\{\{asset:([\w.]+)\}\}", lambda m: versioned[m.group(1).decode()].encode(),
                      data)
        digest = hashlib.sha256(data).hexdigest()
        stem, ext = name.rsplit(".", 1)
        versioned[name] = f"/assets/{stem}.{digest[:12]}.{ext}"
        entries.append((name, stable, versioned[name], TYPES["." + ext], data,
                        gzip.compress(data, compresslevel=9, mtime=0), digest[:32]))
    with open(out, "w", encoding="ascii") as f:
        f.write('#include "stek/embedded.h"\n\n')
        for i, (_, _, _, _, data, gz, _) in enumerate(entries):
            f.write(f"static const unsigned char body{i}[] = {c_bytes(data)};\n")
            f.write(f"static const unsigned char gz{i}[] = {c_bytes(gz)};\n")
        f.write("const struct stek_asset stek_assets[] = {\n")
        for i, (name, stable, ver, ctype, data, gz, etag) in enumerate(entries):
            stable_c = f'"{stable}"' if stable else "NULL"
            f.write(f'    {{"{name}", {stable_c}, "{ver}", "{ctype}", body{i}, {len(data)}, gz{i},'
                    f' {len(gz)}, "{etag}"}},\n')
        f.write("    {NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL},\n};\n")
        # Templates (never served) and the word catalogue, as C strings.
        templates = sorted((src / "templates").glob("*.html"))
        for i, t in enumerate(templates):
            f.write(f"static const unsigned char tmpl{i}[] = {c_bytes(t.read_bytes())};\n")
        f.write("const struct stek_template stek_templates[] = {\n")
        for i, t in enumerate(templates):
            f.write(f'    {{"{t.name}", (const char *)tmpl{i}}},\n')
        f.write("    {NULL, NULL},\n};\n")
        words = (src / "words.json").read_bytes()
        f.write(f"static const unsigned char words[] = {c_bytes(words)};\n")
        f.write("const char *const stek_words_json = (const char *)words;\n")


main()
