"""Rate limits per transport: messages per second, and per sliding window (a provider's hourly quota).

Each message reserves the next free moment — spaced `1 / per_second` apart, and never more than
`per_window` within any `window` seconds — and waits for it. Reserving is synchronous, so many
senders in one event loop queue up in order. These limits hold per worker process; worker/quota.py
shares them between every worker that uses one database.
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol


class Limit(Protocol):
    """What a sender waits on before each message: this process's `RateLimit` or a `SharedQuota`."""

    async def acquire(self) -> object: ...


class RateLimit:
    def __init__(
        self, *, per_second: float | None = None, per_window: int | None = None, window: float = 3600.0,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.per_window = per_window
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")  # the earliest moment the limits allow: moments are taken in order
        self._recent: deque[float] = deque()  # moments reserved within the last window, in order

    def reserve(self, now: float) -> float:
        """The moment the next message may go (at the earliest `now`), taken for it."""
        slot = max(now, self._next)
        if self.per_window is not None:
            self._forget(slot)
            if len(self._recent) >= self.per_window:
                slot = self._recent[0] + self.window  # when the oldest leaves the window
                self._forget(slot)
            self._recent.append(slot)
        self._next = slot + (1 / self.per_second if self.per_second is not None else 0.0)
        return slot

    def _forget(self, slot: float) -> None:
        while self._recent and self._recent[0] <= slot - self.window:
            self._recent.popleft()

    async def acquire(self) -> None:
        now = self.clock()
        delay = self.reserve(now) - now
        if delay > 0:
            await self.sleep(delay)
