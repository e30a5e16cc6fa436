"""The customer record (Kundenakte) as the staff desk reads it: who the person is, what they bought,
what konsent may send them on each channel and why, the ledger with its evidence, and every message
with the decision behind it. Read-only; every query is scoped to the staff member's organisation.

The permissions are asked of the engine exactly as `facts.decide_for` asks it, so the desk never
says "allowed" where the API's `decide` would say "deny".
"""

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from konsent.domain import Channel, Decision, Purpose, decide
from konsent.domain.ledger import ConsentRecord, CustomerState
from konsent.errors import InputError, NotFound
from konsent.services import collected, customers, dossier, facts, organisations, suppression
from konsent.services.context import Konsent
from konsent.services.customers import CustomerView
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.validation import normalise_phone

# Every advertising purpose a consent can name has a message kind of the same name.
PURPOSES = tuple(p.value for p in Purpose if p is not Purpose.ADVERTISING)
CHANNELS = tuple(c.value for c in Channel)
ALLOWED, NOT_ALLOWED, WAITING, OBJECTED = "allowed", "not_allowed", "waiting", "objected"
_OBJECTION_CODES = frozenset({"objection", "objection_to_all_messages"})
_UNPROVEN_CODES = frozenset({"unconfirmed_consent", "consent_without_evidence"})
_LIKE_SPECIALS = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class Found:
    id: str
    external_id: str | None
    first_name: str | None
    last_name: str | None
    contacts: dict[str, str]
    erased: bool
    created_at: datetime


@dataclass(frozen=True)
class SearchPage:
    items: list[Found]
    next_cursor: str | None


def search(app: Konsent, organisation_key: str, query: str, *, cursor: str | None = None,
           limit: int = 25) -> SearchPage:
    """Customers whose name, email, phone, external id or konsent id matches `query`, oldest first;
    an empty query lists everyone. Keyset-paged: a page never skips or repeats a customer."""
    query = query.strip()
    if len(query) > 200:
        raise InputError("q", "search for at most 200 characters")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        statement = _matching(session, select(t.Customer).where(t.Customer.organisation_id == organisation.id),
                              organisation, query)
        if cursor:
            at, last = _decode(cursor)
            statement = statement.where(or_(t.Customer.created_at > at,
                                            and_(t.Customer.created_at == at, t.Customer.id > last)))
        rows = list(session.scalars(statement.order_by(t.Customer.created_at, t.Customer.id).limit(limit + 1)))
        shown = rows[:limit]
        contacts = _contacts(session, organisation.id, [row.id for row in shown])
        return SearchPage(
            items=[Found(id=r.id, external_id=r.external_id, first_name=r.first_name, last_name=r.last_name,
                         contacts=contacts.get(r.id, {}), erased=r.erased_at is not None, created_at=r.created_at)
                   for r in shown],
            next_cursor=_encode(shown[-1].created_at, shown[-1].id) if len(rows) > limit else None,
        )


def _encode(at: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), key]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        at, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(at)
    except (ValueError, TypeError) as exc:
        raise InputError("cursor", "not a page of this search; start the search again") from exc
    if moment.tzinfo is None:
        raise InputError("cursor", "not a page of this search; start the search again")
    return moment, str(key)


def _like(text: str) -> str:
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", text) + "%"


_FEW = 1_000  # a way of matching that finds more customers than this makes the query "common"


def _matching(session: Session, statement: Select[Any], organisation: t.Organisation,
              query: str) -> Select[Any]:
    """Customers whose name, a contact point, id or external id matches.

    A rare query is answered from the indexes, each way of matching on its own (trigrams on
    PostgreSQL), and the few customers found are listed. A common one ("Müller") would make that
    list huge; instead the customers are walked in page order, each checked, and the page is full
    after a few dozen. A few capped index probes tell the two apart."""
    if not query:
        return statement
    found: set[str] = set()
    for way in _ways(organisation, query):
        ids = list(session.scalars(way.limit(_FEW + 1)))
        if len(ids) > _FEW:
            return statement.where(or_(*_conditions(organisation, query)))
        found.update(ids)
    return statement.where(t.Customer.id.in_(sorted(found)))


def _named(query: str) -> ColumnElement[bool]:
    # "Anna Berg" finds Anna Berg: every word in the first or the last name.
    c = t.Customer
    return and_(*[or_(c.first_name.ilike(w, escape="\\"), c.last_name.ilike(w, escape="\\"))
                  for w in (_like(word) for word in query.split())])


def _phone(organisation: t.Organisation, query: str) -> str | None:
    try:
        return normalise_phone(query, region=organisation.jurisdiction)
    except InputError:
        return None


def _ways(organisation: t.Organisation, query: str) -> list[Select[Any]]:
    c, p, own = t.Customer, t.ContactPoint, organisation.id
    ways = [
        select(c.id).where(c.organisation_id == own, or_(c.id == query, c.external_id == query)),
        select(p.customer_id).where(p.organisation_id == own, p.value.ilike(_like(query.lower()), escape="\\")),
        select(c.id).where(c.organisation_id == own, _named(query)),
    ]
    if (number := _phone(organisation, query)) is not None:
        ways.append(select(p.customer_id).where(p.organisation_id == own, p.kind == "phone", p.value == number))
    return ways


def _conditions(organisation: t.Organisation, query: str) -> list[ColumnElement[bool]]:
    """The same ways of matching, as conditions on one customer row."""
    c, p, own = t.Customer, t.ContactPoint, organisation.id
    mine = (p.organisation_id == own) & (p.customer_id == c.id)
    conditions = [c.id == query, c.external_id == query, _named(query),
                  exists().where(mine, p.value.ilike(_like(query.lower()), escape="\\"))]
    if (number := _phone(organisation, query)) is not None:
        conditions.append(exists().where(mine, p.kind == "phone", p.value == number))
    return conditions


def _contacts(session: Session, organisation_id: str, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if not ids:
        return found
    for customer_id, kind, value in session.execute(select(
        t.ContactPoint.customer_id, t.ContactPoint.kind, t.ContactPoint.value,
    ).where(t.ContactPoint.organisation_id == organisation_id, t.ContactPoint.customer_id.in_(ids))):
        found.setdefault(customer_id, {})[kind] = value
    return found


@dataclass(frozen=True)
class Permission:
    """May konsent send this purpose on this channel now — the engine's answer, in the desk's words."""

    channel: str
    purpose: str
    status: str  # allowed | not_allowed | waiting | objected
    decision: Decision
    reasons: list[str]
    since: datetime | None
    address_on_file: bool


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    id: str
    type: str
    occurred_at: str
    recorded_at: str
    data: dict[str, Any]
    actor: str | None
    evidence: dict[str, str] | None
    evidence_status: str


@dataclass(frozen=True)
class SentMessage:
    id: str
    kind: str
    channel: str
    status: str
    subject: str | None
    created_at: str | None
    sent_at: str | None
    decision: str | None  # allow | deny
    basis: str | None
    reasons: list[str]


@dataclass(frozen=True)
class PurchaseRow:
    occurred_at: datetime
    external_id: str | None
    categories: list[str]
    contact_collected: list[str]
    objection_notice_at_collection: bool


@dataclass(frozen=True)
class CustomerRecord:
    customer: CustomerView
    created_at: datetime
    purchases: list[PurchaseRow]
    permissions: list[Permission]
    timeline: list[TimelineEntry]
    messages: list[SentMessage]
    open_signups: list[ConsentRecord]  # sign-ups by email or SMS still waiting for their double opt-in


def record(app: Konsent, organisation_key: str, customer_key: str, *, lang: str) -> CustomerRecord:
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        view = customers.view(session, organisation, customer)
        state = ledger.load_state(session, organisation.id, customer.id)
        purchases = list(session.scalars(select(t.Purchase).where(
            t.Purchase.organisation_id == organisation.id, t.Purchase.customer_id == customer.id,
        ).order_by(t.Purchase.occurred_at.desc())))
        return CustomerRecord(
            customer=view, created_at=customer.created_at,
            purchases=[PurchaseRow(p.occurred_at, p.external_id, list(p.categories), list(p.contact_collected),
                                   p.objection_notice_at_collection) for p in purchases],
            permissions=permissions(session, organisation, customer, state, purchases, now=now, lang=lang),
            timeline=timeline(session, organisation.id, customer.id),
            messages=[sent_message(m, lang) for m in dossier.messages_of(session, organisation.id, customer.id)],
            open_signups=[c for c in state.consents if _waiting(c, now) and c.channel in (Channel.EMAIL, Channel.SMS)],
        )


def permissions(
    session: Session, organisation: t.Organisation, customer: t.Customer, state: CustomerState,
    purchases: Sequence[t.Purchase], *, now: datetime, lang: str,
) -> list[Permission]:
    contacts = customers.contacts_of(session, organisation.id, customer.id)
    changed = collected.address_since((kind, at) for kind, at in session.execute(select(
        t.ContactPoint.kind, t.ContactPoint.changed_at).where(
        t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.customer_id == customer.id)))
    found = []
    for channel in Channel:
        for purpose in PURPOSES:
            scenario = facts.scenario_for(session, organisation, customer, facts.Asked(purpose, channel.value), now)
            decision = decide(scenario)
            found.append(Permission(
                channel=channel.value, purpose=purpose, status=_status(decision, state, channel, now),
                decision=decision, reasons=[reason.text(lang) for reason in decision.reasons],
                since=_since(state, purchases, channel, purpose, changed.get(channel)) or customer.created_at,
                address_on_file=suppression.CONTACT_KIND[channel] in contacts,
            ))
    return found


def _status(decision: Decision, state: CustomerState, channel: Channel, now: datetime) -> str:
    if decision.allowed:
        return ALLOWED
    codes = set(decision.codes)
    if codes & _OBJECTION_CODES:
        return OBJECTED
    if codes & _UNPROVEN_CODES and any(c.channel is channel and _waiting(c, now) for c in state.consents):
        return WAITING
    return NOT_ALLOWED


def _waiting(consent: ConsentRecord, now: datetime) -> bool:
    return (consent.doi_confirmed_at is None and consent.withdrawn_at is None and consent.doi_expired_at is None
            and not consent.evidence and consent.given_at <= now)


def _since(state: CustomerState, purchases: Sequence[t.Purchase], channel: Channel, purpose: str,
           address_changed: datetime | None = None) -> datetime | None:
    """The last moment anything that bears on this channel and purpose happened: the status has held since.
    A new address is such a moment: the sales before it no longer count for the privilege."""
    moments: list[datetime] = [address_changed] if address_changed is not None else []
    for consent in state.consents:
        if consent.channel is channel and consent.purpose in (Purpose.ADVERTISING, Purpose(purpose)):
            moments += [m for m in (consent.given_at, consent.doi_confirmed_at, consent.doi_expired_at,
                                    consent.withdrawn_at) if m is not None]
    moments += [o.at for o in state.objections if o.covers(channel)]
    moments += [p.occurred_at for p in purchases if channel.value in p.contact_collected]
    return max(moments, default=None)


def timeline(session: Session, organisation_id: str, customer_id: str) -> list[TimelineEntry]:
    """Every ledger event of the customer, newest first, with the evidence kept beside the chain."""
    return [
        TimelineEntry(
            seq=entry["seq"], id=entry["id"], type=entry["type"], occurred_at=entry["occurred_at"],
            recorded_at=entry["recorded_at"], data=dict(entry["data"]), actor=entry.get("actor"),
            evidence=entry["evidence"], evidence_status=entry["evidence_status"],
        )
        for entry in reversed(dossier.ledger_entries(session, organisation_id, customer_id))
    ]


def sent_message(message: dict[str, Any], lang: str) -> SentMessage:
    decision = message.get("decision") or {}
    return SentMessage(
        id=message["id"], kind=message["kind"], channel=message["channel"], status=message["status"],
        subject=message["subject"], created_at=message["created_at"], sent_at=message["sent_at"],
        decision=decision.get("decision"), basis=decision.get("basis"),
        reasons=[reason_text(reason, lang) for reason in decision.get("reasons", [])],
    )


def reason_text(reason: dict[str, Any], lang: str) -> str:
    """A stored reason in words. Campaign snapshots keep only the code (their sentences would carry a
    stand-in's dates), so those are worded without their parameters."""
    texts = reason.get("texts")
    if isinstance(texts, dict) and texts.get(lang):
        return str(texts[lang])
    if reason.get("text"):
        return str(reason["text"])
    return str(reason.get("code", "?"))


def consent_texts(app: Konsent, organisation_key: str) -> list[t.ConsentText]:
    """The organisation's consent texts, newest version first per key and language (for the desk's form)."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return list(session.scalars(select(t.ConsentText).where(t.ConsentText.organisation_id == organisation.id)
                                    .order_by(t.ConsentText.key, t.ConsentText.locale, t.ConsentText.version.desc())))


def staff_names(app: Konsent, organisation_key: str) -> dict[str, str]:
    """actor → name for the organisation's staff accounts, to show who did something."""
    from konsent.services.staff import actor_of  # noqa: PLC0415

    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return {actor_of(account_id): name for account_id, name in session.execute(
            select(t.StaffAccount.id, t.StaffAccount.name).where(t.StaffAccount.organisation_id == organisation.id))}


@dataclass(frozen=True)
class ConsentOnRecord:
    """One consent as the desk sees it after recording it: is it proven, and where is its double opt-in?"""

    customer: CustomerView
    consent: ConsentRecord
    doi_status: str | None  # the last confirmation request's message: sent | failed | queued; None: none asked
    may_request_doi: bool


def consent_on_record(app: Konsent, organisation_key: str, customer_key: str, consent_id: str) -> ConsentOnRecord:
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        state = ledger.load_state(session, organisation.id, customer.id)
        consent = next((c for c in state.consents if c.consent_id == consent_id), None)
        if consent is None:
            raise NotFound("consent", consent_id)
        doi_status = session.scalar(select(t.Message.status).join(
            t.DoiRequest, t.DoiRequest.message_id == t.Message.id,
        ).where(
            t.DoiRequest.organisation_id == organisation.id, t.DoiRequest.consent_id == consent_id,
        ).order_by(t.DoiRequest.requested_at.desc()).limit(1))
        return ConsentOnRecord(
            customer=customers.view(session, organisation, customer), consent=consent, doi_status=doi_status,
            may_request_doi=_waiting(consent, now) and consent.channel in (Channel.EMAIL, Channel.SMS)
            and doi_status in (None, "failed") and customer.erased_at is None,
        )
