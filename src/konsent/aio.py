"""konsent's long-running processes (the server, the worker): coroutines on the fastest event loop
at hand, and start-up kept out of the garbage collector's way.

uvloop (a dependency where it builds: not on Windows) is what uvicorn serves the API on; the worker's
SMTP conversations run on it too, where the event loop is a fair share of what a message costs.
"""

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    if uvloop is None:  # pragma: no cover - Windows
        return asyncio.run(main)
    return uvloop.run(main)


def settle() -> None:
    """Once a process has started: what start-up made (modules, the app, its routes and models; in a
    server about 230,000 objects) lives as long as the process, so it is left out of the collector's
    passes. A full pass over it took 150 ms in a server on a 2-core machine, and every request in the
    process waited meanwhile: a latency spike for no garbage found. A worker sending 20,000 messages
    made five such passes, 390 ms in all (bench/send.py)."""
    gc.collect()
    gc.freeze()
