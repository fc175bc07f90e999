#!/usr/bin/env python3
"""Expected instants of local times, from Python's zoneinfo (PEP 495, fold=0:
a skipped time uses the offset before the gap, a doubled time is the first),
reading the same system tzdata as stekd. For the C unit tests.

Each line: ZONE|YYYY-MM-DD|HH:MM|UTC seconds|offset seconds of that instant.

    gen_tz_vectors.py [--seed N] [--count N] > vectors.txt
"""
import argparse
import datetime as dt
import random
from zoneinfo import ZoneInfo

ZONES = ["Europe/Brussels", "Europe/Amsterdam", "Europe/Paris", "Europe/London",
         "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "Pacific/Auckland",
         "America/Sao_Paulo", "Africa/Casablanca"]


def line(zone, day, minutes):
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), ZoneInfo(zone))
    ts = int(local.timestamp())
    offset = int(dt.datetime.fromtimestamp(ts, ZoneInfo(zone)).utcoffset().total_seconds())
    return f"{zone}|{day}|{minutes // 60:02d}:{minutes % 60:02d}|{ts}|{offset}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = []
    # Every quarter hour around the transitions of a few years, where mistakes hide.
    for zone in ZONES:
        z = ZoneInfo(zone)
        for year in (1977, 1990, 1995, 2023, 2026, 2037, 2040, 2061):
            t = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
            prev = t.astimezone(z).utcoffset()
            while t.year == year:
                t += dt.timedelta(hours=6)
                off = t.astimezone(z).utcoffset()
                if off != prev:
                    day = t.astimezone(z).date()
                    for d in (day - dt.timedelta(days=1), day):
                        for m in range(0, 24 * 60, 15):
                            out.append(line(zone, d, m))
                prev = off
    while len(out) < args.count + 1000:
        zone = rng.choice(ZONES)
        day = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 32000))
        out.append(line(zone, day, rng.randrange(0, 24 * 60)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
