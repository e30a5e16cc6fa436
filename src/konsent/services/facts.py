"""The bridge from what is stored to what the engine needs: a customer's facts at a moment."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import (
    Channel,
    Decision,
    Jurisdiction,
    Message,
    MessageKind,
    Purchase,
    RecipientType,
    Registers,
    Scenario,
    decide,
)
from konsent.domain.ledger import CustomerState, recipient_facts
from konsent.services import collected, customers, organisations
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t


@dataclass(frozen=True)
class Asked:
    kind: str
    channel: str
    advertised_categories: tuple[str, ...] = ()
    contains_advertising: bool | None = None
    includes_opt_out_notice: bool = True
    sender_identified: bool = True
    automated: bool = True


def scenario_for(
    session: Session, organisation: t.Organisation, customer: t.Customer, asked: Asked, at: datetime
) -> Scenario:
    state = ledger.load_state(session, organisation.id, customer.id, until=at)
    purchases = [purchase_fact(p) for p in session.scalars(select(t.Purchase).where(
        t.Purchase.organisation_id == organisation.id, t.Purchase.customer_id == customer.id))]
    since = collected.address_since((kind, at) for kind, at in session.execute(select(
        t.ContactPoint.kind, t.ContactPoint.changed_at).where(
        t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.customer_id == customer.id)))
    return scenario_of(organisation, customer, state, collected.as_collected(purchases, since), asked, at)


def purchase_fact(row: Any) -> Purchase:
    """A stored purchase (a row or an entity) as the engine reads it."""
    return Purchase(
        at=row.occurred_at, categories=frozenset(row.categories),
        contact_collected=frozenset(Channel(c) for c in row.contact_collected),
        objection_notice_at_collection=row.objection_notice_at_collection,
    )


class Recipient(Protocol):
    """What the question reads of a customer: a stored one, or a row read on a hot path."""

    @property
    def type(self) -> str: ...
    @property
    def jurisdiction(self) -> str | None: ...
    @property
    def registers(self) -> dict[str, Any]: ...


def scenario_of(
    organisation: organisations.Settings, customer: Recipient, state: CustomerState,
    purchases: Sequence[Purchase], asked: Asked, at: datetime,
) -> Scenario:
    """The question from what is on record (`state`: the ledger folded up to `at`). Pure, so that a
    hot path may load the same records its own way and still ask exactly this."""
    channel = Channel(asked.channel)
    registers = Registers(**{k: bool(v) for k, v in customer.registers.items()})
    return Scenario(
        jurisdiction=Jurisdiction(customer.jurisdiction or organisation.jurisdiction),
        at=at,
        message=Message(
            channel=channel, kind=MessageKind(asked.kind),
            advertised_categories=frozenset(asked.advertised_categories),
            contains_advertising=asked.contains_advertising,
            includes_opt_out_notice=asked.includes_opt_out_notice,
            sender_identified=asked.sender_identified, automated=asked.automated,
        ),
        recipient=recipient_facts(
            state, channel=channel, purchases=purchases, type=RecipientType(customer.type),
            registers=registers,
        ),
        organisation=organisations.policy(organisation),
    )


def decide_for(
    app: Konsent, organisation_key: str, customer_key: str, asked: Asked, *, at: datetime | None = None
) -> tuple[Scenario, Decision]:
    """May this stored customer get this message now (or at `at`)?"""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        scenario = scenario_for(session, organisation, customer, asked, at or app.now())
        return scenario, decide(scenario)
