"""Events the host system posts — a booking made, moved or cancelled, an order placed or shipped, a
customer created — each taken once, by its idempotency key.

An event records what it tells (a booking or order as a purchase, so the contract that booking and
order messages rest on is on record) and schedules the automations it triggers, in one transaction:
a host that posts the same event again (a retry after a timeout) gets the first answer back and
nothing new is queued.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from konsent.domain import Channel
from konsent.errors import Conflict, InputError
from konsent.services import automations, customers, organisations
from konsent.services.automations import PENDING, Planned, Scheduled
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else

BOOKING_FOLLOW_UPS = ("appointment_reminder", "review_request")
_RECORDED = ("categories", "contact_collected", "objection_notice_shown", "details")
PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {
    "booking.created": ("booking_id", "starts_at", *_RECORDED),
    "booking.changed": ("booking_id", "starts_at", *_RECORDED),
    "booking.cancelled": ("booking_id", "details"),
    "order.placed": ("order_id", *_RECORDED),
    "order.shipped": ("order_id", "shipment_id", *_RECORDED),
    "customer.created": ("email", "phone", "postal_address", "first_name", "last_name", "birthday", "locale",
                         "jurisdiction", "type"),
}
EVENT_TYPES = tuple(PAYLOAD_FIELDS)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# --- the payload: checked at the edge, every refusal naming its field ------------------------------


@dataclass(frozen=True, slots=True)
class Details:
    type: str
    subject: str  # the booking's or order's id in the host system; for customer.created, the customer's
    starts_at: datetime | None = None
    shipment: str | None = None
    categories: list[str] = field(default_factory=list)
    contact_collected: list[str] = field(default_factory=list)
    notice_shown: bool = False  # was the objection notice shown when the contact details were collected?
    fields: dict[str, str] = field(default_factory=dict)  # what the host wants to say in the message
    new_customer: NewCustomer | None = None

    @property
    def prefix(self) -> str:
        return self.type.split(".", maxsplit=1)[0]

    @property
    def purchase(self) -> bool:
        return self.type in ("booking.created", "booking.changed", "order.placed", "order.shipped")

    @property
    def stored(self) -> dict[str, Any]:
        """What the event row keeps: the facts of the booking or order, not the customer's contact data."""
        if self.new_customer is not None:
            return {"subject": self.subject}
        return {
            "subject": self.subject, "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "shipment_id": self.shipment, "categories": self.categories, "contact_collected": self.contact_collected,
            "objection_notice_shown": self.notice_shown, "details": self.fields,
        }

    def context(self, zone: ZoneInfo) -> dict[str, Any]:
        """What a template may show about the booking or order, its times in the organisation's zone."""
        context: dict[str, Any] = {f"{self.prefix}_id": self.subject}
        if self.shipment:
            context["shipment_id"] = self.shipment
        if self.starts_at is not None:
            local = self.starts_at.astimezone(zone)
            context |= {"starts_at": self.starts_at.isoformat(), "appointment_day": f"{local:%d.%m.%Y}",
                        "appointment_time": f"{local:%H:%M}"}
        return context


def parse(type: str, payload: Any, zone: ZoneInfo, customer_key: str) -> Details:
    if not isinstance(payload, dict):
        raise InputError("payload", "must be a JSON object")
    known = PAYLOAD_FIELDS[type]
    for name in payload:
        if name not in known:
            raise InputError(f"payload.{name}", f"unknown for {type}; known: {', '.join(known)}")
    if type == "customer.created":
        return Details(type, customer_key, new_customer=_new_customer(payload, customer_key))
    prefix = type.split(".", maxsplit=1)[0]
    starts_at = _moment(payload.get("starts_at"), zone) if "starts_at" in known else None
    shipment = payload.get("shipment_id")
    return Details(
        type=type, subject=_id(payload.get(f"{prefix}_id"), f"payload.{prefix}_id"), starts_at=starts_at,
        shipment=_id(shipment, "payload.shipment_id") if shipment is not None else None,
        categories=_names(payload.get("categories", []), "categories"),
        contact_collected=_channels(payload.get("contact_collected", [])),
        notice_shown=_flag(payload.get("objection_notice_shown", False)),
        fields=_fields(payload.get("details", {})),
    )


def _id(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= 64 or any(ord(c) < 32 for c in value):
        raise InputError(name, "required: the host system's id, one line of at most 64 characters")
    return value


def _moment(value: Any, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InputError("payload.starts_at", "required: the appointment's start as ISO 8601, e.g. 2026-11-21T10:00")
    # A time without an offset is the organisation's local time, as a booking calendar shows it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _names(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v.strip()) <= 100 for v in value):
        raise InputError(f"payload.{name}", "must be a list of names")
    return [v.strip() for v in value]


def _channels(value: Any) -> list[str]:
    channels = _names(value, "contact_collected")
    for index, channel in enumerate(channels):
        if channel not in {c.value for c in Channel}:
            raise InputError(f"payload.contact_collected[{index}]", "must be email, sms, phone or post")
    return channels


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError("payload.objection_notice_shown", "must be true or false")
    return value


def _fields(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > 20:
        raise InputError("payload.details", "must be an object of at most 20 texts")
    for name, text in value.items():
        if not _NAME.match(name):
            raise InputError("payload.details", f"{name[:40]!r} is not a name (a-z, 0-9, _)")
        if not isinstance(text, str) or len(text) > 500:
            raise InputError(f"payload.details.{name}", "must be a text of at most 500 characters")
    return dict(value)


def _new_customer(payload: dict[str, Any], external_id: str) -> NewCustomer:
    values = dict(payload)
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"payload.{name}", "must be a text")
    if values.get("birthday") is not None:
        try:
            values["birthday"] = date.fromisoformat(values["birthday"])
        except ValueError:
            raise InputError("payload.birthday", "use YYYY-MM-DD") from None
    values["type"] = values.get("type") or "consumer"
    return NewCustomer(external_id=external_id, **values)


# --- the event: stored once, recorded, and the automations it triggers scheduled ----------------------


@dataclass(frozen=True, slots=True)
class Posted:
    event_id: str
    type: str
    customer_id: str | None
    duplicate: bool  # the key was posted before: this is the first answer, as things stand now
    scheduled: tuple[Scheduled, ...]  # queued, or withheld with the reason (denied, no address)
    called_off: tuple[Scheduled, ...]  # pending messages this event withheld (a booking moved or cancelled)


def post(
    app: Konsent, organisation_key: str, *, type: str, key: str, customer: str, payload: dict[str, Any],
    occurred_at: datetime | None = None,
) -> Posted:
    if type not in EVENT_TYPES:
        raise InputError("type", f"must be one of {', '.join(EVENT_TYPES)}")
    if not key.strip() or len(key) > 200 or any(ord(c) < 32 for c in key):
        raise InputError("key", "the idempotency key must be one line of 1 to 200 characters")
    if not customer.strip() or len(customer) > 200:
        raise InputError("customer", "must be 1 to 200 characters")
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise InputError("occurred_at", "needs a UTC offset")
    now = app.now()
    at = min(occurred_at or now, now)  # a host clock running ahead must not date a purchase into the future
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        details = parse(type, payload, automations.zone_of(organisation), customer)
        event = _first(session, organisation.id, key)
        if event is None and not _insert(session, organisation.id, key, type, details, at, now):
            event = _first(session, organisation.id, key)  # posted at the same moment: the other one won
        if event is not None:
            if (event.type, event.payload.get("subject")) != (type, details.subject):
                raise Conflict("key: this idempotency key was used for a different event")
            return _result(session, organisation.id, event, duplicate=True)
        event = _first(session, organisation.id, key)
        assert event is not None
        person = _customer(session, organisation, type, customer, details, now)
        event.customer_id = person.id
        if details.purchase:
            _record_purchase(session, organisation.id, person.id, details, at, now)
        planned = _planned(session, organisation, person, details, event.id, now)
        if type in ("booking.changed", "booking.cancelled"):
            keep = {p.dedupe_key for p in planned}
            _call_off(session, organisation.id, person.id, details, keep, event.id, now)
        if type == "booking.cancelled":
            # A cancelled booking is no sale: neither a contract nor the existing-customer privilege rests on it.
            session.execute(delete(t.Purchase).where(
                t.Purchase.organisation_id == organisation.id, t.Purchase.customer_id == person.id,
                t.Purchase.external_id == f"booking:{details.subject}",
            ))
        automations.schedule(session, organisation, planned, now=now)
        return _result(session, organisation.id, event, duplicate=False)


def _first(session: Session, organisation_id: str, key: str) -> t.HostEvent | None:
    return session.scalar(select(t.HostEvent).where(
        t.HostEvent.organisation_id == organisation_id, t.HostEvent.idempotency_key == key))


def _insert(session: Session, organisation_id: str, key: str, type: str, details: Details, at: datetime,
            now: datetime) -> bool:
    # ON CONFLICT DO NOTHING: on PostgreSQL a concurrent post of the same key waits for the first
    # to commit and then inserts nothing, instead of failing the request.
    statement = insert_or_else(session, t.HostEvent).values(
        id=str(uuid.uuid4()), organisation_id=organisation_id, idempotency_key=key, type=type,
        payload=details.stored, occurred_at=at, received_at=now,
    ).on_conflict_do_nothing(index_elements=["organisation_id", "idempotency_key"]).returning(t.HostEvent.id)
    return session.execute(statement).first() is not None


def _customer(session: Session, organisation: t.Organisation, type: str, key: str, details: Details,
              now: datetime) -> t.Customer:
    if type == "customer.created":
        known = session.scalar(select(t.Customer).where(
            t.Customer.organisation_id == organisation.id, t.Customer.external_id == key))
        if known is not None:
            return known  # added before (by staff or an import): the event has nothing to add
        assert details.new_customer is not None
        view = customers.add_in(session, organisation, details.new_customer, now=now)
        return session.get_one(t.Customer, view.id)
    person = customers.get(session, organisation, key)
    if person.erased_at is not None:
        raise InputError("customer", "was erased")
    return person


def _record_purchase(session: Session, organisation_id: str, customer_id: str, details: Details, at: datetime,
                     now: datetime) -> None:
    """The booking or order as a purchase, once: what the contract basis and the privilege rest on.
    Posted again under a new key (or moved, or shipped), it stays the purchase it was."""
    statement = insert_or_else(session, t.Purchase).values(
        id=str(uuid.uuid4()), organisation_id=organisation_id, customer_id=customer_id,
        external_id=f"{details.prefix}:{details.subject}", occurred_at=at, categories=details.categories,
        contact_collected=details.contact_collected, objection_notice_at_collection=details.notice_shown,
        created_at=now,
    ).on_conflict_do_nothing(index_elements=["organisation_id", "external_id"]).returning(t.Purchase.id)
    if session.execute(statement).first() is not None:  # inserted, not the purchase it already was
        customers.visited(session, organisation_id, customer_id, at)


def _planned(session: Session, organisation: t.Organisation, person: t.Customer, details: Details, event_id: str,
             now: datetime) -> list[Planned]:
    rows = session.scalars(select(t.Automation).where(
        t.Automation.organisation_id == organisation.id, t.Automation.enabled.is_(True),
    ).order_by(t.Automation.trigger, t.Automation.channel))
    planned = []
    for automation in rows:
        if details.type not in automations.TRIGGERS[automation.trigger].events:
            continue
        due, key = _when(automation, details, event_id, now)
        if due is not None:
            context = {**details.fields, **details.context(automations.zone_of(organisation)), "host_event": event_id}
            planned.append(Planned(automation, person, key, due, context))
    return planned


def _when(automation: t.Automation, details: Details, event_id: str, now: datetime) -> tuple[datetime | None, str]:
    """When the message is due (None: not at all) and its dedupe key."""
    base = f"{automation.id}:{details.subject}"
    if automation.trigger in BOOKING_FOLLOW_UPS:
        assert details.starts_at is not None  # both follow only booking.created and booking.changed
        start = details.starts_at
        stamp = f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        if automation.trigger == "review_request":
            return max(start + timedelta(hours=automation.settings["hours_after"]), now), f"review:{base}:{stamp}"
        due = start - timedelta(hours=automation.settings["hours_before"])
        # Booked inside the reminder's window: the confirmation has just said it all.
        return (due if due >= now else None), f"reminder:{base}:{stamp}"
    if automation.trigger == "shipping_notice":
        return now, f"shipping:{base}:{details.shipment or event_id}"
    return now, f"confirmation:{base}"


def _call_off(session: Session, organisation_id: str, customer_id: str, details: Details, keep: set[str],
              event_id: str, now: datetime) -> None:
    """A cancelled booking withholds every message about it not yet sent; a moved one its reminder and
    review request for the old time (the new ones are planned under keys with the new time)."""
    rows = session.scalars(select(t.OutboxItem).where(
        t.OutboxItem.organisation_id == organisation_id, t.OutboxItem.customer_id == customer_id,
        t.OutboxItem.automation_id.is_not(None), t.OutboxItem.status.in_(PENDING),
    ).with_for_update())  # a worker claiming the row concurrently either wins (then it is in flight) or waits
    kinds = {automations.TRIGGERS[name].kind.value for name in BOOKING_FOLLOW_UPS}
    moved = details.type == "booking.changed"
    stale = [
        row for row in rows
        if row.context.get("booking_id") == details.subject and row.dedupe_key not in keep
        and (not moved or row.kind in kinds)
    ]
    automations.call_off(stale, note="booking moved" if moved else "booking cancelled", by_event=event_id, now=now)


def _result(session: Session, organisation_id: str, event: t.HostEvent, *, duplicate: bool) -> Posted:
    session.flush()
    context = t.OutboxItem.context
    query = select(t.OutboxItem).where(
        t.OutboxItem.organisation_id == organisation_id,
        or_(context["host_event"].as_string() == event.id, context["withheld_by"].as_string() == event.id))
    if event.customer_id is not None:
        query = query.where(t.OutboxItem.customer_id == event.customer_id)
    rows = list(session.scalars(query.order_by(t.OutboxItem.next_attempt_at, t.OutboxItem.kind)))
    triggers = {row.id: row.trigger for row in session.execute(select(t.Automation.id, t.Automation.trigger).where(
        t.Automation.organisation_id == organisation_id))}
    views = [(row, Scheduled.of(row, triggers.get(row.automation_id or "", ""))) for row in rows]
    return Posted(
        event_id=event.id, type=event.type, customer_id=event.customer_id, duplicate=duplicate,
        scheduled=tuple(v for row, v in views if row.context.get("withheld_by") != event.id),
        called_off=tuple(v for row, v in views if row.context.get("withheld_by") == event.id),
    )
