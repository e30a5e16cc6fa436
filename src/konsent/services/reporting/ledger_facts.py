"""The organisation's ledger as the reports need it: every customer's consents and objections.

Read from the hashed event bodies (never from the queryable copies beside them) and folded with the
domain's own `apply`, so a report says what the ledger says. Only the event types that shape
consents and objections are read.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Channel, ConsentMethod
from konsent.domain.facts import SELF_EVIDENT_SOURCES
from konsent.domain.ledger import ALL, ConsentRecord, CustomerState, Event, EventType, apply
from konsent.storage import tables as t
from konsent.storage.ledger import event_from_body

FOLDED = (EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED, EventType.DOI_CONFIRMED, EventType.DOI_EXPIRED,
          EventType.CONSENT_WITHDRAWN, EventType.OBJECTION, EventType.ERASURE)


@dataclass(frozen=True, slots=True)
class ObjectionFact:
    customer: str
    at: datetime
    channel: str  # a channel, or "all"
    scope: str
    via: str

    def covers(self, channel: str) -> bool:
        return self.channel in (ALL, channel)


@dataclass
class LedgerFacts:
    states: dict[str, CustomerState] = field(default_factory=dict)  # customers with a consent or objection
    objections: list[ObjectionFact] = field(default_factory=list)  # in ledger order


def read(session: Session, organisation_id: str) -> LedgerFacts:
    facts = LedgerFacts()
    for event in _events(session, organisation_id):
        try:
            facts.states[event.customer] = apply(facts.states.get(event.customer, CustomerState()), event)
        except (KeyError, ValueError, TypeError):
            continue  # a tampered event: the verification beside the figures names it
        if event.type is EventType.OBJECTION:
            facts.objections.append(ObjectionFact(
                customer=event.customer, at=event.occurred_at, channel=str(event.data.get("channel", ALL)),
                scope=str(event.data.get("scope", "advertising")), via=str(event.data.get("via") or "unknown"),
            ))
    return facts


def _events(session: Session, organisation_id: str) -> Iterator[Event]:
    rows = session.execute(
        select(t.LedgerEvent.body).where(
            t.LedgerEvent.organisation_id == organisation_id, t.LedgerEvent.type.in_([e.value for e in FOLDED]),
        ).order_by(t.LedgerEvent.seq).execution_options(yield_per=2_000)
    ).scalars()
    for body in rows:
        try:
            yield event_from_body(body)
        except (KeyError, ValueError, TypeError):
            continue  # no longer an event at all: the verification names it


def proven(consent: ConsentRecord, at: datetime) -> bool:
    """Art. 7 (1) GDPR: confirmed by double opt-in, or proven by a signed form, recording or staff record."""
    confirmed = consent.doi_confirmed_at is not None and consent.given_at <= consent.doi_confirmed_at <= at
    return confirmed or (consent.source in SELF_EVIDENT_SOURCES and consent.evidence)


def valid(consent: ConsentRecord, at: datetime) -> bool:
    """A consent that counts at `at`, whatever its purpose and categories: given by an active yes,
    for the organisation itself, proven, and not withdrawn (as the decision engine judges it)."""
    if consent.given_at > at or (consent.withdrawn_at is not None and consent.withdrawn_at <= at):
        return False
    if consent.withdrawn_at is not None and consent.withdrawn_at < consent.given_at:
        return False
    return consent.method is ConsentMethod.ACTIVE and not consent.third_party and proven(consent, at)


def consented(state: CustomerState, channel: Channel, at: datetime) -> bool:
    """Whether the customer has a valid consent on `channel` at `at` that no later objection voids."""
    objected = max((o.at for o in state.objections if o.covers(channel) and o.at <= at), default=None)
    return any(
        c.channel is channel and valid(c, at) and (objected is None or c.given_at > objected)
        for c in state.consents
    )
