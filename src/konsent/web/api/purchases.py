"""API: a customer's purchases and bookings — what the existing-customer privilege and every
transactional message rest on."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from konsent.errors import InputError
from konsent.services import customers, organisations
from konsent.storage import tables as t
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, NewPurchase, PurchaseOut
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import CustomerId, Print
from konsent.web.deps import konsent_of

router = APIRouter(tags=["purchases"])


@router.post("/customers/{customer_id}/purchases", status_code=201, response_model=PurchaseOut,
             responses=WRITE_ERRORS)
def record(request: Request, caller: Writer, customer_id: CustomerId, new: NewPurchase, print_: Print) -> JSONResponse:
    """A sale or booking (not an aborted checkout). `contact_collected` names the channels whose
    address the customer gave with it; `objection_notice_at_collection` whether they were told then
    that they may object at any time — both decide whether the existing-customer privilege holds."""
    app = konsent_of(request)
    ids.checked("customer", customer_id)

    def run() -> PurchaseOut:
        with app.db.unit_of_work() as session:
            organisation = organisations.get(session, caller.organisation_id)
            if customers.get(session, organisation, customer_id).erased_at is not None:
                raise InputError("customer", "was erased; add the person anew")
        purchase_id = customers.record_purchase(
            app, caller.organisation_id, customer_id, occurred_at=new.occurred_at, categories=list(new.categories),
            contact_collected=[c.value for c in new.contact_collected],
            objection_notice_at_collection=new.objection_notice_at_collection, external_id=new.external_id)
        with app.db.unit_of_work() as session:
            return _out(session.get_one(t.Purchase, purchase_id))

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.get("/customers/{customer_id}/purchases", responses=READ_ERRORS)
def listed(request: Request, caller: Reader, customer_id: CustomerId, limit: Limit = 50,
           cursor: Cursor = None) -> Page[PurchaseOut]:
    """Oldest first."""
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        customer = customers.get(session, organisation, ids.checked("customer", customer_id))
        p = t.Purchase
        rows = list(session.scalars(paged(select(p).where(p.organisation_id == organisation.id,
                                                          p.customer_id == customer.id),
                                          p.occurred_at, p.id, cursor, limit)))
        return page(rows, limit, lambda r: (r.occurred_at, r.id), _out)


def _out(row: t.Purchase) -> PurchaseOut:
    return PurchaseOut(id=row.id, customer_id=row.customer_id, external_id=row.external_id,
                       occurred_at=row.occurred_at, categories=list(row.categories),
                       contact_collected=list(row.contact_collected),
                       objection_notice_at_collection=row.objection_notice_at_collection, created_at=row.created_at)
