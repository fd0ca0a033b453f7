#!/usr/bin/env python3
"""Listen on a Unix datagram socket and say each datagram as a line.

usage: dgram_listen.py PATH OUT

PATH is bound (mode 0666, for varnishd's own user); OUT gets one line a
datagram, flushed at once, so that a test can count them as they come.
"""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        data = s.recv(64)
        f.write("ring %s\n" % data.decode(errors="replace"))
