"""An administrator editing offers at a steady rate (issue 29's bench): PATCHes the description
of random offers through one daemon, rate writes per second for the given seconds, on one
keep-alive connection. Prints: writes made, p50 and p99 of their answers in ms.

    writer.py BASE TOKEN RATE SECONDS IDS_FILE [FIELD]
"""
import http.client
import json
import random
import sys
import time
import urllib.parse

base, token, rate, seconds, ids_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
    float(sys.argv[4]), sys.argv[5]
ids = [line.strip() for line in open(ids_file) if line.strip()]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
rng = random.Random(29)
took = []
start = time.monotonic()
n = 0
while True:
    due = start + n / rate if rate > 0 else time.monotonic()
    now = time.monotonic()
    if due - start >= seconds:
        break
    if due > now:
        time.sleep(due - now)
    body = json.dumps({"description": f"Bewerkt {n}: koffie, vragen en formulieren"})
    t0 = time.monotonic()
    conn.request("PATCH", f"/v1/offers/{rng.choice(ids)}", body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    took.append((time.monotonic() - t0) * 1000)
    if r.status != 200:
        print(f"PATCH answered {r.status}", file=sys.stderr)
        sys.exit(1)
    n += 1
took.sort()
print(n, f"{took[len(took) // 2]:.2f}", f"{took[int(len(took) * 0.99)]:.2f}")
