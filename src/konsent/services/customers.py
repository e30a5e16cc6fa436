"""Customers, their contact points and purchases."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from konsent.domain import Channel, Jurisdiction, RecipientType
from konsent.domain.ledger import EventType
from konsent.errors import Conflict, InputError, NotFound
from konsent.services import audience, audit, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.validation import normalise_email, normalise_phone, normalise_postal

REGISTER_FIELDS = ("robinson", "ecg", "star_marked", "directory_listed")


@dataclass
class NewCustomer:
    """What the host system or a person tells konsent about a customer; validated on `checked`."""

    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    external_id: str | None = None
    type: str = "consumer"
    jurisdiction: str | None = None
    locale: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birthday: date | None = None
    registers: dict[str, bool] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def contacts(self, region: str) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.email:
            found["email"] = normalise_email(self.email)
        if self.phone:
            found["phone"] = normalise_phone(self.phone, region=region)
        if self.postal_address:
            found["postal"] = normalise_postal(self.postal_address)
        return found

    def check(self) -> None:
        if self.type not in {r.value for r in RecipientType}:
            raise InputError("type", "must be consumer or business")
        if self.jurisdiction is not None and self.jurisdiction not in Jurisdiction.__members__:
            raise InputError("jurisdiction", "must be DE, AT or CH")
        if self.locale is not None and self.locale not in {"de", "en"}:
            raise InputError("locale", "must be de or en")
        for name in self.registers:
            if name not in REGISTER_FIELDS:
                raise InputError(f"registers.{name}", f"unknown register; known: {', '.join(REGISTER_FIELDS)}")
        if self.external_id is not None and not self.external_id.strip():
            raise InputError("external_id", "must not be blank")
        # The columns' sizes, checked here so that a long value is a named refusal, not a database error.
        for name, limit in (("external_id", 200), ("first_name", 200), ("last_name", 200), ("postal_address", 500)):
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                raise InputError(name, f"is longer than {limit} characters")
            if value is not None and name != "postal_address" and any(c in value for c in "\r\n\x00"):
                raise InputError(name, "must be one line")


@dataclass(frozen=True)
class CustomerView:
    id: str
    external_id: str | None
    type: str
    jurisdiction: str
    locale: str
    first_name: str | None
    last_name: str | None
    birthday: date | None
    contacts: dict[str, str]
    erased: bool
    suppressed: list[str]  # channels on which an earlier objection (suppression list) applies

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "external_id": self.external_id, "type": self.type,
            "jurisdiction": self.jurisdiction, "locale": self.locale, "first_name": self.first_name,
            "last_name": self.last_name, "birthday": self.birthday.isoformat() if self.birthday else None,
            "contacts": self.contacts, "erased": self.erased, "suppressed": self.suppressed,
        }


def add(app: Konsent, organisation_key: str, new: NewCustomer, *, actor: str | None = None) -> CustomerView:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return add_in(session, organisation, new, now=app.now(), actor=actor)


def add_in(
    session: Session, organisation: t.Organisation, new: NewCustomer, *, now: datetime,
    actor: str | None = None, occurred_at: datetime | None = None,
) -> CustomerView:
    """Inside the caller's transaction (the import adds thousands in one)."""
    new.check()
    contacts = new.contacts(region=new.jurisdiction or organisation.jurisdiction)
    if new.external_id and session.scalar(select(t.Customer.id).where(
        t.Customer.organisation_id == organisation.id, t.Customer.external_id == new.external_id,
    )):
        raise Conflict(f"external_id: a customer with external id {new.external_id!r} exists")
    for kind, value in contacts.items():
        if session.scalar(select(t.ContactPoint.customer_id).where(
            t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.kind == kind,
            t.ContactPoint.value == value,
        )):
            field_name = "postal_address" if kind == "postal" else kind
            raise Conflict(f"{field_name}: another customer already has this {kind} address")
    customer = t.Customer(
        id=str(uuid.uuid4()), organisation_id=organisation.id, external_id=new.external_id,
        type=new.type, jurisdiction=new.jurisdiction, locale=new.locale, first_name=new.first_name,
        last_name=new.last_name, birthday=new.birthday, registers=dict(new.registers),
        tags=list(new.tags), created_at=now,
    )
    session.add(customer)
    session.flush()  # no ORM relationships: the customer row must exist before its contacts
    for kind, value in contacts.items():
        session.add(t.ContactPoint(
            id=str(uuid.uuid4()), organisation_id=organisation.id, customer_id=customer.id,
            kind=kind, value=value, created_at=now,
        ))
    session.flush()
    carry_over_objections(session, organisation, customer.id, contacts, now=now, occurred_at=occurred_at)
    audience.refresh(session, organisation.id, [customer.id], now=now)
    audit.record(session, organisation.id, actor=actor, action="customer.created", at=now, subject=customer.id)
    return view(session, organisation, customer)


def carry_over_objections(
    session: Session, organisation: t.Organisation, customer_id: str, contacts: dict[str, str], *,
    now: datetime, occurred_at: datetime | None = None,
) -> None:
    """An address on the suppression list brings its objection to whoever now owns it: an import
    or a new sign-up never makes a person who objected reachable again (only their own DOI does)."""
    drafts = []
    for kind, value in contacts.items():
        for entry in suppression.entries_for(session, organisation, kind, value):
            drafts.append(ledger.Draft(
                EventType.OBJECTION, customer_id, occurred_at or now,
                {"channel": entry.channel, "scope": entry.scope, "via": "suppression_list"},
            ))
    ledger.append(session, organisation.id, drafts, now=now)


def get(session: Session, organisation: t.Organisation, key: str) -> t.Customer:
    """By konsent id, external id, email address or phone number."""
    query = select(t.Customer).where(t.Customer.organisation_id == organisation.id)
    customer = session.scalar(query.where((t.Customer.id == key) | (t.Customer.external_id == key)))
    if customer is None:
        for kind, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            try:
                value = normalise(key) if kind == "email" else normalise_phone(key, region=organisation.jurisdiction)
            except InputError:
                continue
            customer_id = session.scalar(select(t.ContactPoint.customer_id).where(
                t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.kind == kind,
                t.ContactPoint.value == value,
            ))
            if customer_id:
                customer = session.get(t.Customer, customer_id)
                break
    if customer is None or customer.organisation_id != organisation.id:
        raise NotFound("customer", key, personal=True)
    return customer


def contacts_of(session: Session, organisation_id: str, customer_id: str) -> dict[str, str]:
    rows = session.execute(select(t.ContactPoint.kind, t.ContactPoint.value).where(
        t.ContactPoint.organisation_id == organisation_id, t.ContactPoint.customer_id == customer_id,
    ))
    return dict(rows.all())


def address_for(session: Session, organisation_id: str, customer_id: str, channel: Channel) -> str | None:
    return contacts_of(session, organisation_id, customer_id).get(suppression.CONTACT_KIND[channel])


def view(session: Session, organisation: t.Organisation, customer: t.Customer) -> CustomerView:
    contacts = contacts_of(session, organisation.id, customer.id)
    suppressed = sorted({
        entry.channel
        for kind, value in contacts.items()
        for entry in suppression.entries_for(session, organisation, kind, value)
    })
    return CustomerView(
        id=customer.id, external_id=customer.external_id, type=customer.type,
        jurisdiction=customer.jurisdiction or organisation.jurisdiction,
        locale=customer.locale or organisation.locale, first_name=customer.first_name,
        last_name=customer.last_name, birthday=customer.birthday, contacts=contacts,
        erased=customer.erased_at is not None, suppressed=suppressed,
    )


def show(app: Konsent, organisation_key: str, key: str) -> CustomerView:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return view(session, organisation, get(session, organisation, key))


def record_purchase(
    app: Konsent, organisation_key: str, customer_key: str, *, occurred_at: datetime,
    categories: list[str], contact_collected: list[str], objection_notice_at_collection: bool,
    external_id: str | None = None,
) -> str:
    for index, channel in enumerate(contact_collected):
        if channel not in {c.value for c in Channel}:
            raise InputError(f"contact_collected[{index}]", "must be email, sms, phone or post")
    for index, category in enumerate(categories):
        if not category.strip():
            raise InputError(f"categories[{index}]", "must not be blank")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = get(session, organisation, customer_key)
        if external_id and session.scalar(select(t.Purchase.id).where(
            t.Purchase.organisation_id == organisation.id, t.Purchase.external_id == external_id,
        )):
            raise Conflict(f"external_id: a purchase with external id {external_id!r} exists")
        purchase = t.Purchase(
            id=str(uuid.uuid4()), organisation_id=organisation.id, customer_id=customer.id,
            external_id=external_id, occurred_at=occurred_at, categories=categories,
            contact_collected=contact_collected,
            objection_notice_at_collection=objection_notice_at_collection, created_at=app.now(),
        )
        session.add(purchase)
        visited(session, organisation.id, customer.id, occurred_at)
        audience.refresh(session, organisation.id, [customer.id], now=app.now())
        return purchase.id


def visited(session: Session, organisation_id: str, customer_id: str, at: datetime) -> None:
    """Keep `last_visit_at` the latest purchase or booking, also when two are recorded at once: the
    comparison is made by the database under the row's lock, not from a value read before."""
    c = t.Customer
    session.execute(update(c).where(
        c.organisation_id == organisation_id, c.id == customer_id,
        or_(c.last_visit_at.is_(None), c.last_visit_at < at),
    ).values(last_visit_at=at))
