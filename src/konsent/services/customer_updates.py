"""Changing a stored customer: names, settings, and contact points.

A consent is given for one address. When an email address or a phone number changes or goes,
the consents on its channels are withdrawn (`via: address_changed`): a confirmation that reached
the old address proves nothing about the new one, so the person consents again for it. Likewise
the existing-customer privilege: a new address is marked with the moment it came (`changed_at`),
and only sales from then on count as having collected it (services/facts.as_collected). A new
address that is on the suppression list brings its objection along, exactly as `customers.add` does.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from konsent.domain import Channel
from konsent.domain.ledger import ALL, EventType
from konsent.errors import Conflict, InputError
from konsent.services import audience, audit, customers, organisations, suppression
from konsent.services.context import Konsent
from konsent.services.customers import REGISTER_FIELDS, CustomerView, NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

CONTACT_FIELDS = {"email": "email", "phone": "phone", "postal_address": "postal"}  # field -> contact kind
SETTINGS = ("external_id", "type", "jurisdiction", "locale", "first_name", "last_name", "birthday", "registers",
            "tags")


def update(app: Konsent, organisation_key: str, customer_key: str, changes: Mapping[str, Any], *,
           actor: str | None = None) -> CustomerView:
    """Apply the fields given in `changes` (None removes a contact point or clears a value)."""
    for name in changes:
        if name not in CONTACT_FIELDS and name not in SETTINGS:
            raise InputError(name, "not a field of a customer")
    # The same checks as for a new customer, on the fields that change.
    NewCustomer(**{name: value for name, value in changes.items()
                   if value is not None and name not in ("registers", "tags")}).check()
    if changes.get("registers"):
        NewCustomer(registers=dict(changes["registers"])).check()
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        if customer.erased_at is not None:
            raise InputError("customer", "was erased; add the person anew")
        _change_settings(session, organisation, customer, changes)
        _change_contacts(session, organisation, customer, changes, now=now)
        audience.refresh(session, organisation.id, [customer.id], now=now)
        audit.record(session, organisation.id, actor=actor, action="customer.changed", at=now, subject=customer.id,
                     fields=sorted(changes))
        return customers.view(session, organisation, customer)


def _change_settings(session: Session, organisation: t.Organisation, customer: t.Customer,
                     changes: Mapping[str, Any]) -> None:
    if "type" in changes and changes["type"] is None:
        raise InputError("type", "must be consumer or business")
    external_id = changes.get("external_id")
    if external_id is not None and external_id != customer.external_id and session.scalar(
        select(t.Customer.id).where(t.Customer.organisation_id == organisation.id,
                                    t.Customer.external_id == external_id)):
        raise Conflict(f"external_id: a customer with external id {external_id!r} exists")
    for name in SETTINGS:
        if name not in changes:
            continue
        value = changes[name]
        if name == "registers":
            value = {**customer.registers, **{k: bool(v) for k, v in (value or {}).items() if k in REGISTER_FIELDS}}
        elif name == "tags":
            value = list(dict.fromkeys(value or []))
        setattr(customer, name, value)


def _change_contacts(session: Session, organisation: t.Organisation, customer: t.Customer,
                     changes: Mapping[str, Any], *, now: datetime) -> None:
    stored = customers.contacts_of(session, organisation.id, customer.id)
    region = changes.get("jurisdiction") or customer.jurisdiction or organisation.jurisdiction
    wanted = NewCustomer(**{name: changes[name] for name in CONTACT_FIELDS if changes.get(name)}).contacts(region)
    added: dict[str, str] = {}
    gone: list[str] = []
    for name, kind in CONTACT_FIELDS.items():
        if name not in changes or wanted.get(kind) == stored.get(kind):
            continue
        if kind in stored:
            gone.append(kind)
        if kind in wanted:
            added[kind] = wanted[kind]
    for kind, value in added.items():
        owner = session.scalar(select(t.ContactPoint.customer_id).where(
            t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.kind == kind,
            t.ContactPoint.value == value))
        if owner is not None:
            field_name = "postal_address" if kind == "postal" else kind
            raise Conflict(f"{field_name}: another customer already has this {kind} address")
    if gone:
        session.execute(delete(t.ContactPoint).where(
            t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.customer_id == customer.id,
            t.ContactPoint.kind.in_(gone)))
        session.flush()
    for kind, value in added.items():
        session.add(t.ContactPoint(id=str(uuid.uuid4()), organisation_id=organisation.id, customer_id=customer.id,
                                   kind=kind, value=value, created_at=now, changed_at=now))
    session.flush()
    _withdraw_for_old_addresses(session, organisation, customer, gone, now=now)
    customers.carry_over_objections(session, organisation, customer.id, added, now=now)


def _withdraw_for_old_addresses(session: Session, organisation: t.Organisation, customer: t.Customer,
                                gone: list[str], *, now: datetime) -> None:
    state = ledger.load_state(session, organisation.id, customer.id)
    channels = [channel for channel in Channel if suppression.CONTACT_KIND[channel] in gone
                and channel is not Channel.POST  # a letter's consent is the person's, not the house's
                and any(c.channel is channel and c.withdrawn_at is None for c in state.consents)]
    ledger.append(session, organisation.id, [
        ledger.Draft(EventType.CONSENT_WITHDRAWN, customer.id, now,
                     {"channel": channel.value, "purpose": ALL, "via": "address_changed"})
        for channel in channels
    ], now=now)
