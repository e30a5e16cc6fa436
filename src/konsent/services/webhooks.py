"""Webhooks out: endpoints of the host system, and the deliveries announcing what happened to them.

A delivery is a row in `webhook_deliveries`, written in the transaction that caused it (a
transactional outbox, like messages): a consent change and its announcement commit together or not
at all, so nothing is announced that did not happen and nothing that happened is lost. Workers
deliver the rows (services/webhook_delivery.py). Payloads carry ids and codes, never an address or
a name: a receiver that wants more asks the API, with its key.
"""

import ipaddress
import json
import secrets
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from konsent.domain.ledger import Event, EventType
from konsent.errors import InputError, NotFound
from konsent.services import audit, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t

if TYPE_CHECKING:
    from konsent.services.dispatch import Outcome

CONSENT_CHANGED = "consent.changed"
MESSAGE_EVENTS = {"sent": "message.sent", "failed": "message.failed", "withheld": "message.withheld"}
EVENTS = (CONSENT_CHANGED, *MESSAGE_EVENTS.values())
# A complaint alone changes no permission; when it asks for no more messages it comes with an objection.
CONSENT_EVENT_TYPES = frozenset(EventType) - {EventType.COMPLAINT}
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ENDPOINTS = 20  # per organisation: each one multiplies every event


@dataclass(frozen=True)
class WebhookView:
    id: str
    url: str
    events: list[str]  # empty: every event
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": self.events, "created_at": self.created_at.isoformat()}


# --- endpoints ---------------------------------------------------------------------------------

def create(app: Konsent, organisation_key: str, *, url: str, events: Sequence[str] = (),
           actor: str | None = None) -> tuple[WebhookView, str]:
    """A new endpoint and its signing secret, which is shown this once."""
    url = checked_url(url, development=app.settings.environment == "development")
    wanted = checked_events(events)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        if len(_active(session, organisation.id)) >= MAX_ENDPOINTS:
            raise InputError("url", f"an organisation has at most {MAX_ENDPOINTS} webhook endpoints; delete one first")
        row = t.WebhookEndpoint(id=str(uuid.uuid4()), organisation_id=organisation.id, url=url, secret=secret,
                                events=wanted, created_at=now)
        session.add(row)
        audit.record(session, organisation.id, actor=actor, action="webhook.created", at=now, subject=row.id,
                     events=wanted)
    _NOBODY_LISTENING.clear()  # this process hears about it at once; others within `_REMEMBERED` seconds
    return _view(row), secret


def listed(app: Konsent, organisation_key: str) -> list[WebhookView]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return [_view(row) for row in _active(session, organisation.id)]


def get(app: Konsent, organisation_key: str, endpoint_id: str) -> WebhookView:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return _view(_find(session, organisation.id, endpoint_id))


def delete(app: Konsent, organisation_key: str, endpoint_id: str, *, actor: str | None = None) -> None:
    """Stop announcing to the endpoint; what was still waiting for it is given up."""
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _find(session, organisation.id, endpoint_id)
        row.disabled_at = now
        # Kept, not deleted: the deliveries made so far stay as the record of what was announced.
        session.execute(update(t.WebhookDelivery).where(
            t.WebhookDelivery.organisation_id == organisation.id, t.WebhookDelivery.endpoint_id == row.id,
            t.WebhookDelivery.status == PENDING,
        ).values(status=FAILED, last_error="the endpoint was deleted", lease_owner=None, lease_expires_at=None))
        audit.record(session, organisation.id, actor=actor, action="webhook.deleted", at=now, subject=row.id)
    _NOBODY_LISTENING.clear()


def _active(session: Session, organisation_id: str) -> list[t.WebhookEndpoint]:
    return list(session.scalars(select(t.WebhookEndpoint).where(
        t.WebhookEndpoint.organisation_id == organisation_id, t.WebhookEndpoint.disabled_at.is_(None),
    ).order_by(t.WebhookEndpoint.created_at, t.WebhookEndpoint.id)))


def _find(session: Session, organisation_id: str, endpoint_id: str) -> t.WebhookEndpoint:
    row = session.get(t.WebhookEndpoint, endpoint_id)
    # Another organisation's endpoint is as absent as one that never existed.
    if row is None or row.organisation_id != organisation_id or row.disabled_at is not None:
        raise NotFound("webhook endpoint", endpoint_id)
    return row


def _view(row: t.WebhookEndpoint) -> WebhookView:
    return WebhookView(row.id, row.url, list(row.events), row.created_at)


def checked_events(events: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(events))
    for index, event in enumerate(wanted):
        if event not in EVENTS:
            raise InputError(f"events[{index}]", f"must be one of {', '.join(EVENTS)} (none: every event)")
    return sorted(wanted)


def checked_url(url: str, *, development: bool) -> str:
    """An http(s) URL; outside development only https to a public address — konsent must not be
    made to call into its own network (SSRF)."""
    url = url.strip()
    if len(url) > 2000:
        raise InputError("url", "is longer than 2000 characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InputError("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what finds a malformed one
    except ValueError:
        raise InputError("url", "is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("url", "must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InputError("url", "must not carry a user name or password; receivers check the signature instead")
    if not development:
        if parts.scheme != "https":
            raise InputError("url", "must use https")
        refuse_private(parts.hostname, field="url")
    return url


def refuse_private(host: str, *, field: str) -> None:
    """Every address the host resolves to must be a public one (not loopback, private, link-local…)."""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise InputError(field, "the host name cannot be resolved") from None
    for text in found:
        address = ipaddress.ip_address(str(text).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise InputError(field, "must point to a public address, not to a private or local network")


# --- announcing: rows written in the caller's transaction ----------------------------------------

# Organisations this process saw without endpoints, and when: the send path asks at most every
# `_REMEMBERED` seconds instead of once per flush (a hundred thousand messages go through there).
_NOBODY_LISTENING: dict[tuple[str, str], float] = {}
_REMEMBERED = 2.0
_SESSION_KEY = "konsent.webhook_endpoints"


def _endpoints(session: Session, organisation_ids: Iterable[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """Active endpoints per organisation (id, events), read once per transaction."""
    known: dict[str, list[tuple[str, list[str]]]] = session.info.setdefault(_SESSION_KEY, {})
    missing = sorted(set(organisation_ids) - set(known))
    if missing:
        for organisation_id in missing:
            known[organisation_id] = []
        for organisation_id, endpoint_id, events in session.execute(select(
                t.WebhookEndpoint.organisation_id, t.WebhookEndpoint.id, t.WebhookEndpoint.events,
        ).where(t.WebhookEndpoint.organisation_id.in_(missing), t.WebhookEndpoint.disabled_at.is_(None))
                .order_by(t.WebhookEndpoint.id)):
            known[organisation_id].append((endpoint_id, list(events or ())))
    return known


def _listeners(session: Session, organisation_ids: Iterable[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """As `_endpoints`, but trusting a recent "nobody listens" of this process (the send path)."""
    database = str(session.get_bind().engine.url)
    moment = time.monotonic()
    asked = [o for o in sorted(set(organisation_ids))
             if (seen := _NOBODY_LISTENING.get((database, o))) is None or moment - seen >= _REMEMBERED]
    found = _endpoints(session, asked) if asked else {}
    for organisation_id in asked:
        if found.get(organisation_id):
            _NOBODY_LISTENING.pop((database, organisation_id), None)
        else:
            _NOBODY_LISTENING[(database, organisation_id)] = moment
    return {o: endpoints for o, endpoints in found.items() if endpoints}


def announce_ledger(session: Session, organisation_id: str, events: Sequence[Event], *, now: datetime) -> int:
    """One `consent.changed` delivery per consent-relevant ledger event and listening endpoint."""
    relevant = [e for e in events if e.type in CONSENT_EVENT_TYPES]
    if not relevant:
        return 0
    endpoints = _endpoints(session, [organisation_id])[organisation_id]
    wanted = [endpoint_id for endpoint_id, names in endpoints if not names or CONSENT_CHANGED in names]
    if not wanted:
        return 0
    given = _consents_given(session, organisation_id, relevant)
    payloads = [_consent_payload(organisation_id, event, given) for event in relevant]
    return _write(session, organisation_id, [(e, CONSENT_CHANGED, p) for p in payloads for e in wanted], now)


def _consents_given(session: Session, organisation_id: str, events: Sequence[Event]) -> dict[str, dict[str, Any]]:
    """The data of the `consent.given` events that DOI events point to (their channel and purpose)."""
    given = {e.id: dict(e.data) for e in events if e.type is EventType.CONSENT_GIVEN}
    wanted = {str(e.data["consent_id"]) for e in events if "consent_id" in e.data} - set(given)
    if wanted:
        for event_id, body in session.execute(select(t.LedgerEvent.id, t.LedgerEvent.body).where(
                t.LedgerEvent.organisation_id == organisation_id, t.LedgerEvent.id.in_(sorted(wanted)))):
            given[event_id] = json.loads(body)["data"]
    return given


def _consent_payload(organisation_id: str, event: Event, given: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = event.data
    consent_id = event.id if event.type is EventType.CONSENT_GIVEN else data.get("consent_id")
    consent = given.get(str(consent_id), {}) if consent_id else {}
    return {
        "event": CONSENT_CHANGED, "organisation_id": organisation_id, "customer_id": event.customer,
        "ledger_seq": event.seq, "type": event.type.value,
        "channel": data.get("channel", consent.get("channel")),
        "purpose": data.get("purpose", consent.get("purpose")),
        "scope": data.get("scope"), "consent_id": consent_id, "occurred_at": event.occurred_at.isoformat(),
    }


def announce_outcomes(session: Session, outcomes: Sequence["Outcome"], *, now: datetime) -> int:
    """`message.sent|failed|withheld` for final outcomes, to the endpoints listening for them."""
    final = [o for o in outcomes if o.status in MESSAGE_EVENTS]
    if not final:
        return 0
    listening = _listeners(session, {o.row.organisation_id for o in final})
    if not listening:
        return 0
    rows: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for outcome in final:
        event = MESSAGE_EVENTS[outcome.status]
        for endpoint_id, names in listening.get(outcome.row.organisation_id, ()):
            if not names or event in names:
                rows.setdefault(outcome.row.organisation_id, []).append(
                    (endpoint_id, event, _message_payload(event, outcome)))
    return sum(_write(session, organisation_id, own, now) for organisation_id, own in rows.items())


def _message_payload(event: str, outcome: "Outcome") -> dict[str, Any]:
    row = outcome.row
    # Reason codes only: an error's text (a mail server's answer) may repeat the address.
    reasons = [r["code"] for r in outcome.log.get("decision", {}).get("reasons", []) if "code" in r]
    return {
        "event": event, "organisation_id": row.organisation_id, "message_id": row.id, "customer_id": row.customer_id,
        "channel": row.channel, "kind": row.kind, "campaign_id": row.campaign_id, "status": outcome.status,
        "reasons": reasons if outcome.status == "withheld" else [], "attempts": row.attempts,
        "occurred_at": outcome.at.isoformat(),
    }


def _write(session: Session, organisation_id: str, rows: Sequence[tuple[str, str, dict[str, Any]]],
           now: datetime) -> int:
    if rows:
        session.execute(insert(t.WebhookDelivery), [
            {"id": str(uuid.uuid4()), "organisation_id": organisation_id, "endpoint_id": endpoint_id, "event": event,
             "payload": payload, "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
            for endpoint_id, event, payload in rows
        ])
    return len(rows)
