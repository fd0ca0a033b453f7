"""The one table of bench/run.sh: the FIGURE lines its scripts printed
(bench/figure.sh), under the machine and the build, printed aligned and
written as JSON.

usage: table.py HEADER FIGURES NOTES JSON [NAME...]
  HEADER   lines "section<TAB>what<TAB>description" (machine, build, run)
  FIGURES  lines "script<TAB>FIGURE<TAB>key<TAB>label<TAB>value<TAB>unit
           <TAB>peer<TAB>peer_value<TAB>ratio<TAB>goal<TAB>met"
  NOTES    lines "failed|skipped<TAB>script<TAB>why"
  JSON     where to write the same
  NAME     as bench/run.sh --only: the figures shown are those of the
           scripts named, the keys named, or keys NAME_...
"""

import json
import sys

FIELDS = ("key", "label", "value", "unit", "peer", "peer_value", "ratio",
          "goal", "met")


def number(s):
    """A figure's number, or None for '-' and anything not a number."""
    try:
        return float(s)
    except ValueError:
        return None


def shown(v):
    """A number as the table shows it: three figures or so."""
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000 or v == int(v):
        return "{:,.0f}".format(v).replace(",", " ")
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def read_header(path):
    h = {}
    for line in open(path):
        section, what, desc = line.rstrip("\n").split("\t", 2)
        h.setdefault(section, {})[what] = desc
    return h


def read_figures(path, names):
    figs = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) != 11 or f[1] != "FIGURE":
            print("table: not a figure line: %r" % line, file=sys.stderr)
            continue
        script, fig = f[0], dict(zip(FIELDS, f[2:]))
        if names and not (script in names or fig["key"] in names or
                          any(fig["key"].startswith(n + "_")
                              for n in names)):
            continue
        for k in ("value", "peer_value", "ratio"):
            fig[k] = number(fig[k])
        fig["script"] = script
        figs.append(fig)
    return figs


def read_notes(path):
    notes = {"failed": [], "skipped": []}
    for line in open(path):
        kind, script, why = line.rstrip("\n").split("\t", 2)
        notes[kind].append({"script": script, "why": why})
    return notes


def print_table(h, figs, notes, names):
    m, b, r = h.get("machine", {}), h.get("build", {}), h.get("run", {})
    print("== one table")
    print("machine: %s, %s cores, %s, %s, Debian %s" % (
        m.get("cpu"), m.get("cores"), m.get("memory"), m.get("kernel"),
        m.get("debian")))
    print("         %s; %s" % (m.get("varnishd"), m.get("postgres")))
    print("build:   %s, %s, CFLAGS %s" % (
        b.get("git"), b.get("compiler"), b.get("cflags")))
    print("run:     %s, load %s at start, %s at end%s" % (
        r.get("date"), r.get("load_start"), r.get("load_end"),
        ", " + r["arguments"].strip() if r.get("arguments") else ""))
    print()
    rows = [("figure", "what", "value", "unit", "peer", "peer value",
             "ratio", "goal", "met")]
    for f in figs:
        rows.append((f["key"], f["label"], shown(f["value"]), f["unit"],
                     f["peer"], shown(f["peer_value"]),
                     "-" if f["ratio"] is None else "%.2f" % f["ratio"],
                     f["goal"], f["met"]))
    width = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = (2, 5, 6)  # the numbers
    for row in rows:
        cells = [c.rjust(width[i]) if i in right else c.ljust(width[i])
                 for i, c in enumerate(row)]
        print("  ".join(cells).rstrip())
    met = sum(f["met"] == "yes" for f in figs)
    goals = sum(f["met"] in ("yes", "no") for f in figs)
    print()
    print("%d figures, %d with a goal, %d met" % (len(figs), goals, met))
    for n in notes["failed"]:
        print("FAILED: %s (%s)" % (n["script"], n["why"]))
    for n in notes["skipped"]:
        print("skipped: %s (%s)" % (n["script"], n["why"]))
    for n in sorted(names):
        if not any(n in (f["script"], f["key"]) or
                   f["key"].startswith(n + "_") for f in figs):
            print("no figure for: %s" % n)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    header, figures, notes_path, out = sys.argv[1:5]
    names = set(sys.argv[5:])
    h = read_header(header)
    figs = read_figures(figures, names)
    notes = read_notes(notes_path)
    print_table(h, figs, notes, names)
    with open(out, "w") as f:
        json.dump({"machine": h.get("machine", {}),
                   "build": h.get("build", {}), "run": h.get("run", {}),
                   "figures": figs, "failed": notes["failed"],
                   "skipped": notes["skipped"]}, f, indent=1)
        f.write("\n")
    print("written: %s" % out)


if __name__ == "__main__":
    main()
