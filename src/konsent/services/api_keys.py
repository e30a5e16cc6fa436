"""API keys: how a vendor's system acts for one organisation.

A key is shown once, when it is made: `ks_<prefix>_<secret>`. konsent keeps the prefix (to find
the key and to show which one it is) and the SHA-256 of the whole key. A key carries 256 bits of
randomness, so a plain hash is as good as a slow one here and keeps each request cheap.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from konsent.errors import InputError, NotFound
from konsent.services import audit, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t

SCOPES = ("read", "write")
_USE_RECORDED_EVERY = timedelta(minutes=1)  # `last_used_at` is a hint, not a write per request


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: an organisation, through one key, allowed these scopes."""

    organisation_id: str
    key_id: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class ApiKeyView:
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(app: Konsent, organisation_key: str, *, name: str, scopes: list[str],
           actor: str | None = None) -> tuple[ApiKeyView, str]:
    """A new key and its plain text, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("name", "give the key a name of 1–200 characters (which system uses it)")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InputError("scopes", f"choose from {', '.join(SCOPES)}" + (f"; unknown: {', '.join(unknown)}"
                                                                         if unknown else ""))
    prefix = secrets.token_hex(6)
    plain = f"ks_{prefix}_{secrets.token_urlsafe(32)}"
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = t.ApiKey(id=str(uuid.uuid4()), organisation_id=organisation.id, name=name, prefix=prefix,
                       secret_hash=_digest(plain), scopes=sorted(set(scopes)), created_at=now)
        session.add(row)
        audit.record(session, organisation.id, actor=actor, action="api_key.created", at=now, subject=row.id,
                     name=name, scopes=row.scopes)
        return _view(row), plain


def listed(app: Konsent, organisation_key: str) -> list[ApiKeyView]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        rows = session.scalars(select(t.ApiKey).where(t.ApiKey.organisation_id == organisation.id)
                               .order_by(t.ApiKey.created_at))
        return [_view(r) for r in rows]


def revoke(app: Konsent, organisation_key: str, key_id: str, *, actor: str | None = None) -> ApiKeyView:
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = session.scalar(select(t.ApiKey).where(t.ApiKey.organisation_id == organisation.id,
                                                    (t.ApiKey.id == key_id) | (t.ApiKey.prefix == key_id)))
        if row is None:
            raise NotFound("API key", key_id)
        if row.revoked_at is None:
            row.revoked_at = now
            audit.record(session, organisation.id, actor=actor, action="api_key.revoked", at=now, subject=row.id)
        return _view(row)


def authenticate(app: Konsent, presented: str) -> Caller | None:
    """The caller a presented key stands for, or None for a wrong, unknown or revoked key."""
    prefix = prefix_of(presented)
    if prefix is None:
        return None
    # Every API request comes here: Core without an ORM session's bookkeeping, and one statement
    # without a transaction around it (on PostgreSQL one round trip instead of three).
    with app.db.one_statement() as connection:
        return admitted(connection, connection.execute(_BY_PREFIX, {"prefix": prefix}).first(), presented,
                        now=app.now())


def admitted(connection: Connection, row: Any, presented: str, *, now: datetime) -> Caller | None:
    """The caller for a key row found by the presented key's prefix (a row of `_BY_PREFIX`'s columns,
    read however the caller reads it), or None when the key is wrong or revoked."""
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _digest(presented)):
        return None
    if row.last_used_at is None or now - row.last_used_at > _USE_RECORDED_EVERY:
        connection.execute(update(t.ApiKey).where(t.ApiKey.id == row.key_id).values(last_used_at=now))
    return Caller(organisation_id=row.organisation_id, key_id=row.key_id, scopes=frozenset(row.scopes))


# Built once: on every API request, composing the statement would cost more than running it.
KEY_COLUMNS = (t.ApiKey.id.label("key_id"), t.ApiKey.organisation_id, t.ApiKey.secret_hash, t.ApiKey.scopes,
               t.ApiKey.last_used_at, t.ApiKey.revoked_at)
_BY_PREFIX = select(*KEY_COLUMNS).where(t.ApiKey.prefix == bindparam("prefix"))


def prefix_of(presented: str) -> str | None:
    """The part of a presented key that finds its row; None for what cannot be a key at all."""
    parts = presented.split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "ks" and len(parts[1]) == 12 else None


def _view(row: t.ApiKey) -> ApiKeyView:
    return ApiKeyView(id=row.id, name=row.name, prefix=row.prefix, scopes=list(row.scopes),
                      created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)
