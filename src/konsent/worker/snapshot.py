"""What the worker needs to decide and render a chunk of claimed rows, read in a few queries.

`services.facts.scenario_for` reads one customer with two queries; at thousands of messages a
second that is the slow road. This reads the same facts — customer, ledger events folded up to
the moment of sending, purchases — for a whole chunk at once, per organisation, and builds the
same `Scenario` (a test holds the two to equality).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import (
    Channel,
    Jurisdiction,
    Message,
    MessageKind,
    Purchase,
    RecipientType,
    Registers,
    Scenario,
)
from konsent.domain import (
    Organisation as Policy,
)
from konsent.domain.ledger import CustomerState, fold, recipient_facts
from konsent.errors import NotFound
from konsent.services import collected, organisations, templates
from konsent.services.facts import Asked
from konsent.services.templates import TemplateVersion
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.storage.sql import among, dialect_of
from konsent.worker.claim import Claimed


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    type: str
    jurisdiction: str | None
    locale: str | None
    first_name: str | None
    last_name: str | None
    registers: dict[str, Any]
    erased: bool
    contacts: dict[str, tuple[str, datetime | None]]  # kind -> (normalised address, bounced at)
    state: CustomerState
    purchases: tuple[Purchase, ...]


@dataclass
class Snapshot:
    at: datetime
    organisations: dict[str, t.Organisation] = field(default_factory=dict)
    people: dict[tuple[str, str], Person] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)  # id -> status
    earlier: dict[str, dict[str, Any]] = field(default_factory=dict)  # outbox id -> states of its message
    templates: dict[tuple[str, str, str, str], TemplateVersion | None] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)

    def person(self, row: Claimed) -> Person | None:
        return self.people.get((row.organisation_id, row.customer_id))

    def locale(self, row: Claimed, person: Person) -> str:
        return person.locale or self.organisations[row.organisation_id].locale

    def template(self, row: Claimed, person: Person) -> TemplateVersion | None:
        return self.templates.get((row.organisation_id, row.template_key, row.channel, self.locale(row, person)))

    def scenario(self, row: Claimed, person: Person, asked: Asked) -> Scenario:
        """Exactly what `services.facts.scenario_for` builds for this customer at `self.at`."""
        organisation = self.organisations[row.organisation_id]
        channel = Channel(asked.channel)
        return Scenario(
            jurisdiction=Jurisdiction(person.jurisdiction or organisation.jurisdiction),
            at=self.at,
            message=Message(
                channel=channel, kind=MessageKind(asked.kind),
                advertised_categories=frozenset(asked.advertised_categories),
                contains_advertising=asked.contains_advertising,
                includes_opt_out_notice=asked.includes_opt_out_notice,
                sender_identified=asked.sender_identified, automated=asked.automated,
            ),
            recipient=recipient_facts(
                person.state, channel=channel, purchases=person.purchases, type=RecipientType(person.type),
                registers=Registers(**{k: bool(v) for k, v in person.registers.items()}),
            ),
            organisation=self.policy(row.organisation_id),
        )

    def policy(self, organisation_id: str) -> Policy:
        """The organisation's settings as the engine reads them: built once a chunk, not once a message."""
        if (found := self.policies.get(organisation_id)) is None:
            found = self.policies[organisation_id] = organisations.policy(self.organisations[organisation_id])
        return found


def load(session: Session, rows: Sequence[Claimed], *, at: datetime) -> Snapshot:
    snapshot = Snapshot(at=at)
    by_organisation: dict[str, list[Claimed]] = defaultdict(list)
    for row in rows:
        by_organisation[row.organisation_id].append(row)
    for organisation_id, own in by_organisation.items():
        organisation = session.get(t.Organisation, organisation_id)
        if organisation is None:
            continue
        snapshot.organisations[organisation_id] = organisation
        for person in _people(session, organisation_id, sorted({r.customer_id for r in own}), at):
            snapshot.people[(organisation_id, person.id)] = person
        snapshot.campaigns.update(_campaigns(session, organisation_id, {r.campaign_id for r in own if r.campaign_id}))
        snapshot.earlier.update(_earlier(session, organisation_id, [r.id for r in own if r.attempts > 1]))
        for row in own:
            if (someone := snapshot.person(row)) is not None:
                key = (organisation_id, row.template_key, row.channel, snapshot.locale(row, someone))
                if key not in snapshot.templates:
                    snapshot.templates[key] = _template(session, organisation, *key[1:])
    return snapshot


def _template(session: Session, organisation: t.Organisation, key: str, channel: str,
              locale: str) -> TemplateVersion | None:
    try:
        return templates.current(session, organisation, key, channel, locale)
    except NotFound:
        return None


def _people(session: Session, organisation_id: str, ids: list[str], at: datetime) -> list[Person]:
    if not ids:
        return []
    c, p, cp, e = t.Customer, t.Purchase, t.ContactPoint, t.LedgerEvent
    dialect = dialect_of(session)
    connection = session.connection()  # Core, not the ORM: these read columns, never entities
    contacts: dict[str, dict[str, tuple[str, datetime | None]]] = defaultdict(dict)
    changed: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
    for customer_id, kind, value, bounced_at, changed_at in connection.execute(
        select(cp.customer_id, cp.kind, cp.value, cp.bounced_at, cp.changed_at)
        .where(cp.organisation_id == organisation_id, among(cp.customer_id, ids, dialect))
    ).all():  # fetched at once: row by row, the driver's fetchone cost more than the row
        contacts[customer_id][kind] = (value, bounced_at)
        changed[customer_id].append((kind, changed_at))
    events: dict[str, list[Any]] = defaultdict(list)
    for customer_id, body in connection.execute(
        select(e.customer_id, e.body).where(e.organisation_id == organisation_id, among(e.customer_id, ids, dialect))
        .order_by(e.seq)
    ).all():
        events[customer_id].append(ledger.event_from_body(bytes(body)))
    purchases: dict[str, list[Purchase]] = defaultdict(list)
    for customer_id, occurred_at, categories, channels, notice in connection.execute(
        select(p.customer_id, p.occurred_at, p.categories, p.contact_collected, p.objection_notice_at_collection)
        .where(p.organisation_id == organisation_id, among(p.customer_id, ids, dialect))
    ).all():
        purchases[customer_id].append(Purchase(
            at=occurred_at, categories=frozenset(categories),
            contact_collected=frozenset(Channel(x) for x in channels), objection_notice_at_collection=notice,
        ))
    return [
        Person(
            id=row.id, type=row.type, jurisdiction=row.jurisdiction, locale=row.locale, first_name=row.first_name,
            last_name=row.last_name, registers=dict(row.registers or {}), erased=row.erased_at is not None,
            contacts=contacts[row.id], state=fold(events[row.id], until=at),
            purchases=tuple(collected.as_collected(purchases[row.id], collected.address_since(changed[row.id]))),
        )
        for row in connection.execute(
            select(c.id, c.type, c.jurisdiction, c.locale, c.first_name, c.last_name, c.registers, c.erased_at)
            .where(c.organisation_id == organisation_id, among(c.id, ids, dialect))
        ).all()
    ]


def _campaigns(session: Session, organisation_id: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(t.Campaign.id, t.Campaign.status).where(
        t.Campaign.organisation_id == organisation_id, among(t.Campaign.id, sorted(ids), dialect_of(session))))
    return dict(rows.all())


def _earlier(session: Session, organisation_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The states of messages an earlier attempt logged, so that a retry adds to their history."""
    if not ids:
        return {}
    rows = session.execute(select(t.Message.id, t.Message.states).where(
        t.Message.organisation_id == organisation_id, among(t.Message.id, ids, dialect_of(session))))
    return {message_id: dict(states or {}) for message_id, states in rows}
