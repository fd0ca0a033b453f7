"""A TCP port in front of a Unix socket that holds each connection for
DELAY seconds before it joins the two: a database slow to connect to,
as one across a network being failed over is.

usage: slow_tcp.py DELAY SOCKET   (says "slow_tcp listening on ADDR:PORT")
"""

import socket
import sys
import threading
import time

DELAY, TARGET = float(sys.argv[1]), sys.argv[2]


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def join(c):
    time.sleep(DELAY)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(TARGET)
    except OSError:
        c.close()
        return
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("slow_tcp listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=join, args=(c,), daemon=True).start()
