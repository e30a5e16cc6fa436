"""The consent ledger's events, and the fold that turns them into what the law needs to know.

The ledger is the only history; a customer's current state is `fold(events)`, nothing else.
Event data holds no personal data: evidence (IP, user agent, address) lives beside the chain
and only its digest is hashed (see chain.py).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from konsent.domain.facts import (
    Consent,
    ConsentMethod,
    ConsentSource,
    Objection,
    ObjectionScope,
    Purchase,
    Recipient,
    RecipientType,
    Registers,
)
from konsent.domain.kinds import Channel, Purpose


class EventType(StrEnum):
    # Stored values: append only, never rename.
    CONSENT_GIVEN = "consent.given"
    DOI_REQUESTED = "doi.requested"
    DOI_CONFIRMED = "doi.confirmed"
    DOI_EXPIRED = "doi.expired"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    OBJECTION = "objection.received"
    TRANSACTIONAL_OPT_OUT = "transactional.opted_out"
    TRANSACTIONAL_OPT_IN = "transactional.opted_in"
    COMPLAINT = "complaint.received"
    ERASURE = "customer.erased"


ALL = "all"


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    id: str
    type: EventType
    customer: str  # the customer's id: a pseudonym that outlives erasure
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One consent as the ledger knows it: the declaration, its proof and its end."""

    consent_id: str
    channel: Channel
    purpose: Purpose
    given_at: datetime
    source: ConsentSource
    method: ConsentMethod = ConsentMethod.ACTIVE
    categories: frozenset[str] = frozenset()
    text_version_id: str | None = None
    third_party: bool = False
    evidence: bool = False  # a document, recording or staff confirmation proves it
    doi_requested_at: datetime | None = None
    doi_confirmed_at: datetime | None = None
    doi_expired_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def as_fact(self) -> Consent:
        return Consent(
            channel=self.channel, given_at=self.given_at, purpose=self.purpose,
            categories=self.categories, method=self.method, source=self.source,
            doi_confirmed_at=self.doi_confirmed_at, withdrawn_at=self.withdrawn_at,
            evidence=self.evidence, third_party=self.third_party,
        )


@dataclass(frozen=True, slots=True)
class CustomerState:
    consents: tuple[ConsentRecord, ...] = ()
    objections: tuple[Objection, ...] = ()
    transactional_opt_out: frozenset[Channel] = frozenset()
    complaints: int = 0
    erased: bool = False
    last_seq: int = 0


def _covers(selector: str, value: str) -> bool:
    return selector in (ALL, value)


def apply(state: CustomerState, event: Event) -> CustomerState:
    """One event's effect on a customer's state. Pure: the same events give the same state."""
    data, at = event.data, event.occurred_at
    consents = state.consents
    match event.type:
        case EventType.CONSENT_GIVEN:
            record = ConsentRecord(
                consent_id=event.id,
                channel=Channel(data["channel"]),
                purpose=Purpose(data.get("purpose", Purpose.ADVERTISING)),
                given_at=at,
                source=ConsentSource(data["source"]),
                method=ConsentMethod(data.get("method", ConsentMethod.ACTIVE)),
                categories=frozenset(data.get("categories", ())),
                text_version_id=data.get("text_version_id"),
                third_party=bool(data.get("third_party", False)),
                evidence=bool(data.get("evidence", False)),
            )
            consents = (*consents, record)
        case EventType.DOI_REQUESTED | EventType.DOI_CONFIRMED | EventType.DOI_EXPIRED:
            stamp = {
                EventType.DOI_REQUESTED: "doi_requested_at",
                EventType.DOI_CONFIRMED: "doi_confirmed_at",
                EventType.DOI_EXPIRED: "doi_expired_at",
            }[event.type]
            consents = tuple(
                _stamped(c, stamp, at) if c.consent_id == data["consent_id"] and getattr(c, stamp) is None else c
                for c in consents
            )
        case EventType.CONSENT_WITHDRAWN:
            channel, purpose = data.get("channel", ALL), data.get("purpose", ALL)
            consents = tuple(
                replace(c, withdrawn_at=at)
                if c.withdrawn_at is None
                and c.given_at <= at
                and _covers(channel, c.channel)
                and _covers(purpose, c.purpose)
                else c
                for c in consents
            )
        case EventType.OBJECTION:
            channel = data.get("channel", ALL)
            objection = Objection(
                at=at,
                channel=None if channel == ALL else Channel(channel),
                scope=ObjectionScope(data.get("scope", ObjectionScope.ADVERTISING)),
            )
            return _next(state, event.seq, objections=(*state.objections, objection))
        case EventType.TRANSACTIONAL_OPT_OUT:
            return _next(state, event.seq, transactional_opt_out=state.transactional_opt_out | _channels(data))
        case EventType.TRANSACTIONAL_OPT_IN:
            return _next(state, event.seq, transactional_opt_out=state.transactional_opt_out - _channels(data))
        case EventType.COMPLAINT:
            return _next(state, event.seq, complaints=state.complaints + 1)
        case EventType.ERASURE:
            return _next(state, event.seq, erased=True)
    return _next(state, event.seq, consents=consents)


def _next(
    state: CustomerState, seq: int, *, consents: tuple[ConsentRecord, ...] | None = None,
    objections: tuple[Objection, ...] | None = None, transactional_opt_out: frozenset[Channel] | None = None,
    complaints: int | None = None, erased: bool | None = None,
) -> CustomerState:
    # Not dataclasses.replace, which looks the fields up on every call: a report folds a million events.
    return CustomerState(
        state.consents if consents is None else consents,
        state.objections if objections is None else objections,
        state.transactional_opt_out if transactional_opt_out is None else transactional_opt_out,
        state.complaints if complaints is None else complaints,
        state.erased if erased is None else erased,
        seq,
    )


def _stamped(record: ConsentRecord, stamp: str, at: datetime) -> ConsentRecord:
    if stamp == "doi_requested_at":
        return replace(record, doi_requested_at=at)
    if stamp == "doi_confirmed_at":
        return replace(record, doi_confirmed_at=at)
    return replace(record, doi_expired_at=at)


def _channels(data: Mapping[str, Any]) -> frozenset[Channel]:
    channel = data.get("channel", ALL)
    return frozenset(Channel) if channel == ALL else frozenset({Channel(channel)})


def fold(events: Iterable[Event], *, until: datetime | None = None) -> CustomerState:
    """A customer's state from their events, as it stood at `until` (or after every event)."""
    state = CustomerState()
    for event in events:
        if until is None or event.occurred_at <= until:
            state = apply(state, event)
    return state


def recipient_facts(
    state: CustomerState,
    *,
    channel: Channel,
    purchases: Iterable[Purchase] = (),
    type: RecipientType = RecipientType.CONSUMER,
    registers: Registers | None = None,
) -> Recipient:
    """The bridge from stored state to what `decide` needs for a message on `channel`."""
    return Recipient(
        type=type,
        consents=tuple(c.as_fact() for c in state.consents),
        objections=state.objections,
        purchases=tuple(purchases),
        transactional_opt_out=channel in state.transactional_opt_out,
        registers=registers or Registers(),
    )


def state_to_dict(state: CustomerState) -> dict[str, Any]:
    """A stable JSON shape for the stored projection."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "consents": [
            {
                "consent_id": c.consent_id, "channel": c.channel.value, "purpose": c.purpose.value,
                "given_at": when(c.given_at), "source": c.source.value, "method": c.method.value,
                "categories": sorted(c.categories), "text_version_id": c.text_version_id,
                "third_party": c.third_party, "evidence": c.evidence,
                "doi_requested_at": when(c.doi_requested_at),
                "doi_confirmed_at": when(c.doi_confirmed_at),
                "doi_expired_at": when(c.doi_expired_at), "withdrawn_at": when(c.withdrawn_at),
            }
            for c in state.consents
        ],
        "objections": [
            {"at": when(o.at), "channel": o.channel.value if o.channel else ALL, "scope": o.scope.value}
            for o in state.objections
        ],
        "transactional_opt_out": sorted(c.value for c in state.transactional_opt_out),
        "complaints": state.complaints,
        "erased": state.erased,
        "last_seq": state.last_seq,
    }


def state_from_dict(document: Mapping[str, Any]) -> CustomerState:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return CustomerState(
        consents=tuple(
            ConsentRecord(
                consent_id=c["consent_id"], channel=Channel(c["channel"]), purpose=Purpose(c["purpose"]),
                given_at=datetime.fromisoformat(c["given_at"]), source=ConsentSource(c["source"]),
                method=ConsentMethod(c["method"]), categories=frozenset(c["categories"]),
                text_version_id=c["text_version_id"], third_party=c["third_party"],
                evidence=c["evidence"], doi_requested_at=when(c["doi_requested_at"]),
                doi_confirmed_at=when(c["doi_confirmed_at"]), doi_expired_at=when(c["doi_expired_at"]),
                withdrawn_at=when(c["withdrawn_at"]),
            )
            for c in document["consents"]
        ),
        objections=tuple(
            Objection(
                at=datetime.fromisoformat(o["at"]),
                channel=None if o["channel"] == ALL else Channel(o["channel"]),
                scope=ObjectionScope(o["scope"]),
            )
            for o in document["objections"]
        ),
        transactional_opt_out=frozenset(Channel(c) for c in document["transactional_opt_out"]),
        complaints=document["complaints"],
        erased=document["erased"],
        last_seq=document["last_seq"],
    )
