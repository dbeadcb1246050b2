#!/usr/bin/env python3
"""Probe-length simulation behind store/DESIGN.md section 2.2.

Random keys are inserted into groups (linear probing over groups) up to a load, two ways:
  * "empty-stop": SwissTable-like, 16 tags per group; a lookup continues past a group only if it has no empty slot;
  * "overflow": Cubby v2, 15 tags per group plus an overflow byte; an insert that passes a full group sets the
    key's overflow bit (one of 8) there, and a lookup continues only while that bit is set.
Reported: groups probed by absent lookups and the share needing more than one group; for v2 also groups probed by
present lookups, the share of entries at their preferred position, and false tag matches per absent lookup
(1/255 per full slot scanned, tags 1..255).

Run: python3 tools/bench/sim/probe_simulation.py   (about a minute; pure Python, seeded, deterministic)
"""
import random

GROUPS = 8192
LOOKUPS = 30000


def empty_stop(load, seed=1):
    rnd = random.Random(seed)
    slots = 16
    groups = [[0] * slots for _ in range(GROUPS)]
    for _ in range(int(load * GROUPS * slots)):
        g = rnd.randrange(GROUPS)
        while 0 not in groups[g]:
            g = (g + 1) % GROUPS
        groups[g][groups[g].index(0)] = 1
    probed = more = 0
    for _ in range(LOOKUPS):
        g, d = rnd.randrange(GROUPS), 0
        while 0 not in groups[(g + d) % GROUPS]:
            d += 1
        probed += d + 1
        more += d > 0
    return probed / LOOKUPS, more / LOOKUPS


def overflow(load, seed=1):
    rnd = random.Random(seed)
    slots = 15
    groups = [[0] * slots for _ in range(GROUPS)]
    bits = [0] * GROUPS
    n = int(load * GROUPS * slots)
    preferred_hits = extra = 0
    for _ in range(n):
        g, p, b, d = rnd.randrange(GROUPS), rnd.randrange(slots), rnd.randrange(8), 0
        while 0 not in groups[(g + d) % GROUPS]:
            bits[(g + d) % GROUPS] |= 1 << b
            d += 1
        group = groups[(g + d) % GROUPS]
        if group[p] == 0:
            group[p] = 1
            preferred_hits += d == 0
        else:
            group[group.index(0)] = 1
        extra += d
    probed = more = 0
    false_matches = 0.0
    for _ in range(LOOKUPS):
        g, b, d = rnd.randrange(GROUPS), rnd.randrange(8), 0
        while True:
            false_matches += sum(groups[(g + d) % GROUPS]) / 255.0
            if not (bits[(g + d) % GROUPS] >> b) & 1:
                break
            d += 1
        probed += d + 1
        more += d > 0
    return probed / LOOKUPS, more / LOOKUPS, 1 + extra / n, preferred_hits / n, false_matches / LOOKUPS


if __name__ == "__main__":
    print("load | empty-stop absent groups / >1 | overflow absent groups / >1 | present groups | preferred | false matches")
    for load in (0.8333, 0.875, 0.9, 0.9375):
        a, am = empty_stop(load)
        b, bm, present, preferred, fm = overflow(load)
        print(f"{load:.4f} | {a:.2f} / {am:.0%} | {b:.2f} / {bm:.0%} | {present:.2f} | {preferred:.0%} | {fm:.3f}")
