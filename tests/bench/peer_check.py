#!/usr/bin/env python3
"""Checks that stek and the peer (PostGraphile 4) answer the bench's question with the same
offers: for each municipality given, the ids (and schedule ids) of
GET /v1/offers?municipality=M&limit=500 and of peer.lua's GraphQL query must be equal.
    peer_check.py STEK_URL PEER_URL PEER_LUA M1 [M2 ...]"""
import json
import re
import sys
import urllib.request

stek, peer, lua = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
query = re.search(r"\[\[(.*?)\]\]", lua, re.S).group(1)
for m in sys.argv[4:]:
    with urllib.request.urlopen(f"{stek}/v1/offers?municipality={m}&limit=500") as r:
        ours = {o["id"]: sorted(s["id"] for s in o["schedules"]) for o in json.load(r)["items"]}
    req = urllib.request.Request(f"{peer}/graphql", method="POST",
                                 data=json.dumps({"query": query, "variables": {"m": m}}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        sites = json.load(r)["data"]["allSites"]["nodes"]
    theirs = {o["id"]: sorted(s["id"] for s in o["schedulesByOfferId"]["nodes"])
              for site in sites for o in site["offersBySiteId"]["nodes"]}
    if ours != theirs or not ours:
        sys.exit(f"peer check: {m}: stek has {len(ours)} offers, the peer {len(theirs)}"
                 f" ({len(set(ours) ^ set(theirs))} differ)")
    print(f"peer check: {m}: the same {len(ours)} offers and their schedules", file=sys.stderr)
