#!/usr/bin/env python3
"""The table of the chart's values in stoke/README.md, made from
stoke/values.schema.json (descriptions, types) and stoke/values.yaml
(defaults), so that the three cannot disagree.

usage: values-doc.py [--check] [CHART_DIR]
  writes the table between the README's values markers, or with
  --check says whether it is up to date (exit 1 if not); either way
  fails when a value is in the schema and not in values.yaml.
"""
import json
import os
import sys

import yaml

BEGIN = "<!-- values: made by deploy/helm/values-doc.py -->"
END = "<!-- end of values -->"

args = [a for a in sys.argv[1:] if a != "--check"]
check = "--check" in sys.argv[1:]
chart = args[0] if args else os.path.join(os.path.dirname(__file__), "stoke")
schema = json.load(open(os.path.join(chart, "values.schema.json")))
values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
problems = []


def rows(node, path, vals):
    for key, sub in node.get("properties", {}).items():
        p = f"{path}.{key}" if path else key
        if not isinstance(vals, dict) or key not in vals:
            problems.append(f"{p}: in the schema, not in values.yaml")
            continue
        if sub.get("type") == "object" and "properties" in sub:
            yield from rows(sub, p, vals[key])
            continue
        t = sub.get("type")
        if "enum" in sub:
            t = " \\| ".join(sub["enum"])
        default = json.dumps(vals[key], separators=(", ", ": "))
        desc = sub["description"].replace("|", "\\|")
        yield f"| `{p}` | {t} | `{default}` | {desc} |"


def unknown(node, vals, path):
    if node.get("type") != "object" or "properties" not in node:
        return
    for key in vals or {}:
        p = f"{path}.{key}" if path else key
        if key not in node["properties"]:
            problems.append(f"{p}: in values.yaml, not in the schema")
        else:
            unknown(node["properties"][key], vals[key], p)


table = "\n".join(["| value | type | default | what it is |",
                   "| --- | --- | --- | --- |"] +
                  list(rows(schema, "", values)))
unknown(schema, values, "")
readme = os.path.join(chart, "README.md")
text = open(readme).read()
head, _, rest = text.partition(BEGIN)
_, _, tail = rest.partition(END)
if not rest or END not in rest:
    problems.append(f"{readme}: no values markers")
new = f"{head}{BEGIN}\n{table}\n{END}{tail}"
if check:
    if new != text:
        problems.append(f"{readme}: the values table is not the schema's "
                        "(run deploy/helm/values-doc.py)")
elif not problems:
    open(readme, "w").write(new)
for p in problems:
    print(f"values-doc: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
