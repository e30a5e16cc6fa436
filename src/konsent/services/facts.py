"""The bridge from what is stored to what the engine needs: a customer's facts at a moment."""

from dataclasses import dataclass
from datetime import datetime

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
from konsent.domain.ledger import recipient_facts
from konsent.services import customers, organisations
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
    channel = Channel(asked.channel)
    state = ledger.load_state(session, organisation.id, customer.id, until=at)
    purchases = [
        Purchase(
            at=p.occurred_at, categories=frozenset(p.categories),
            contact_collected=frozenset(Channel(c) for c in p.contact_collected),
            objection_notice_at_collection=p.objection_notice_at_collection,
        )
        for p in session.scalars(select(t.Purchase).where(
            t.Purchase.organisation_id == organisation.id, t.Purchase.customer_id == customer.id))
    ]
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
