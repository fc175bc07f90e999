#!/usr/bin/env python3
"""Renders openapi.yaml as compact JSON inside a C file, with a strong ETag."""
import hashlib
import json
import sys

import yaml

src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    spec = yaml.safe_load(f)
data = json.dumps(spec, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
with open(out, "w", encoding="ascii") as f:
    f.write('#include "stek/embedded.h"\n\n')
    f.write("const char stek_openapi_json[] = {\n")
    for i in range(0, len(data), 16):
        f.write("    " + ", ".join(str(b) for b in data[i:i + 16]) + ",\n")
    f.write("    0};\n")
    f.write("const size_t stek_openapi_json_len = %d;\n" % len(data))
    f.write("const char stek_openapi_etag[] = %s;\n" % json.dumps(etag))
