"""An organisation's settings after it was created: its name and law, its sender identity, and
what its public pages show (logo, imprint, privacy policy)."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from konsent.domain import Jurisdiction, Reading
from konsent.errors import InputError
from konsent.services import audit, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t

REQUIRED = ("name", "jurisdiction", "locale", "timezone", "reading")
OPTIONAL = ("sender_name", "sender_address", "logo_url", "imprint", "privacy_url", "similar_categories")
_ONE_LINE = ("name", "sender_name")  # both end up in mail headers (From, subjects)


def check(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes, tidied; the first bad one is refused with its field."""
    tidy: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in REQUIRED and name not in OPTIONAL:
            raise InputError(name, "not a setting of an organisation")
        if value is None:
            if name in REQUIRED:
                raise InputError(name, "cannot be removed, only changed")
            tidy[name] = [] if name == "similar_categories" else None
            continue
        tidy[name] = _checked(name, value)
    return tidy


def _checked(name: str, value: Any) -> Any:
    if name in _ONE_LINE and any(c in value for c in "\r\n\x00"):
        raise InputError(name, "must be one line")
    if name in ("name", "sender_name", "imprint", "sender_address"):
        value = value.strip()
        if not value:
            raise InputError(name, "must not be blank (send null to remove it)" if name != "name" else
                             "must not be blank")
    elif name == "jurisdiction" and value not in Jurisdiction.__members__:
        raise InputError(name, "must be DE, AT or CH")
    elif name == "locale" and value not in ("de", "en"):
        raise InputError(name, "must be de or en")
    elif name == "reading" and value not in {r.value for r in Reading}:
        raise InputError(name, "must be prevailing or strict")
    elif name == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(name, "not a known time zone (e.g. Europe/Berlin)") from None
    elif name in ("logo_url", "privacy_url"):
        _url(name, value, https_only=name == "logo_url")
    elif name == "similar_categories":
        value = [sorted({c.strip() for c in group if c.strip()}) for group in value]
        for index, group in enumerate(value):
            if not group:
                raise InputError(f"similar_categories[{index}]", "a group needs at least one category")
    return value


def _url(name: str, value: str, *, https_only: bool) -> None:
    # The logo is loaded by customers' browsers on konsent's own pages, where the policy allows
    # only https images; a privacy policy may still live on a plain http site.
    schemes = ("https",) if https_only else ("https", "http")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc or any(c.isspace() for c in value):
        raise InputError(name, f"must be an absolute {' or '.join(schemes)} URL")


def change(app: Konsent, organisation_key: str, changes: Mapping[str, Any], *,
           actor: str | None = None) -> t.Organisation:
    tidy = check(changes)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        for name, value in tidy.items():
            setattr(organisation, name, value)
        audit.record(session, organisation.id, actor=actor, action="organisation.changed", at=app.now(),
                     subject=organisation.id, settings=sorted(tidy))
        session.flush()
        return organisation


def show(app: Konsent, organisation_key: str) -> t.Organisation:
    with app.db.unit_of_work() as session:
        return organisations.get(session, organisation_key)
