"""Rate limits shared by every worker process on every machine: a provider's limits are the
provider's, however many workers send.

Sent messages are counted in one-second buckets in `rate_counters` (key `send:<channel>`). A worker
takes permission for a small block of messages at a time, in one short transaction: at most
`per_second` in the current second's bucket, at most `per_window` in the buckets of the last
`window` seconds (a sliding window, one second fine). Permission not used within its second lapses
unused, so the limits are never exceeded, only at worst slightly undershot. Within a second the
local `RateLimit` spaces the messages evenly.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else, on_postgresql
from konsent.worker.ratelimit import RateLimit

R = t.RateCounter


def reserve(session: Session, key: str, want: int, second: int, *, per_second: float | None,
            per_window: int | None, window: int) -> int:
    """How many of `want` messages may go in `second` (seconds since the epoch); those are counted."""
    if on_postgresql(session):
        # Every worker reads and adds under one lock per key: no two can both see room for the last few.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    granted = want
    if per_second is not None:
        used = session.scalar(select(R.hits).where(R.key == key, R.window == second)) or 0
        granted = min(granted, int(per_second) - used)
    if per_window is not None:
        used = session.scalar(select(func.coalesce(func.sum(R.hits), 0)).where(
            R.key == key, R.window > second - window, R.window <= second)) or 0
        granted = min(granted, per_window - int(used))
    if granted <= 0:
        return 0
    statement = insert_or_else(session, R).values(key=key, window=second, hits=granted)
    session.execute(statement.on_conflict_do_update(index_elements=["key", "window"],
                                                    set_={"hits": R.hits + statement.excluded.hits}))
    if second % 60 == 0:  # now and then: buckets that left every window are of no use
        session.execute(delete(R).where(R.key == key, R.window <= second - max(window, 1) - 60))
    return granted


class SharedQuota:
    """`acquire()` like `RateLimit`, but the limits hold across every worker sharing the database."""

    def __init__(
        self, app: Konsent, channel: str, *, per_second: float | None = None, per_window: int | None = None,
        window: float = 3600.0, block: int | None = None, clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second is not None and per_second < 1:
            raise ValueError("per_second: a shared limit counts whole messages per second (at least 1)")
        self.app, self.key = app, f"send:{channel}"
        self.per_second, self.per_window, self.window = per_second, per_window, max(1, int(window))
        # Small blocks: permission lapses at the end of its second, and other workers want some too.
        self.block = block or max(1, min(50, int((per_second or 200) // 4) or 1))
        self.clock, self.sleep = clock, sleep
        self.spacing = RateLimit(per_second=per_second, clock=clock, sleep=sleep) if per_second else None
        self._second = -1
        self._left = 0
        self._lock = asyncio.Lock()

    def _reserve(self, second: int) -> int:
        with self.app.db.unit_of_work() as session:
            return reserve(session, self.key, self.block, second, per_second=self.per_second,
                           per_window=self.per_window, window=self.window)

    async def acquire(self) -> int:
        """Wait for permission to send one message; returns the second it was granted for."""
        async with self._lock:  # one reservation at a time per process; senders queue here in order
            while True:
                now = self.clock()
                second = int(now)
                if second != self._second:
                    self._second, self._left = second, 0
                if self._left == 0:
                    self._left = await asyncio.to_thread(self._reserve, second)
                if self._left > 0:
                    self._left -= 1
                    break
                await self.sleep(max(0.01, second + 1 - now))  # full: try again in the next second
        if self.spacing is not None:
            await self.spacing.acquire()
        return second
