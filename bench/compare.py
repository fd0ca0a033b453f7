"""Two runs of bench/run.sh side by side: each figure's value in A and
in B, the change, its ratio to its peer and whether its goal was met in
each.  Figures of one run only are shown with a '-' for the other.

usage: python3 bench/compare.py A.json B.json

A change is only a change when it is larger than the range seen over
several runs of the same build (bench/README.md); runs on different
machines or under a different load compare poorly.
"""

import json
import sys

sys.dont_write_bytecode = True  # nothing left beside the sources
from table import shown  # noqa: E402


def load(path):
    with open(path) as f:
        return json.load(f)


def ratio(r):
    return "-" if r is None else "%.2f" % r


def change(a, b):
    if a is None or b is None or a == 0:
        return "-"
    return "%+.1f%%" % ((b - a) / abs(a) * 100)


def describe(name, run):
    b, m, r = run["build"], run["machine"], run["run"]
    return "%s: %s, %s; %s, %s cores; load %s" % (
        name, b.get("git"), r.get("date"), m.get("cpu"), m.get("cores"),
        r.get("load_start"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = load(sys.argv[1]), load(sys.argv[2])
    print(describe("A", a))
    print(describe("B", b))
    for what in ("cpu", "cores", "memory"):
        if a["machine"].get(what) != b["machine"].get(what):
            print("note: not the same machine (%s)" % what)
            break
    fa = {f["key"]: f for f in a["figures"]}
    fb = {f["key"]: f for f in b["figures"]}
    keys = list(fa) + [k for k in fb if k not in fa]
    rows = [("figure", "unit", "A", "B", "change", "ratio A", "ratio B",
             "met A", "met B")]
    for k in keys:
        x, y = fa.get(k, {}), fb.get(k, {})
        rows.append((k, x.get("unit") or y.get("unit"),
                     shown(x.get("value")), shown(y.get("value")),
                     change(x.get("value"), y.get("value")),
                     ratio(x.get("ratio")), ratio(y.get("ratio")),
                     x.get("met", "-"), y.get("met", "-")))
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.rjust(width[i]) if 2 <= i <= 6 else
                        c.ljust(width[i]) for i, c in enumerate(r)).rstrip())
    for run, name in ((a, "A"), (b, "B")):
        for n in run.get("failed", []):
            print("%s failed: %s (%s)" % (name, n["script"], n["why"]))


if __name__ == "__main__":
    main()
