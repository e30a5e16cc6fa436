"""Fixed-window rate limits in the `rate_counters` table, shared by every process on every machine.

One statement counts a hit and reads the count back (INSERT … ON CONFLICT DO UPDATE … RETURNING,
SQLite ≥ 3.35 and PostgreSQL), in a transaction of its own: a refused request still counts.
The key is a keyed hash of the route and the client's address — an IP address is personal data
and must not sit in the database in the clear. The client address is the connection's peer; run
the server behind a proxy with uvicorn's `--proxy-headers` (and `--forwarded-allow-ips`) so that
it is the person's, not the proxy's.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else

MINUTE = 60
HOUR = 3600
_KEEP_SECONDS = 2 * HOUR  # longer than the longest window: older rows count nothing any more
PREFIX = "web:"
_PRUNE_ONE_IN = 64  # a new window prunes old ones now and then, not on every request


@dataclass(frozen=True, slots=True)
class Limit:
    route: str  # names the counter: "public", "signup"
    hits: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Exceeded:
    retry_after: int  # seconds until the window ends


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def key_for(secret: str, route: str, client: str) -> str:
    digest = hmac.new(secret.encode(), f"{route}\x00{client}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}{route}:{digest[:64]}"


def hit(app: Konsent, limit: Limit, client: str) -> Exceeded | None:
    """Count one request of `client` against `limit`; `Exceeded` once it is over."""
    now = int(app.now().timestamp())
    window = now - now % limit.seconds
    key = key_for(app.settings.security.secret_key.get_secret_value(), limit.route, client)
    with app.db.unit_of_work() as session:
        hits = _count(session, key, window)
        if hits == 1 and secrets.randbelow(_PRUNE_ONE_IN) == 0:
            # Only this module's counters: the table also holds send quotas and daily marks of their own.
            session.execute(delete(t.RateCounter).where(t.RateCounter.key.startswith(PREFIX),
                                                        t.RateCounter.window < now - _KEEP_SECONDS))
    if hits > limit.hits:
        return Exceeded(retry_after=max(1, window + limit.seconds - now))
    return None


def first_exceeded(app: Konsent, limits: tuple[Limit, ...], client: str) -> Exceeded | None:
    """Every limit counts the request (so none can be dodged by tripping another first)."""
    found = [exceeded for limit in limits if (exceeded := hit(app, limit, client)) is not None]
    return max(found, key=lambda e: e.retry_after, default=None)


def public_limits(app: Konsent, *, signup: bool = False) -> tuple[Limit, ...]:
    security = app.settings.security
    limits = (Limit("public", security.public_per_minute, MINUTE),)
    return (*limits, Limit("signup", security.signup_per_hour, HOUR)) if signup else limits


def _count(session: Session, key: str, window: int) -> int:
    values = {"key": key, "window": window, "hits": 1}
    columns = [t.RateCounter.key, t.RateCounter.window]
    more = {"hits": t.RateCounter.hits + 1}
    counted = session.execute(insert_or_else(session, t.RateCounter).values(values)
                              .on_conflict_do_update(index_elements=columns, set_=more).returning(t.RateCounter.hits))
    return int(counted.scalar_one())
