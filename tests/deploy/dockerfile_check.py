"""Checks the images' Dockerfiles where no container engine (and no
hadolint: neither Debian nor the npm registry has it) is at hand.

usage: dockerfile_check.py TOP DOCKERFILE PACKAGE

What a build would find wrong, or a linter would flag: every FROM a
pinned Debian 12 image (no 'latest'), a multi-stage build whose first
stage runs dpkg-buildpackage and whose last installs the package
PACKAGE from the .debs it made; every COPY source in the build context
(TOP) or a previous stage; Debian's packages only (apt, no downloads);
apt lists removed in the RUN that fetched them, and no recommends; the
last USER set and not root; exec-form ENTRYPOINT; no ADD.
"""
import glob
import os
import re
import shlex
import sys

top, path, package = sys.argv[1], sys.argv[2], sys.argv[3]
name = os.path.relpath(path, top)
problems = []


def bad(lineno, msg):
    problems.append(f"{name}:{lineno}: {msg}")


def instructions(text):
    """(lineno, INSTRUCTION, arguments), continuations joined."""
    out, cur, start = [], "", 0
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue
        if not cur:
            start = i
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        cur = ""
    return out


ins = instructions(open(path).read())
stages = []  # names (or indexes) of the stages so far
user = None
froms = [x for x in ins if x[1] == "FROM"]
if len(froms) < 2:
    bad(1, "not a multi-stage build")
for lineno, word, args in ins:
    if word == "FROM":
        m = re.fullmatch(r"(\S+?)(?::(\S+))?(?:\s+AS\s+(\S+))?", args, re.I)
        if not m:
            bad(lineno, f"FROM {args}: cannot read it")
            continue
        image, tag, alias = m.groups()
        if image != "debian" or tag != "bookworm-slim":
            bad(lineno, f"FROM {image}:{tag}: not debian:bookworm-slim")
        stages.append(alias or str(len(stages)))
        user = None
    elif word == "ADD":
        bad(lineno, "ADD: use COPY (ADD fetches URLs and unpacks archives)")
    elif word == "COPY":
        words = shlex.split(args)
        opts = [w for w in words if w.startswith("--")]
        srcs = [w for w in words if not w.startswith("--")][:-1]
        frm = [o.split("=", 1)[1] for o in opts if o.startswith("--from=")]
        if frm:
            if frm[0] not in stages[:-1]:
                bad(lineno, f"COPY --from={frm[0]}: no earlier stage so named")
            continue
        for src in srcs:
            if not glob.glob(os.path.join(top, src)):
                bad(lineno, f"COPY {src}: not in the build context")
    elif word == "RUN":
        if re.search(r"\b(curl|wget)\b|https?://", args):
            bad(lineno, "RUN downloads: Debian's packages only")
        if "apt-get install" in args or "mk-build-deps" in args:
            if "apt-get update" not in args:
                bad(lineno, "apt-get install without apt-get update before it")
            if "--no-install-recommends" not in args:
                bad(lineno, "apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists/*" not in args:
                bad(lineno, "apt lists left in the layer")
        if re.search(r"\bapt\s+install\b|\bpip\b|\bnpm\b", args):
            bad(lineno, "only apt-get installs, and only Debian's packages")
    elif word == "USER":
        user = args.split(":")[0]
    elif word == "ENTRYPOINT" and not args.startswith("["):
        bad(lineno, "ENTRYPOINT in shell form: signals would not reach it")

build = " ".join(a for _, w, a in ins if w == "RUN" and froms and _ < froms[-1][0])
if "dpkg-buildpackage" not in build:
    bad(1, "the build stage does not run dpkg-buildpackage")
last = [a for n, w, a in ins if w == "RUN" and n > froms[-1][0]]
if not any(re.search(rf"/{re.escape(package)}_\*\.deb", a) for a in last):
    bad(froms[-1][0], f"the last stage does not install the {package} package it built")
if user is None:
    bad(len(ins), "no USER in the last stage: it would run as root")
elif user in ("0", "root"):
    bad(len(ins), f"USER {user}: root")

for p in problems:
    print(p)
print(f"{name}: {len(problems)} problems")
sys.exit(1 if problems else 0)
