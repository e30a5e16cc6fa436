"""Running a coroutine from synchronous code on the fastest event loop at hand.

uvloop (a dependency where it builds: not on Windows) is what uvicorn serves the API on; the worker's
SMTP conversations run on it too, where the event loop is a fair share of what a message costs.
"""

import asyncio
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
