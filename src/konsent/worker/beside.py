"""A worker beside the server, in the server's process (`konsent serve --with-worker`, `make run`):
one command, one Ctrl-C. It runs in a thread with an event loop of its own, so the server's loop
never waits for it; when the server stops, the worker finishes what is in flight and gives the
rest back. A worker that fails (the database went away) starts again after a pause.

In production run `konsent worker` processes of their own instead: as many as needed, anywhere.
"""

import asyncio
import contextlib
import logging
import threading
from types import TracebackType

from konsent import aio
from konsent.services.context import Konsent
from konsent.worker import runner
from konsent.worker.housekeeping import Housekeeping
from konsent.worker.loop import owner_name

log = logging.getLogger("konsent.worker")
RESTART_AFTER = 5.0  # seconds


class WorkerBeside:
    def __init__(self, app: Konsent, *, housekeeping_every: float = 30.0) -> None:
        self.app = app
        self.every = housekeeping_every
        self.thread = threading.Thread(target=self._main, name="konsent-worker", daemon=True)
        self.started = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None

    def __enter__(self) -> "WorkerBeside":
        self.thread.start()
        self.started.wait(timeout=10)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.loop is not None and self.stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self.loop.call_soon_threadsafe(self.stop.set)
        # Bounded: in-flight messages finish within their transports' timeouts, and a second
        # Ctrl-C ends the process anyway (the thread is a daemon); unsent rows come back after their lease.
        self.thread.join(timeout=self.app.settings.dispatch.lease_seconds)

    def _main(self) -> None:
        aio.run(self._work())

    async def _work(self) -> None:
        self.loop, self.stop = asyncio.get_running_loop(), asyncio.Event()
        self.started.set()
        while not self.stop.is_set():
            chores = Housekeeping(self.app, owner_name(), every=self.every)
            try:
                await runner.run(self.app, stop=self.stop, housekeeping=chores)
            except Exception as exc:  # keep serving; try again shortly
                log.error("the worker stopped (%s); starting it again in %.0f s", type(exc).__name__, RESTART_AFTER)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=RESTART_AFTER)
