"""Organisations: the tenants. Everything else belongs to exactly one."""

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Jurisdiction, Reading
from konsent.domain import Organisation as Policy
from konsent.errors import Conflict, InputError, NotFound
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class OrganisationView:
    id: str
    slug: str
    name: str
    jurisdiction: str
    locale: str


def create(
    app: Konsent, *, slug: str, name: str, jurisdiction: str, locale: str = "de",
    timezone: str = "Europe/Berlin", similar_categories: list[list[str]] | None = None,
    sender_name: str | None = None, sender_address: str | None = None, reading: str = "prevailing",
) -> OrganisationView:
    if not _SLUG.match(slug):
        raise InputError("slug", "use 2–63 lower-case letters, digits and hyphens")
    if _looks_like_id(slug):
        # Organisations are found by id or slug: a slug spelled like another's id would shadow it.
        raise InputError("slug", "must not have the form of an id")
    if jurisdiction not in Jurisdiction.__members__:
        raise InputError("jurisdiction", "must be DE, AT or CH")
    if reading not in {r.value for r in Reading}:
        raise InputError("reading", "must be prevailing or strict")
    if locale not in {"de", "en"}:
        raise InputError("locale", "must be de or en")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("timezone", "not a known time zone (e.g. Europe/Berlin)") from None
    if not name.strip():
        raise InputError("name", "must not be empty")
    # Both end up in mail headers (From, the DOI subject): one line each, or header injection.
    for field, value in (("name", name), ("sender_name", sender_name or "")):
        if "\n" in value or "\r" in value:
            raise InputError(field, "must be one line")
    with app.db.unit_of_work() as session:
        if session.scalar(select(t.Organisation.id).where(t.Organisation.slug == slug)):
            raise Conflict(f"an organisation with slug {slug!r} exists")
        organisation = t.Organisation(
            id=str(uuid.uuid4()), slug=slug, name=name.strip(), jurisdiction=jurisdiction,
            locale=locale, timezone=timezone, secret=secrets.token_hex(32), reading=reading,
            similar_categories=similar_categories or [], sender_name=sender_name,
            sender_address=sender_address, created_at=app.now(),
        )
        session.add(organisation)
        session.flush()
        ledger.start_chain(session, organisation.id)
        return _view(organisation)


def _looks_like_id(slug: str) -> bool:
    try:
        uuid.UUID(slug)
    except ValueError:
        return False
    return True


def get(session: Session, key: str) -> t.Organisation:
    """By id or slug."""
    organisation = session.scalar(
        select(t.Organisation).where((t.Organisation.id == key) | (t.Organisation.slug == key))
    )
    if organisation is None:
        raise NotFound("organisation", key)
    return organisation


class Settings(Protocol):
    """What the engine reads of an organisation: a stored one, or a row read on a hot path."""

    @property
    def jurisdiction(self) -> str: ...
    @property
    def similar_categories(self) -> list[Any]: ...
    @property
    def reading(self) -> str: ...


def policy(organisation: Settings) -> Policy:
    """The organisation's settings as the engine reads them."""
    return Policy(
        similar_categories=tuple(frozenset(group) for group in organisation.similar_categories),
        reading=Reading(organisation.reading),
    )


def _view(organisation: t.Organisation) -> OrganisationView:
    return OrganisationView(
        organisation.id, organisation.slug, organisation.name, organisation.jurisdiction,
        organisation.locale,
    )
