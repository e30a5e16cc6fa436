"""Rate limits: each message takes the next free moment; the moments are checked, not the clock."""

import asyncio

import pytest

from konsent.worker.ratelimit import RateLimit


def moments(limit: RateLimit, count: int, now: float = 0.0) -> list[float]:
    return [limit.reserve(now) for _ in range(count)]


def test_messages_per_second_are_spaced_evenly():
    assert moments(RateLimit(per_second=4), 5) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_quiet_moment_is_not_saved_up_for_a_burst():
    limit = RateLimit(per_second=2)
    moments(limit, 2)
    assert limit.reserve(10.0) == 10.0
    assert limit.reserve(10.0) == 10.5


def test_no_more_than_the_quota_goes_within_any_window():
    limit = RateLimit(per_window=3, window=60)
    assert moments(limit, 7) == [0, 0, 0, 60, 60, 60, 120]


def test_the_window_slides():
    limit = RateLimit(per_window=2, window=60)
    assert [limit.reserve(t) for t in (0, 30, 50, 95)] == [0, 30, 60, 95]


def test_both_limits_together():
    limit = RateLimit(per_second=1, per_window=2, window=10)
    assert moments(limit, 4) == [0, 1, 10, 11]


def test_acquire_waits_for_the_reserved_moment():
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    limit = RateLimit(per_second=10, clock=lambda: 100.0, sleep=sleep)

    async def three() -> None:
        for _ in range(3):
            await limit.acquire()

    asyncio.run(three())
    assert waited == pytest.approx([0.1, 0.2])  # the first goes at once
