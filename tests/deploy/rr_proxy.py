"""A small TCP load balancer for the tests: connections are handed
round robin to the backends given as HOST:PORT arguments, and one a
backend refuses (it is restarting) is tried on the next, as a load
balancer whose health check took the backend out would.

It prints "rr_proxy listening on 127.0.0.1:PORT" once it listens, then
a line per connection a backend refused.  On SIGTERM it prints how many
connections each backend took and exits 0."""

import asyncio
import signal
import sys

BACKENDS = [(h, int(p)) for h, p in (a.rsplit(":", 1) for a in sys.argv[1:])]
taken = [0] * len(BACKENDS)
turn = 0


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        # One side closed: so is the other, as a proxy without
        # half-close does; HTTP clients read that as the end.
        writer.close()


async def connect():
    """The next backend that accepts, starting at its turn."""
    global turn
    first = turn
    turn = (turn + 1) % len(BACKENDS)
    for i in range(len(BACKENDS)):
        n = (first + i) % len(BACKENDS)
        try:
            r, w = await asyncio.open_connection(*BACKENDS[n])
        except ConnectionRefusedError:
            print("refused %s:%d" % BACKENDS[n], flush=True)
            continue
        taken[n] += 1
        return r, w
    return None


async def client(creader, cwriter):
    up = await connect()
    if up is None:
        cwriter.close()
        return
    ureader, uwriter = up
    await asyncio.gather(pipe(creader, uwriter), pipe(ureader, cwriter))


async def main():
    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("rr_proxy listening on 127.0.0.1:%d" % port, flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    async with server:
        await done.wait()
    for (h, p), n in zip(BACKENDS, taken):
        print("taken %s:%d %d" % (h, p, n), flush=True)


asyncio.run(main())
