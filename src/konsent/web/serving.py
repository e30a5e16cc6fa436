"""`konsent serve --workers N`: N server processes, each listening on a socket of its own.

uvicorn's own `--workers` shares one listening socket among its processes. The process that wakes
first accepts every connection waiting, so clients that open their keep-alive connections at once — a
reverse proxy's upstream pool, a load balancer, a load test — may all land on one process while the
others idle: measured with wrk's 32 connections on `POST /api/v1/decide`, one run in three served
1,337 requests/s from one process instead of about 2,400 from two. With SO_REUSEPORT every process
binds the port itself and the kernel spreads new connections over them.

The supervisor here starts the processes, starts again one that dies, and on SIGINT or SIGTERM stops
them all; each process is an ordinary uvicorn server over the app factory.
"""

import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from konsent import aio

APP = "konsent.web.app:create_app"
_BACKLOG = 2048  # uvicorn's default
_EARLY_DEATH_SECONDS = 10.0  # a process failing this soon after starting will not do better next time


class PortInUse(RuntimeError):
    pass


def serve(host: str, port: int, workers: int) -> int:
    """Serve until SIGINT or SIGTERM; the exit status (1 when the processes cannot start). Call
    `check_free` first: SO_REUSEPORT would let these processes share the port with a server already on it."""
    spawn = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running: list[tuple[BaseProcess, float]] = []
    status = 0
    try:
        running = [_start(spawn, host, port) for _ in range(workers)]
        while not stopping:
            time.sleep(0.2)
            for index, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                # Killed by a signal (the OOM killer, an operator): started again. Exited with an error
                # right after starting (a wrong setting, a database it cannot reach): it would again.
                failed = process.exitcode is not None and process.exitcode > 0
                if failed and time.monotonic() - started < _EARLY_DEATH_SECONDS:
                    print(f"konsent: a server process could not start (exit {process.exitcode})", file=sys.stderr)
                    stopping, status = True, 1
                    break
                running[index] = _start(spawn, host, port)
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
        for process, _ in running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _start(spawn: "multiprocessing.context.SpawnContext", host: str, port: int) -> tuple[BaseProcess, float]:
    process = spawn.Process(target=_one_server, args=(host, port), daemon=False)
    process.start()
    return process, time.monotonic()


def _one_server(host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 - in the server process only

    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level="warning")
    config.load()  # the app first: the kernel hands connections to this process only once it listens
    aio.settle()
    uvicorn.Server(config).run(sockets=[_listening(host, port, shared=True)])


def _listening(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(_BACKLOG)
    return sock


def check_free(host: str, port: int) -> None:
    """PortInUse when another server (a konsent started earlier, say) listens on the port: a socket
    bound without SO_REUSEPORT fails then, where the processes' own sockets would share the port."""
    try:
        _listening(host, port, shared=False).close()
    except OSError as exc:
        raise PortInUse(f"{host}:{port} is in use: {exc.strerror}") from None
