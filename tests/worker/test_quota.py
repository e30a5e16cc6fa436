"""Rate limits shared through the database: several workers together stay within one limit."""

import asyncio
import threading
from collections import Counter

from konsent.worker.quota import SharedQuota, reserve


def grant(app, want: int, second: int, **limits) -> int:
    with app.db.unit_of_work() as session:
        return reserve(session, "send:email", want, second, **{"per_second": None, "per_window": None,
                                                                  "window": 60, **limits})


def test_a_second_holds_no_more_than_the_per_second_limit(app):
    assert grant(app, 6, 1000, per_second=10) == 6
    assert grant(app, 6, 1000, per_second=10) == 4
    assert grant(app, 6, 1000, per_second=10) == 0
    assert grant(app, 6, 1001, per_second=10) == 6


def test_the_window_slides_over_one_second_buckets(app):
    assert grant(app, 5, 100, per_window=8, window=10) == 5
    assert grant(app, 5, 105, per_window=8, window=10) == 3
    assert grant(app, 5, 109, per_window=8, window=10) == 0
    assert grant(app, 5, 110, per_window=8, window=10) == 5  # second 100 has left the window
    assert grant(app, 5, 114, per_window=8, window=10) == 0  # 3 from 105 and 5 from 110 are still in it
    assert grant(app, 5, 115, per_window=8, window=10) == 3  # 105 has left


def test_workers_in_separate_threads_never_exceed_the_limit_together(app):
    """Four workers (own event loops, own database sessions) each want 40 messages at once."""
    moments: list[float] = []
    guard = threading.Lock()

    class Clock:  # a shared clock that only moves when every worker waits
        now = 5000.0

    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        with guard:
            Clock.now += seconds

    def worker() -> None:
        quota = SharedQuota(app, "email", per_second=10, block=3, clock=lambda: Clock.now, sleep=fake_sleep)
        quota.spacing = None  # the spacing inside a second is another test's; here only the shared counts

        async def run() -> None:
            for _ in range(40):
                granted_for = await quota.acquire()
                with guard:
                    moments.append(granted_for)

        asyncio.run(run())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_second = Counter(int(m) for m in moments)
    assert len(moments) == 160
    assert max(per_second.values()) <= 10
