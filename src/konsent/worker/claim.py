"""Claiming outbox rows: each due row goes to exactly one worker, for as long as its lease lasts.

On PostgreSQL `FOR UPDATE SKIP LOCKED` lets any number of workers on any number of machines claim
side by side, each taking rows the others have not locked. SQLite queues writers (BEGIN
IMMEDIATE), so the same UPDATE claims atomically there as well; one worker is what SQLite is for.
A worker that dies keeps its rows only until their lease runs out; then they are due again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, text, true, update
from sqlalchemy.orm import Session

from konsent.services import outbox
from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql

O = t.OutboxItem  # noqa: E741 - the outbox, in every query below
# Each kind of due row has its own ordered index scan; one query over all three would sort them all.
_DUE = (
    (O.status == outbox.AWAITING_RETRY, O.next_attempt_at),
    (O.status == outbox.QUEUED, O.next_attempt_at),
    (O.status == outbox.IN_FLIGHT, O.lease_expires_at),  # its worker stopped answering
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbox row as a worker holds it."""

    id: str
    organisation_id: str
    customer_id: str
    channel: str
    kind: str
    template_key: str
    advertised_categories: tuple[str, ...]
    context: dict[str, Any]
    campaign_id: str | None
    attempts: int  # this attempt included
    queued_at: datetime
    claimed_at: datetime


def due(now: datetime, organisations: Sequence[str] | None = None) -> Any:
    """Rows a worker may claim at `now`: waiting and due, or leased to a worker that stopped answering."""
    mine = O.organisation_id.in_(organisations) if organisations is not None else true()
    return and_(or_(*(and_(status, moment <= now) for status, moment in _DUE)), mine)


def claim(
    session: Session, owner: str, *, now: datetime, lease: timedelta, limit: int,
    organisations: Sequence[str] | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows, the longest-waiting first, for `owner` until `now + lease` —
    of every organisation, or only of `organisations` (a worker of its own for a large tenant)."""
    skip_locked = on_postgresql(session)
    mine = O.organisation_id.in_(organisations) if organisations is not None else true()
    taken: list[Any] = []
    for status, moment in _DUE:
        if len(taken) >= limit:
            break
        chosen = select(O.id).where(status, moment <= now, mine).order_by(moment).limit(limit - len(taken))
        if skip_locked:
            chosen = chosen.with_for_update(skip_locked=True)
        taken += session.execute(
            update(O).where(O.id.in_(chosen.scalar_subquery()))
            .values(status=outbox.IN_FLIGHT, lease_owner=owner, lease_expires_at=now + lease,
                    attempts=O.attempts + 1, updated_at=now)
            .returning(O.id, O.organisation_id, O.customer_id, O.channel, O.kind, O.template_key,
                       O.advertised_categories, O.context, O.campaign_id, O.attempts, O.created_at,
                       O.next_attempt_at)
            .execution_options(synchronize_session=False)
        ).all()
    taken.sort(key=lambda r: (r.next_attempt_at, r.id))  # RETURNING keeps no order
    return [
        Claimed(r.id, r.organisation_id, r.customer_id, r.channel, r.kind, r.template_key,
                tuple(r.advertised_categories or ()), dict(r.context or {}), r.campaign_id, r.attempts,
                r.created_at, now)
        for r in taken
    ]


@dataclass(frozen=True, slots=True)
class Finished:
    id: str
    status: str
    error: str | None
    retry_at: datetime | None  # only for awaiting_retry


def finish(session: Session, owner: str, rows: Sequence[Finished], *, now: datetime) -> set[str]:
    """Write the outcome of rows this worker still holds; returns their ids. A row whose lease ran
    out and which another worker took over is left alone: it is that worker's now."""
    if not rows:
        return set()
    if on_postgresql(session):
        # One statement, the same text for every flush (arrays, not a VALUES list to compile each time);
        # a row no longer held is simply not updated. Held means leased to this owner: only a claim sets
        # lease_owner, together with in_flight, and every way out of in_flight clears it. The status is
        # deliberately not asked: the planner, trusting statistics from when every row was queued, would
        # walk the whole in-flight part of the due index for it instead of finding each row by its key.
        return set(session.scalars(_FINISH, {
            "ids": [r.id for r in rows], "statuses": [r.status for r in rows], "errors": [r.error for r in rows],
            "retries": [r.retry_at for r in rows], "owner": owner, "now": now,
        }))
    mine = held(session, owner, [r.id for r in rows])
    for retrying in (False, True):  # executemany needs one shape per statement
        shaped = [{"id": r.id, "status": r.status, "message_id": r.id, "last_error": r.error, "lease_owner": None,
                   "lease_expires_at": None, "updated_at": now, **({"next_attempt_at": r.retry_at} if retrying else {})}
                  for r in rows if r.id in mine and (r.retry_at is not None) == retrying]
        if shaped:
            session.execute(update(O), shaped)
    return mine


_FINISH = text("""
    UPDATE outbox AS o
       SET status = g.status, message_id = g.id, last_error = g.error,
           next_attempt_at = coalesce(g.retry_at, o.next_attempt_at),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
      FROM unnest(CAST(:ids AS varchar[]), CAST(:statuses AS varchar[]), CAST(:errors AS text[]),
                  CAST(:retries AS timestamptz[])) AS g (id, status, error, retry_at)
     WHERE o.id = g.id AND o.lease_owner = :owner
 RETURNING o.id
""")


def renew(session: Session, owner: str, ids: list[str], *, until: datetime) -> int:
    """Extend the lease of rows this worker still holds (a slow, rate-limited batch)."""
    if not ids:
        return 0
    result = session.execute(
        update(O).where(O.id.in_(ids), O.lease_owner == owner, O.status == outbox.IN_FLIGHT)
        .values(lease_expires_at=until).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # UPDATE results carry rowcount


def release(session: Session, owner: str, ids: list[str], *, now: datetime) -> int:
    """Give rows back untouched (the worker is stopping): due again at once, the attempt not counted."""
    if not ids:
        return 0
    result = session.execute(
        update(O).where(O.id.in_(ids), O.lease_owner == owner, O.status == outbox.IN_FLIGHT)
        .values(status=outbox.QUEUED, lease_owner=None, lease_expires_at=None, attempts=O.attempts - 1,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def held(session: Session, owner: str, ids: list[str]) -> set[str]:
    """Which of `ids` this worker still holds — locked until the transaction ends, so that no other
    worker can take them over while their outcome is written."""
    if not ids:
        return set()
    query = select(O.id).where(O.id.in_(ids), O.lease_owner == owner, O.status == outbox.IN_FLIGHT)
    if on_postgresql(session):
        query = query.with_for_update()
    return set(session.scalars(query))
