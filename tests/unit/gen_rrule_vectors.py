#!/usr/bin/env python3
"""Generates expected occurrences of random schedules with python-dateutil, an
independent implementation of RFC 5545 recurrence, for the C unit tests.

Each line: RULE|DTSTART|UNTIL|FROM|TO|day,day,...  ('-' for no rule / no until).
DTSTART is always the rule's first occurrence, as the API requires.

    gen_rrule_vectors.py [--seed N] [--count N] > vectors.txt
"""
import argparse
import datetime as dt
import random

from dateutil import rrule as R

WD = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FREQ = {"DAILY": R.DAILY, "WEEKLY": R.WEEKLY, "MONTHLY": R.MONTHLY}


def random_rule(rng):
    freq = rng.choices(["DAILY", "WEEKLY", "MONTHLY"], [15, 45, 40])[0]
    interval = rng.choice([1, 1, 1, 2, 2, 3, 4, rng.randint(1, 12)])
    parts = {"FREQ": freq}
    kw = {"interval": interval}
    if interval != 1 or rng.random() < 0.2:
        parts["INTERVAL"] = str(interval)
    if freq == "WEEKLY" and rng.random() < 0.7:
        days = sorted(rng.sample(range(7), rng.randint(1, 3)))
        parts["BYDAY"] = ",".join(WD[d] for d in days)
        kw["byweekday"] = days
    elif freq == "MONTHLY":
        choice = rng.random()
        if choice < 0.35:
            mdays = rng.sample([d for d in range(-31, 32) if d != 0], rng.randint(1, 2))
            parts["BYMONTHDAY"] = ",".join(str(d) for d in mdays)
            kw["bymonthday"] = mdays
        elif choice < 0.8:
            # dateutil intersects plain and ordinal weekdays (BYDAY=MO,3WE yields nothing),
            # where RFC 5545 and stek take the union: the oracle only gets rules of one kind;
            # mixed rules are checked by hand in rrule_test.c.
            items, wds = [], []
            plain = rng.random() < 0.3
            for _ in range(rng.randint(1, 2)):
                wd = rng.randrange(7)
                ordinal = 0 if plain else rng.choice([1, 2, 3, 4, 5, -1, -2, -5])
                items.append(f"{ordinal}{WD[wd]}" if ordinal else WD[wd])
                wds.append(R.weekday(wd, ordinal) if ordinal else R.weekday(wd))
            parts["BYDAY"] = ",".join(items)
            kw["byweekday"] = wds
    end = rng.random()
    if end < 0.3:
        n = rng.randint(1, 40)
        parts["COUNT"] = str(n)
        kw["count"] = n
    elif end < 0.6:
        kw["until_days"] = rng.randint(0, 2000)
    return freq, parts, kw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--count", type=int, default=600)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    made = 0
    while made < args.count:
        if rng.random() < 0.05:
            start = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 15000))
            frm = start + dt.timedelta(days=rng.randint(-30, 30))
            to = frm + dt.timedelta(days=rng.randint(0, 60))
            got = [start] if frm <= start <= to else []
            print(f"-|{start}|-|{frm}|{to}|" + ",".join(str(d) for d in got))
            made += 1
            continue
        freq, parts, kw = random_rule(rng)
        base = dt.datetime(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 15000))
        until_days = kw.pop("until_days", None)
        probe = R.rrule(FREQ[freq], dtstart=base, **kw)
        first = probe.after(base, inc=True)
        if first is None:
            continue
        if until_days is not None:
            until = first + dt.timedelta(days=until_days)
            parts["UNTIL"] = until.strftime("%Y%m%d")
            kw["until"] = until
        rule = R.rrule(FREQ[freq], dtstart=first, **kw)
        sched_until = None
        if rng.random() < 0.2:
            sched_until = first.date() + dt.timedelta(days=rng.randint(0, 1500))
        bounded = "COUNT" in parts or "UNTIL" in parts or sched_until is not None
        frm = first.date() + dt.timedelta(days=rng.randint(-60, 600 if bounded else 12000))
        to = frm + dt.timedelta(days=rng.choice([0, 6, 27, 90, 366, rng.randint(0, 400)]))
        got = [d.date() for d in rule.between(dt.datetime.combine(frm, dt.time()),
                                              dt.datetime.combine(to, dt.time()), inc=True)]
        if sched_until is not None:
            got = [d for d in got if d <= sched_until]
        text = ";".join(f"{k}={v}" for k, v in parts.items())
        print(f"{text}|{first.date()}|{sched_until or '-'}|{frm}|{to}|"
              + ",".join(str(d) for d in got))
        made += 1


if __name__ == "__main__":
    main()
