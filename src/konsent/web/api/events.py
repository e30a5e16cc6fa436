"""API: events the host system posts — a booking made, moved or cancelled, an order placed or shipped,
a customer created. Each is taken once by its `idempotency_key`: posted again (a retry after a
timeout), it answers 200 with `duplicate: true` and the first answer's messages, planning nothing."""

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from konsent.domain import Jurisdiction
from konsent.errors import Conflict, InputError, NotFound
from konsent.services import automations, customers, host_events, organisations
from konsent.services.api_keys import Caller
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.web.api import idempotency
from konsent.web.api.auth import Writer
from konsent.web.api.models import In, Locale, Out, errors
from konsent.web.api.values import Address, AwareMoment, Line, Print, actor, check_document
from konsent.web.deps import konsent_of

router = APIRouter(tags=["events"])

EventType = Literal["booking.created", "booking.changed", "booking.cancelled", "order.placed", "order.shipped",
                    "customer.created"]


class EventCustomer(In):
    """Who the event is about, found by external id, else email, else phone. The contact fields add a
    customer konsent does not know yet; for a known one they change nothing."""

    external_id: Line | None = None
    email: Address | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9+() ./-]*$")] | None = None
    postal_address: Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")] | None = None
    first_name: Line | None = None
    last_name: Line | None = None
    birthday: date | None = None
    locale: Locale | None = None
    jurisdiction: Jurisdiction | None = None
    type: Literal["consumer", "business"] | None = None


class NewEvent(In):
    type: EventType
    idempotency_key: Line = Field(description="The host system's key for this event: taken once.")
    customer: EventCustomer
    payload: dict[str, Any] = Field(default_factory=dict, description=(
        "booking.*: booking_id, starts_at, categories, contact_collected, objection_notice_shown, details; "
        "order.*: order_id (shipment_id), the same; customer.created: the customer's fields."))
    occurred_at: AwareMoment | None = Field(default=None, description="Default: now.")


class PlannedMessage(Out):
    outbox_id: str = Field(description="The message's id in /messages.")
    automation: str
    kind: str
    channel: str
    customer_id: str
    status: str = Field(description="queued, or withheld (with the reason in `note`).")
    due: datetime
    decision: str
    reasons: list[str]
    note: str | None


class EventTaken(Out):
    event_id: str
    type: str
    customer_id: str | None
    duplicate: bool
    scheduled: list[PlannedMessage]
    called_off: list[PlannedMessage] = Field(description="Messages this event withheld: a booking moved or cancelled.")


@router.post("/events", status_code=202, response_model=EventTaken, responses={
    200: {"model": EventTaken, "description": "Posted before: the first answer, nothing planned twice."},
    **errors(401, 403, 404, 409, 413, 422)})
def post_event(request: Request, event: NewEvent, caller: Writer, print_: Print) -> JSONResponse:
    """Take an event from the host system: record the booking or order and plan the automations it triggers."""
    app = konsent_of(request)

    def run() -> EventTaken:
        return EventTaken.model_validate(_post(app, caller, event))

    answer = idempotency.replay_or_run(request, caller, print_, run, status_code=202)
    answer.status_code = 200 if json.loads(bytes(answer.body))["duplicate"] else 202
    return answer


def _post(app: Konsent, caller: Caller, event: NewEvent) -> host_events.Posted:
    organisation_id = caller.organisation_id
    check_document(event.payload, "payload")
    _check_start(event.payload)
    person = event.customer
    fields = person.model_dump(mode="json", exclude={"external_id"}, exclude_none=True)
    payload = dict(event.payload)
    if event.type == "customer.created":
        if person.external_id is None:
            raise InputError("customer.external_id", "a new customer needs the host system's id")
        key = person.external_id
        for name, value in fields.items():
            if payload.setdefault(name, value) != value:
                raise InputError(f"payload.{name}", "differs from the same field in `customer`")
    else:
        key = _known(app, organisation_id, person) or _added(app, caller, event, payload)
    try:
        return host_events.post(app, organisation_id, type=event.type, key=event.idempotency_key, customer=key,
                                payload=payload, occurred_at=event.occurred_at)
    except InputError as error:
        raise _about_customer(error) from None


def _known(app: Konsent, organisation_id: str, person: EventCustomer) -> str | None:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_id)
        for key in (person.external_id, person.email, person.phone):
            if key is not None:
                try:
                    return str(customers.get(session, organisation, key).id)
                except NotFound:
                    continue
    return None


def _added(app: Konsent, caller: Caller, event: NewEvent, payload: dict[str, Any]) -> str:
    """A customer the host names with contact details, added before its first event — once the event
    itself has been found sound, so that a refused event adds no one."""
    person, organisation_id = event.customer, caller.organisation_id
    if not person.model_dump(exclude={"external_id"}, exclude_none=True):
        raise NotFound("customer", "", personal=True)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_id)
        host_events.parse(event.type, payload, automations.zone_of(organisation), person.external_id or "")
    new = NewCustomer(**person.model_dump(exclude={"type"}, exclude_none=True), type=person.type or "consumer")
    try:
        return customers.add(app, organisation_id, new, actor=actor(caller)).id
    except InputError as error:
        raise _about_customer(error) from None
    except Conflict:
        # Posted at the same moment by a retry: the other request added them.
        found = _known(app, organisation_id, person)
        if found is None:
            raise
        return found


def _about_customer(error: InputError) -> InputError:
    """The customer services name a field as it is (`email`); in an event it sits under `customer`."""
    if error.field != "type" and error.field.split(".")[0] in EventCustomer.model_fields:
        return InputError(f"customer.{error.field}", error.message)
    return error


def _check_start(payload: dict[str, Any]) -> None:
    starts_at = payload.get("starts_at")
    try:
        moment = datetime.fromisoformat(starts_at) if isinstance(starts_at, str) else None
    except ValueError:
        return  # host_events names it
    if moment is not None and not 1900 <= moment.year <= 9000:
        raise InputError("payload.starts_at", "must lie between the years 1900 and 9000")
