"""Starting a worker: its transports and rate limits from the settings, then the loop."""

import asyncio
from collections.abc import Callable, Sequence

from sqlalchemy import func, select

from konsent.config import Settings
from konsent.services import organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.transports import Transport
from konsent.transports.configured import transport_for
from konsent.transports.smtp import SmtpPool
from konsent.worker.claim import due
from konsent.worker.loop import Stats, Worker
from konsent.worker.ratelimit import RateLimit


def transports_for(settings: Settings, concurrency: int) -> dict[str, Transport]:
    """Email over a pool of SMTP sessions when a host is set (else the outbox folder); SMS as configured."""
    email = SmtpPool(settings.smtp, size=concurrency) if settings.smtp.host else transport_for(settings, "email")
    return {"email": email, "sms": transport_for(settings, "sms")}


def limits_for(settings: Settings) -> dict[str, RateLimit]:
    d = settings.dispatch
    wanted = {"email": (d.email_per_second, d.email_per_window), "sms": (d.sms_per_second, d.sms_per_window)}
    return {
        channel: RateLimit(per_second=per_second, per_window=per_window, window=d.window_seconds)
        for channel, (per_second, per_window) in wanted.items()
        if per_second is not None or per_window is not None
    }


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
    stop: asyncio.Event | None = None,
) -> Stats:
    size = concurrency or app.settings.dispatch.concurrency
    worker = Worker(app, transports_for(app.settings, size), batch=batch, concurrency=size,
                    limits=limits_for(app.settings), progress=progress, organisations=organisations)
    return await worker.run(once=once, stop=stop)
