"""How soon an edit shows in the feed (issue 29's bench): renames a weekly offer through the
first daemon, then asks the first daemon's feed for the new name at once (it must be there:
read-your-writes) and the second daemon's until it is. Prints: the PATCH's p50, the first
daemon's next feed answer's p50, and the p50 and max of the time until the second daemon
showed it, in ms.

    visible.py WRITER_BASE OTHER_BASE TOKEN IDS_FILE COUNT
"""
import sys
import time
import uuid

import requests

writer, other, token, ids_file, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], \
    int(sys.argv[5])
ids = [line.strip() for line in open(ids_file) if line.strip()]
auth = {"Authorization": "Bearer " + token}
s_w, s_o = requests.Session(), requests.Session()
patch, own, seen = [], [], []
for i in range(count):
    word = "zz" + uuid.uuid4().hex[:10]
    t0 = time.monotonic()
    r = s_w.patch(f"{writer}/v1/offers/{ids[i % len(ids)]}", json={"title": f"Koffie {word}"},
                  headers=auth, timeout=30)
    t1 = time.monotonic()
    assert r.status_code == 200, r.text
    f = s_w.get(f"{writer}/v1/feed", params={"q": word}, timeout=30)
    t2 = time.monotonic()
    assert f.status_code == 200 and f.json()["items"], "the writer's own feed lacks its edit"
    while not s_o.get(f"{other}/v1/feed", params={"q": word}, timeout=30).json()["items"]:
        if time.monotonic() - t1 > 10:
            sys.exit("the other daemon did not show the edit within 10 s")
    t3 = time.monotonic()
    patch.append((t1 - t0) * 1000)
    own.append((t2 - t1) * 1000)
    seen.append((t3 - t1) * 1000)
for a in (patch, own, seen):
    a.sort()
print(f"{patch[len(patch) // 2]:.2f} {own[len(own) // 2]:.2f} {seen[len(seen) // 2]:.2f}"
      f" {seen[-1]:.2f}")
