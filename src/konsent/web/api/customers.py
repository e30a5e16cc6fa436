"""API: customers — add, look up, change. An erased customer stays listed, as erased and without
personal data, so a host system can see that the person asked to be forgotten."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.services import customer_updates, customers, organisations, suppression
from konsent.services.audience import _has_any
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import dialect_of
from konsent.validation import normalise_email, normalise_phone
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, CustomerChanges, CustomerOut, NewCustomer, Text
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import CustomerId, Print
from konsent.web.deps import konsent_of

router = APIRouter(tags=["customers"])
_FIELD_OF_KIND = {"email": "email", "phone": "phone", "postal": "postal_address"}


@router.post("/customers", status_code=201, response_model=CustomerOut, responses=WRITE_ERRORS)
def add(request: Request, caller: Writer, new: NewCustomer, print_: Print) -> JSONResponse:
    """A new customer. An address on the suppression list brings its earlier objection along."""
    app = konsent_of(request)

    def run() -> CustomerOut:
        fields = {**new.model_dump(mode="json", exclude={"registers", "tags"}, exclude_none=True),
                  **({"birthday": new.birthday} if new.birthday else {})}
        added = customers.add(app, caller.organisation_id, customers.NewCustomer(
            **fields, registers=new.registers.model_dump(exclude_none=True) if new.registers else {},
            tags=list(dict.fromkeys(new.tags or []))))
        return one(app, caller.organisation_id, added.id)

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.get("/customers/{customer_id}", responses=READ_ERRORS)
def show(request: Request, caller: Reader, customer_id: CustomerId) -> CustomerOut:
    return one(konsent_of(request), caller.organisation_id, ids.checked("customer", customer_id))


@router.patch("/customers/{customer_id}", responses=WRITE_ERRORS)
def change(request: Request, caller: Writer, customer_id: CustomerId, changes: CustomerChanges) -> CustomerOut:
    """Only the fields sent change. A changed or removed email address or phone number withdraws the
    consents given for it (the person consents again for the new one); a new address on the
    suppression list brings its objection along."""
    app = konsent_of(request)
    given = changes.model_dump(mode="json", exclude_unset=True)
    if "birthday" in given:
        given["birthday"] = changes.birthday
    if changes.registers is not None:
        given["registers"] = changes.registers.model_dump(exclude_none=True)
    customer_updates.update(app, caller.organisation_id, ids.checked("customer", customer_id), given)
    return one(app, caller.organisation_id, customer_id)


@router.get("/customers", responses=READ_ERRORS)
def find(
    request: Request, caller: Reader,
    external_id: Annotated[Text | None, Query(max_length=200)] = None,
    email: Annotated[Text | None, Query(max_length=320)] = None,
    phone: Annotated[Text | None, Query(max_length=40)] = None,
    tag: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Page[CustomerOut]:
    """Customers oldest first, narrowed by any of the filters (an email address or phone number is
    compared as konsent stores it: lower case, E.164)."""
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        c, cp = t.Customer, t.ContactPoint
        query = select(c).where(c.organisation_id == organisation.id)
        if external_id is not None:
            query = query.where(c.external_id == external_id)
        for kind, value in (("email", email and normalise_email(email, "email")),
                            ("phone", phone and normalise_phone(phone, "phone", region=organisation.jurisdiction))):
            if value:
                query = query.where(c.id.in_(select(cp.customer_id).where(
                    cp.organisation_id == organisation.id, cp.kind == kind, cp.value == value)))
        if tag is not None:
            query = query.where(_has_any(c.tags, [tag], dialect_of(session)))
        rows = list(session.scalars(paged(query, c.created_at, c.id, cursor, limit)))
        shown = {item.id: item for item in described(session, organisation, rows[:limit])}
        return page(rows, limit, lambda r: (r.created_at, r.id), lambda r: shown[r.id])


def one(app: Konsent, organisation_id: str, customer_id: str) -> CustomerOut:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_id)
        return described(session, organisation, [customers.get(session, organisation, customer_id)])[0]


def described(session: Session, organisation: t.Organisation, rows: Sequence[t.Customer]) -> list[CustomerOut]:
    """The customers as the API shows them, with their addresses and suppressions in two queries."""
    contacts: dict[str, dict[str, str]] = {}
    for customer_id, kind, value in session.execute(select(
            t.ContactPoint.customer_id, t.ContactPoint.kind, t.ContactPoint.value).where(
            t.ContactPoint.organisation_id == organisation.id,
            t.ContactPoint.customer_id.in_([r.id for r in rows]))):
        contacts.setdefault(customer_id, {})[kind] = value
    owners = {suppression.address_hash(organisation.secret, kind, value): customer_id
              for customer_id, own in contacts.items() for kind, value in own.items()}
    suppressed: dict[str, set[str]] = {}
    if owners:
        for digest, channel in session.execute(select(t.Suppression.address_hash, t.Suppression.channel).where(
                t.Suppression.organisation_id == organisation.id, t.Suppression.address_hash.in_(list(owners)))):
            suppressed.setdefault(owners[digest], set()).add(channel)
    return [CustomerOut.model_validate({
        "id": r.id, "external_id": r.external_id, "type": r.type,
        "jurisdiction": r.jurisdiction or organisation.jurisdiction, "locale": r.locale or organisation.locale,
        "first_name": r.first_name, "last_name": r.last_name, "birthday": r.birthday,
        **{field: contacts.get(r.id, {}).get(kind) for kind, field in _FIELD_OF_KIND.items()},
        "registers": {k: bool(v) for k, v in r.registers.items()}, "tags": list(r.tags),
        "suppressed": sorted(suppressed.get(r.id, ())), "erased": r.erased_at is not None,
        "erased_at": r.erased_at, "created_at": r.created_at,
    }) for r in rows]
