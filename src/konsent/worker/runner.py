"""Starting a worker: its transports and rate limits from the settings, then the loop."""

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from sqlalchemy import func, select

from konsent.config import Settings
from konsent.services import campaigns, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.transports import Transport
from konsent.transports.configured import transport_for
from konsent.transports.smtp import SmtpPool
from konsent.worker.claim import due
from konsent.worker.housekeeping import Housekeeping
from konsent.worker.loop import Stats, Worker
from konsent.worker.quota import SharedQuota
from konsent.worker.ratelimit import Limit, RateLimit


def transports_for(settings: Settings, concurrency: int) -> dict[str, Transport]:
    """Email over a pool of SMTP sessions when a host is set (else the outbox folder); SMS as configured."""
    email = SmtpPool(settings.smtp, size=concurrency) if settings.smtp.host else transport_for(settings, "email")
    return {"email": email, "sms": transport_for(settings, "sms")}


def limits_for(app: Konsent) -> dict[str, Limit]:
    """A provider's limits hold for all workers together (counted in the database); only a rate
    below one message per second is kept per process, beside the shared window."""
    d = app.settings.dispatch
    wanted = {"email": (d.email_per_second, d.email_per_window), "sms": (d.sms_per_second, d.sms_per_window)}
    limits: dict[str, Limit] = {}
    for channel, (per_second, per_window) in wanted.items():
        if per_second is not None and per_second < 1:
            limits[channel] = RateLimit(per_second=per_second, per_window=per_window, window=d.window_seconds)
        elif per_second is not None or per_window is not None:
            limits[channel] = SharedQuota(app, channel, per_second=per_second, per_window=per_window,
                                          window=d.window_seconds)
    return limits


def organisation_ids(app: Konsent, keys: Sequence[str]) -> list[str]:
    with app.db.unit_of_work() as session:
        return [organisations.get(session, key).id for key in keys]


def due_now(app: Konsent, only: Sequence[str] | None = None) -> int:
    """How many rows a worker could claim now (for a progress bar)."""
    with app.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(t.OutboxItem).where(due(app.now(), only))) or 0)


async def run(
    app: Konsent, *, once: bool = False, batch: int | None = None, concurrency: int | None = None,
    organisations: Sequence[str] | None = None, progress: Callable[[Stats], None] | None = None,
    stop: asyncio.Event | None = None, housekeeping: Housekeeping | None = None,
) -> Stats:
    """The dispatch loop, and beside it the housekeeping chores when given (webhooks, automations on
    time, DOI expiry, the audience projection). With `once`: one round of chores, the outbox
    drained, then the webhooks announcing what was sent."""
    size = concurrency or app.settings.dispatch.concurrency
    worker = Worker(app, transports_for(app.settings, size), batch=batch, concurrency=size,
                    limits=limits_for(app), progress=progress, organisations=organisations)
    if housekeeping is None:
        return await worker.run(once=once, stop=stop)
    if once:
        await housekeeping.round()
        stats = await worker.run(once=True, stop=stop)
        await asyncio.to_thread(campaigns.settle_progress, app)  # what was just sent may complete one
        await housekeeping.deliver_webhooks()
        return stats
    stop = stop or asyncio.Event()
    chores = asyncio.create_task(housekeeping.run(stop))
    try:
        return await worker.run(once=False, stop=stop)
    finally:
        if stop.is_set():
            await chores  # it notices the stop between steps
        else:  # the worker failed: the chores stop with it
            chores.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chores
