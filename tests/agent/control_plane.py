#!/usr/bin/env python3
"""A stand-in for the control plane's side of the agent protocol (v1),
faithful to it: hello, batches (gzip bodies, limits, duplicates stored
once), the commands long poll, 401 for a token not (or no longer)
accepted.  What it took is kept in a file, so that it can be stopped
and started again (the control plane going away and coming back) and
still say whether every row arrived exactly once and in order.

Beside the protocol, for the tests (no token):
  POST /_test/command {...}      a command for the agent
  POST /_test/fail {"batches": n, "status": 500}   the next n batches
  POST /_test/revoke             the token is refused from now on
  POST /_test/slow {"seconds": s}    answers to batches wait s seconds
  GET  /_test/state              what was taken, and what went wrong

usage: control_plane.py --token-file T --state FILE [--port P]
"""

import argparse
import gzip
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MAX_BODY = 16 * 1024 * 1024
MAX_ROWS = 5000

lock = threading.Condition()
state = {
    "hellos": [],
    "batches": [],  # keys, in the order stored
    "seen": {},  # batch key -> times received
    "gzip": 0,
    "jobs": {},  # key -> last version of the row
    "invalidations": {},  # key -> row
    "results": {},
    "traffic": [],
    "dup_rows": [],  # row keys stored twice: must stay empty
    "order_errors": [],  # batches of a run out of order
    "last_seq": {},  # run -> last seq stored
    "commands": [],
    "revoked": False,
    "fail": {"batches": 0, "status": 500},
    "slow": 0,
}
state_file = None
token = None


def save():
    tmp = state_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, state_file)


def store_batch(b):
    """One batch, as the control plane stores it: in one go."""
    key = b["batch"]
    run, _, seq = key.rpartition(":")
    seq = int(seq)
    last = state["last_seq"].get(run)
    if last is not None and seq != last + 1:
        state["order_errors"].append([key, last])
    state["last_seq"][run] = seq
    state["batches"].append(key)
    stored = {"jobs": 0, "invalidations": 0, "results": 0, "traffic": 0}
    for j in b.get("jobs") or []:
        state["jobs"][j["key"]] = j
        stored["jobs"] += 1
    for kind in ("invalidations", "results"):
        for r in b.get(kind) or []:
            if r["key"] in state[kind]:
                state["dup_rows"].append(r["key"])
                continue
            r["batch"] = key
            state[kind][r["key"]] = r
            stored[kind] += 1
    for t in b.get("traffic") or []:
        state["traffic"].append(t)
        stored["traffic"] += 1
    return stored


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.answer(status, {"error": {"code": code, "message": message,
                                       "field": None}})

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.headers.get("Content-Encoding") == "gzip":
            with lock:
                state["gzip"] += 1
            raw = gzip.decompress(raw)
        return raw

    def authorized(self):
        with lock:
            ok = (not state["revoked"] and
                  self.headers.get("Authorization") == "Bearer " + token)
        if not ok:
            self.error(401, "invalid_agent_token", "unknown or revoked")
        return ok

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/_test/state":
            with lock:
                self.answer(200, state)
            return
        if u.path != "/api/agent/v1/commands":
            self.error(404, "not_found", u.path)
            return
        if not self.authorized():
            return
        q = parse_qs(u.query)
        after = int(q.get("after", ["0"])[0])
        wait = min(max(float(q.get("wait", ["0"])[0]), 0), 30)
        end = time.time() + wait
        with lock:
            while True:
                cmds = [c for c in state["commands"] if c["id"] > after]
                left = end - time.time()
                if cmds or left <= 0:
                    break
                lock.wait(left)
            cmds = cmds[:100]
        self.answer(200, {"commands": cmds,
                          "cursor": cmds[-1]["id"] if cmds else after})

    def do_POST(self):
        u = urlparse(self.path)
        if u.path.startswith("/_test/"):
            self.test_post(u.path[len("/_test/"):])
            return
        if not self.authorized():
            return
        raw = self.body()
        if len(raw) > MAX_BODY:
            self.error(413, "too_large", "over 16 MiB")
            return
        try:
            b = json.loads(raw)
        except ValueError:
            self.error(400, "bad_json", "not JSON")
            return
        if u.path == "/api/agent/v1/hello":
            with lock:
                state["hellos"].append(b)
                cursor = max([c["id"] for c in state["commands"]] or [0])
                save()
            self.answer(200, {"agent_id": 1, "website": website(), "cursor":
                              cursor})
        elif u.path == "/api/agent/v1/batches":
            self.batch(b)
        else:
            self.error(404, "not_found", u.path)

    def batch(self, b):
        for kind in ("jobs", "invalidations", "results", "traffic"):
            if len(b.get(kind) or []) > MAX_ROWS:
                self.error(422, "too_many_rows", kind)
                return
        with lock:
            key = b["batch"]
            state["seen"][key] = state["seen"].get(key, 0) + 1
            slow = state["slow"]
            if state["fail"]["batches"] > 0:
                state["fail"]["batches"] -= 1
                save()
                self.error(state["fail"]["status"], "failed", "on purpose")
                return
        if slow:
            time.sleep(slow)
        with lock:
            if key in state["batches"]:
                save()
                self.answer(200, {"batch": key, "duplicate": True})
                return
            stored = store_batch(b)
            save()
        self.answer(200, {"batch": key, "duplicate": False, "stored": stored,
                          "dropped": {"foreign_host": 0, "unknown_job": 0}})

    def test_post(self, what):
        b = json.loads(self.body() or b"{}")
        with lock:
            if what == "command":
                b["id"] = max([c["id"] for c in state["commands"]] or [0]) + 1
                b.setdefault("created_at", time.time())
                state["commands"].append(b)
                lock.notify_all()
            elif what == "fail":
                state["fail"] = {"batches": b["batches"],
                                 "status": b.get("status", 500)}
            elif what == "revoke":
                state["revoked"] = True
            elif what == "slow":
                state["slow"] = b["seconds"]
            save()
        self.answer(200, {"ok": True})


def website():
    return {"id": 1, "base_url": "http://shop.example/", "concurrency": 8,
            "rate_limit": None, "variants": [], "variant_inputs": {},
            "broadcast_invalidations": False, "version": 1}


def main():
    global state_file, token
    p = argparse.ArgumentParser()
    p.add_argument("--token-file", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    token = open(a.token_file).read().strip()
    state_file = a.state
    if os.path.exists(state_file):
        with open(state_file) as f:
            state.update(json.load(f))
    # The fault injected is for the run that was asked.
    state["fail"] = {"batches": 0, "status": 500}
    state["slow"] = 0
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("control plane listening on 127.0.0.1:%d" % srv.server_port,
          flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
