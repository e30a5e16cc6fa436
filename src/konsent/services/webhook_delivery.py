"""Delivering webhooks: claim what is due, POST it signed, record the answer.

Workers claim deliveries with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, as the outbox does),
so any number of workers on any number of machines deliver each one once; a worker that dies
keeps its deliveries only until the lease runs out. A 2xx answer delivers; anything else is tried
again after 30 s, 1 min, 2 min … (with jitter, at most a day apart), and given up after
`MAX_ATTEMPTS`. The signature (docs/webhooks.md) lets the receiver check that the body is konsent's
and recent; `X-Konsent-Delivery` lets it recognise the rare second delivery after a lost answer.
"""

import asyncio
import hashlib
import hmac
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.orm import Session

from konsent import __version__
from konsent.errors import InputError
from konsent.services.context import Konsent
from konsent.services.webhooks import DELIVERED, FAILED, PENDING, refuse_private
from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql

D = t.WebhookDelivery
TIMEOUT = 10.0  # seconds for one POST, connecting included
LEASE = timedelta(minutes=2)  # well above one batch's POSTs, which run side by side
MAX_ATTEMPTS = 12
RETRY_BASE = 30.0
RETRY_MAX = 24 * 3600.0
BATCH = 100
CONCURRENCY = 16
SIGNATURE, EVENT, DELIVERY = "X-Konsent-Signature", "X-Konsent-Event", "X-Konsent-Delivery"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    organisation_id: str
    url: str
    secret: str
    event: str
    payload: dict[str, Any]
    attempts: int  # this attempt included


@dataclass(frozen=True, slots=True)
class Answer:
    delivery: Claimed
    status: int | None  # the HTTP status, None when there was no answer
    error: str | None  # why it did not count as delivered, in words without personal data

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Delivered:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: "Delivered") -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(delivery: Claimed) -> bytes:
    # The delivery's id goes inside the signed body too: a replayed body cannot pose as a new delivery.
    return json.dumps({"id": delivery.id, **delivery.payload}, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """30 s, 1 min, 2 min … up to a day; the jitter (half to all of the step) spreads a crowd of
    deliveries that failed together, so that a receiver coming back is not flooded at one instant."""
    step = min(RETRY_MAX, RETRY_BASE * 2 ** max(0, attempts - 1))
    return timedelta(seconds=step * (0.5 + rng.random() / 2))


# --- the database side ----------------------------------------------------------------------

def claim(session: Session, owner: str, *, now: datetime, limit: int = BATCH, lease: timedelta = LEASE,
          organisations: Sequence[str] | None = None) -> list[Claimed]:
    """Take up to `limit` due deliveries, the longest-waiting first, for `owner` until `now + lease` —
    of every organisation, or only of `organisations`."""
    due = and_(D.status == PENDING, D.next_attempt_at <= now,
               or_(D.lease_expires_at.is_(None), D.lease_expires_at <= now),
               D.organisation_id.in_(organisations) if organisations is not None else true())
    chosen = select(D.id).where(due).order_by(D.next_attempt_at, D.id).limit(limit)
    if on_postgresql(session):
        chosen = chosen.with_for_update(skip_locked=True)
    taken = session.execute(
        update(D).where(D.id.in_(chosen.scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=now + lease, attempts=D.attempts + 1)
        .returning(D.id, D.organisation_id, D.endpoint_id, D.event, D.payload, D.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        return []
    endpoints = {row.id: row for row in session.execute(select(
        t.WebhookEndpoint.id, t.WebhookEndpoint.organisation_id, t.WebhookEndpoint.url, t.WebhookEndpoint.secret,
        t.WebhookEndpoint.disabled_at,
    ).where(t.WebhookEndpoint.id.in_({r.endpoint_id for r in taken})))}
    claimed, orphaned = [], []
    for row in sorted(taken, key=lambda r: r.id):
        endpoint = endpoints.get(row.endpoint_id)
        if endpoint is None or endpoint.disabled_at is not None or endpoint.organisation_id != row.organisation_id:
            orphaned.append(row.id)  # announced while the endpoint was being deleted
            continue
        claimed.append(Claimed(row.id, row.organisation_id, endpoint.url, endpoint.secret, row.event,
                               dict(row.payload), row.attempts))
    if orphaned:
        session.execute(update(D).where(D.id.in_(orphaned)).values(
            status=FAILED, last_error="the endpoint was deleted", lease_owner=None, lease_expires_at=None))
    return claimed


def record(session: Session, owner: str, answers: Sequence[Answer], *, now: datetime,
           rng: random.Random | None = None) -> Delivered:
    """Write the answers for deliveries this worker still holds (a lease that ran out is another's)."""
    rng = rng or random.Random()
    counted = Delivered()
    for answer in answers:
        delivery = answer.delivery
        values: dict[str, Any] = {"last_status": answer.status, "last_error": answer.error, "lease_owner": None,
                                  "lease_expires_at": None}
        if answer.delivered:
            values |= {"status": DELIVERED, "delivered_at": now}
        elif delivery.attempts >= MAX_ATTEMPTS:
            values |= {"status": FAILED, "last_error": f"gave up after {delivery.attempts} attempts: {answer.error}"}
        else:
            values |= {"next_attempt_at": now + retry_delay(delivery.attempts, rng)}
        result = session.execute(update(D).where(
            D.id == delivery.id, D.lease_owner == owner, D.status == PENDING,
        ).values(**values).execution_options(synchronize_session=False))
        if result.rowcount:  # type: ignore[attr-defined]  # UPDATE results carry rowcount
            status = values.get("status")
            counted.delivered += status == DELIVERED
            counted.failed += status == FAILED
            counted.retrying += status is None
    return counted


# --- the wire ----------------------------------------------------------------------------------

def client() -> httpx.AsyncClient:
    # No redirects: a receiver must answer itself; following one could lead konsent anywhere.
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False,
                             headers={"User-Agent": f"konsent-webhooks/{__version__}"})


async def post(http: httpx.AsyncClient, delivery: Claimed, *, at: datetime, development: bool) -> Answer:
    body = body_of(delivery)
    headers = {"Content-Type": "application/json", EVENT: delivery.event, DELIVERY: delivery.id,
               SIGNATURE: sign(delivery.secret, body, int(at.timestamp()))}
    if not development:
        # Looked up again on every attempt: a name that was public when the endpoint was made may not be now.
        try:
            await asyncio.to_thread(refuse_private, urlsplit(delivery.url).hostname or "", field="url")
        except InputError as refused:
            return Answer(delivery, None, refused.message)
    try:
        # Streamed and never read: whatever the receiver sends back, konsent only needs its status.
        async with http.stream("POST", delivery.url, content=body, headers=headers) as response:
            status = response.status_code
    except httpx.TimeoutException:
        return Answer(delivery, None, f"no answer within {TIMEOUT:.0f} s")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Answer(delivery, None, f"could not reach the endpoint ({type(exc).__name__})")
    return Answer(delivery, status, None if 200 <= status < 300 else f"answered HTTP {status}")


async def deliver_due(app: Konsent, *, owner: str, http: httpx.AsyncClient | None = None, limit: int = BATCH,
                      concurrency: int = CONCURRENCY, rng: random.Random | None = None,
                      organisations: Sequence[str] | None = None) -> Delivered:
    """One batch: claim what is due, POST it (side by side), record the answers."""
    claimed = await asyncio.to_thread(_claim, app, owner, limit, organisations)
    if not claimed:
        return Delivered()
    development = app.settings.environment == "development"
    gate = asyncio.Semaphore(concurrency)

    async def one(delivery: Claimed, over: httpx.AsyncClient) -> Answer:
        async with gate:
            return await post(over, delivery, at=app.now(), development=development)

    if http is not None:
        answers = await asyncio.gather(*(one(d, http) for d in claimed))
    else:
        async with client() as own:
            answers = await asyncio.gather(*(one(d, own) for d in claimed))
    counted = await asyncio.to_thread(_record, app, owner, answers, rng)
    counted.claimed = len(claimed)
    return counted


def _claim(app: Konsent, owner: str, limit: int, organisations: Sequence[str] | None) -> list[Claimed]:
    with app.db.unit_of_work() as session:
        return claim(session, owner, now=app.now(), limit=limit, organisations=organisations)


def _record(app: Konsent, owner: str, answers: Sequence[Answer], rng: random.Random | None) -> Delivered:
    with app.db.unit_of_work() as session:
        return record(session, owner, answers, now=app.now(), rng=rng)
