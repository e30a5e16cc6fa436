"""Giving, withdrawing and objecting — each one call, and each a ledger event.

Withdrawal is as easy as consent (Art. 7 (3) GDPR); an unsubscribe is a withdrawal *and* an
objection, so the existing-customer privilege cannot bring the person back; every objection
also lands on the suppression list so that it outlives erasure.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Channel, ConsentMethod, ConsentSource, ObjectionScope, Purpose
from konsent.domain.facts import SELF_EVIDENT_SOURCES
from konsent.domain.ledger import ALL, EventType
from konsent.errors import InputError, NotFound
from konsent.services import audit, customers, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t

EVIDENCE_FIELDS = ("ip", "user_agent", "page_url", "staff_actor", "document_hash", "recording_ref", "note")


@dataclass
class ConsentDeclaration:
    channel: str
    source: str
    purpose: str = Purpose.ADVERTISING.value
    method: str = ConsentMethod.ACTIVE.value
    categories: list[str] = field(default_factory=list)
    text_version_id: str | None = None
    third_party: bool = False
    evidence: dict[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None

    def check(self) -> None:
        _member("channel", self.channel, Channel)
        _member("source", self.source, ConsentSource)
        _member("purpose", self.purpose, Purpose)
        _member("method", self.method, ConsentMethod)
        for name, value in self.evidence.items():
            if name not in EVIDENCE_FIELDS:
                raise InputError(f"evidence.{name}", f"unknown; known: {', '.join(EVIDENCE_FIELDS)}")
            if not isinstance(value, str) or len(value) > 2000:
                raise InputError(f"evidence.{name}", "must be a text of at most 2000 characters")

    @property
    def proven_by_record(self) -> bool:
        """A signed form, a recording or a staff member's confirmation proves it (no DOI needed)."""
        if ConsentSource(self.source) not in SELF_EVIDENT_SOURCES:
            return False
        return bool({"document_hash", "recording_ref", "staff_actor"} & set(self.evidence))


def _member(name: str, value: str, enum: Any) -> None:
    if value not in {member.value for member in enum}:
        raise InputError(name, f"must be one of {', '.join(m.value for m in enum)}")


def give(
    app: Konsent, organisation_key: str, customer_key: str, declaration: ConsentDeclaration, *,
    actor: str | None = None,
) -> str:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        return give_in(session, organisation, customer, declaration, now=app.now(), actor=actor)


def give_in(
    session: Session, organisation: t.Organisation, customer: t.Customer,
    declaration: ConsentDeclaration, *, now: datetime, actor: str | None = None,
) -> str:
    declaration.check()
    if customer.erased_at is not None:
        raise InputError("customer", "was erased; add the person anew")
    channel = Channel(declaration.channel)
    if customers.address_for(session, organisation.id, customer.id, channel) is None:
        raise InputError("channel", f"the customer has no {suppression.CONTACT_KIND[channel]} address")
    occurred_at = declaration.occurred_at or now
    if occurred_at > now:
        raise InputError("occurred_at", "lies in the future")
    text_hash = None
    if declaration.text_version_id:
        text = session.get(t.ConsentText, declaration.text_version_id)
        if text is None or text.organisation_id != organisation.id:
            raise InputError("text_version_id", "no such consent text in this organisation")
        text.first_used_at = text.first_used_at or now  # from now on the text is frozen
        text_hash = text.sha256
    draft = consent_draft(customer.id, declaration, now, text_sha256=text_hash, actor=actor)
    ledger.append(session, organisation.id, [draft], now=now)
    # An erasure may have committed while we waited for the chain's lock: look again, now locked.
    session.refresh(customer)
    if customer.erased_at is not None:
        raise InputError("customer", "was erased; add the person anew")
    audit.record(
        session, organisation.id, actor=actor, action="consent.recorded_by_staff", at=now,
        subject=customer.id, channel=channel.value, purpose=declaration.purpose,
        source=declaration.source, proven=declaration.proven_by_record,
    )
    return draft.id


def consent_draft(
    customer_id: str, declaration: ConsentDeclaration, now: datetime, *, text_sha256: str | None = None,
    actor: str | None = None,
) -> ledger.Draft:
    """The `consent.given` event for a checked declaration — the one shape every path records."""
    data = {
        "channel": declaration.channel, "purpose": declaration.purpose, "source": declaration.source,
        "method": declaration.method, "categories": sorted(set(declaration.categories)),
        "text_version_id": declaration.text_version_id, "text_sha256": text_sha256,
        "third_party": declaration.third_party, "evidence": declaration.proven_by_record,
    }
    return ledger.Draft(
        EventType.CONSENT_GIVEN, customer_id, declaration.occurred_at or now, data,
        evidence=declaration.evidence or None, actor=actor,
    )


def withdraw(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str = ALL,
    purpose: str = ALL, via: str = "api", actor: str | None = None, evidence: dict[str, str] | None = None,
) -> None:
    _selector("channel", channel, Channel)
    _selector("purpose", purpose, Purpose)
    _event(app, organisation_key, customer_key, EventType.CONSENT_WITHDRAWN,
           {"channel": channel, "purpose": purpose, "via": via}, actor=actor, evidence=evidence,
           action="consent.withdrawn_by_staff")


def object_to(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str = ALL,
    scope: str = ObjectionScope.ADVERTISING.value, via: str = "api", actor: str | None = None,
    evidence: dict[str, str] | None = None,
) -> None:
    """An objection (Art. 21 GDPR): formless, effective at once, and suppressed for good."""
    _selector("channel", channel, Channel)
    _member("scope", scope, ObjectionScope)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        object_in(session, organisation, customer, channel=channel, scope=scope, via=via,
                  now=app.now(), actor=actor, evidence=evidence)


def object_in(
    session: Session, organisation: t.Organisation, customer: t.Customer, *, channel: str,
    scope: str, via: str, now: datetime, actor: str | None = None,
    evidence: dict[str, str] | None = None, also_withdraw: bool = False,
) -> None:
    drafts = []
    if also_withdraw:
        drafts.append(ledger.Draft(
            EventType.CONSENT_WITHDRAWN, customer.id, now,
            {"channel": channel, "purpose": ALL, "via": via}, evidence=evidence, actor=actor,
        ))
    drafts.append(ledger.Draft(
        EventType.OBJECTION, customer.id, now, {"channel": channel, "scope": scope, "via": via},
        evidence=evidence, actor=actor,
    ))
    ledger.append(session, organisation.id, drafts, now=now)
    contacts = customers.contacts_of(session, organisation.id, customer.id)
    covered = {suppression.CONTACT_KIND[c] for c in Channel if channel in (ALL, c.value)}
    for kind, value in contacts.items():
        if kind in covered:
            suppression.add(session, organisation, kind=kind, normalised=value, channel=channel,
                            scope=scope, now=now)
    audit.record(session, organisation.id, actor=actor, action="objection.recorded_by_staff", at=now,
                 subject=customer.id, channel=channel, scope=scope)


def unsubscribe(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str, via: str = "unsubscribe",
    evidence: dict[str, str] | None = None,
) -> None:
    """The one click: withdraw every consent on the channel and object to advertising on it."""
    _member("channel", channel, Channel)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        object_in(session, organisation, customer, channel=channel, scope=ObjectionScope.ADVERTISING.value,
                  via=via, now=app.now(), evidence=evidence, also_withdraw=True)


def set_transactional(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str, enabled: bool,
    actor: str | None = None,
) -> None:
    """Seed 003: a person may turn off even booking and order messages — and on again."""
    _selector("channel", channel, Channel)
    kind = EventType.TRANSACTIONAL_OPT_IN if enabled else EventType.TRANSACTIONAL_OPT_OUT
    _event(app, organisation_key, customer_key, kind, {"channel": channel}, actor=actor,
           action="transactional.opted_in_by_staff" if enabled else "transactional.opted_out_by_staff")


def complaint(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str = ALL,
    asked_to_stop: bool = True, actor: str | None = None,
) -> None:
    """A complaint is recorded as such; when the person asks for no more messages it is also an
    objection (seed 000: the complaint itself is the clearest objection there is)."""
    _selector("channel", channel, Channel)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        now = app.now()
        ledger.append(session, organisation.id, [ledger.Draft(
            EventType.COMPLAINT, customer.id, now, {"channel": channel, "asked_to_stop": asked_to_stop},
            actor=actor,
        )], now=now)
        if asked_to_stop:
            object_in(session, organisation, customer, channel=channel,
                      scope=ObjectionScope.ADVERTISING.value, via="complaint", now=now, actor=actor)
        audit.record(session, organisation.id, actor=actor, action="complaint.recorded", at=now,
                     subject=customer.id, channel=channel)


def _selector(name: str, value: str, enum: Any) -> None:
    if value != ALL:
        _member(name, value, enum)


def _event(
    app: Konsent, organisation_key: str, customer_key: str, kind: EventType, data: dict[str, Any], *,
    actor: str | None, action: str, evidence: dict[str, str] | None = None,
) -> None:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        now = app.now()
        ledger.append(session, organisation.id, [ledger.Draft(kind, customer.id, now, data,
                                                              evidence=evidence, actor=actor)], now=now)
        audit.record(session, organisation.id, actor=actor, action=action, at=now, subject=customer.id, **data)


def consent_text(
    app: Konsent, organisation_key: str, *, key: str, locale: str, title: str, body: str,
) -> t.ConsentText:
    """A new version of a consent text; earlier versions stay as they were shown."""
    import hashlib  # noqa: PLC0415
    import uuid  # noqa: PLC0415

    if locale not in {"de", "en"}:
        raise InputError("locale", "must be de or en")
    if not body.strip():
        raise InputError("body", "must not be empty")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        latest = session.scalar(select(t.ConsentText.version).where(
            t.ConsentText.organisation_id == organisation.id, t.ConsentText.key == key,
            t.ConsentText.locale == locale,
        ).order_by(t.ConsentText.version.desc()).limit(1))
        text = t.ConsentText(
            id=str(uuid.uuid4()), organisation_id=organisation.id, key=key, version=(latest or 0) + 1,
            locale=locale, title=title, body=body, sha256=hashlib.sha256(body.encode()).hexdigest(),
            created_at=app.now(),
        )
        session.add(text)
        return text


def require_text(session: Session, organisation: t.Organisation, text_id: str) -> t.ConsentText:
    text = session.get(t.ConsentText, text_id)
    if text is None or text.organisation_id != organisation.id:
        raise NotFound("consent text", text_id)
    return text
