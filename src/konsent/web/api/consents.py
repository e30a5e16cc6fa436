"""API: what a person agreed to and took back — consents with their evidence, withdrawals,
objections — and what konsent may therefore send them, channel by channel."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from konsent.errors import Conflict, InputError, KonsentError, RateLimited
from konsent.services import consents, customer_record, customers, doi, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import (
    READ_ERRORS,
    WRITE_ERRORS,
    ConsentRecorded,
    DoiNotSent,
    DoiRequestOut,
    Lang,
    LedgerEventOut,
    NewConsent,
    NewObjection,
    NewWithdrawal,
    Permission,
    Permissions,
    Recorded,
)
from konsent.web.api.paging import Cursor, Limit, Page, page_by_number, paged_by_number
from konsent.web.api.values import CustomerId, Print
from konsent.web.deps import konsent_of

router = APIRouter(tags=["consents"])
_STATUS = {customer_record.ALLOWED: "allowed", customer_record.NOT_ALLOWED: "not_allowed",
           customer_record.WAITING: "waiting_for_confirmation", customer_record.OBJECTED: "objected"}


@router.post("/customers/{customer_id}/consents", status_code=201, response_model=ConsentRecorded,
             responses=WRITE_ERRORS)
def give(request: Request, caller: Writer, customer_id: CustomerId, new: NewConsent, print_: Print) -> JSONResponse:
    """Record a consent with its evidence and, for an email or SMS sign-up that no signed form,
    recording or staff record proves, send the confirmation request (double opt-in) in the same
    call. The consent stands even when the request cannot go out; `double_opt_in` says why."""
    app = konsent_of(request)
    ids.checked("customer", customer_id)
    declaration = ConsentDeclaration(
        channel=new.channel.value, source=new.source.value, purpose=new.purpose.value, method=new.method.value,
        categories=list(new.categories), text_version_id=new.text_version_id, third_party=new.third_party,
        evidence=new.evidence.model_dump(exclude_none=True), occurred_at=new.occurred_at)
    confirmable = new.channel.value in doi.CHANNELS
    if new.double_opt_in and not confirmable:
        raise InputError("double_opt_in", "a confirmation request goes by email or sms")
    send = confirmable and (new.double_opt_in if new.double_opt_in is not None else not declaration.proven_by_record)

    def run() -> ConsentRecorded:
        consent_id = consents.give(app, caller.organisation_id, customer_id, declaration)
        requested: DoiRequestOut | DoiNotSent | None = None
        if send:
            try:
                requested = DoiRequestOut(**asdict(doi.request(app, caller.organisation_id, customer_id,
                                                               channel=new.channel.value, consent_id=consent_id)))
            except KonsentError as exc:  # recorded all the same: the answer must say so, not fail
                requested = DoiNotSent(code=_code(exc), message=str(exc))
        return ConsentRecorded(consent_id=consent_id, customer_id=customer_id, double_opt_in=requested)

    return idempotency.replay_or_run(request, caller, print_, run, 201)


def _code(refusal: KonsentError) -> str:
    if isinstance(refusal, RateLimited):
        return "rate_limited"
    if isinstance(refusal, Conflict):
        return "conflict"
    return "invalid_input" if isinstance(refusal, InputError) else "refused"


@router.post("/customers/{customer_id}/withdrawals", status_code=201, response_model=Recorded,
             responses=WRITE_ERRORS)
def withdraw(request: Request, caller: Writer, customer_id: CustomerId, new: NewWithdrawal,
             print_: Print) -> JSONResponse:
    """Withdraw consents (Art. 7 (3) GDPR) on a channel or all, for a purpose or all."""
    app = konsent_of(request)
    ids.checked("customer", customer_id)

    def run() -> Recorded:
        consents.withdraw(app, caller.organisation_id, customer_id, channel=new.channel, purpose=new.purpose)
        return Recorded(customer_id=customer_id, type="consent.withdrawn", channel=new.channel,
                        purpose=new.purpose, recorded_at=app.now())

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.post("/customers/{customer_id}/objections", status_code=201, response_model=Recorded,
             responses=WRITE_ERRORS)
def object_to(request: Request, caller: Writer, customer_id: CustomerId, new: NewObjection,
              print_: Print) -> JSONResponse:
    """An objection (Art. 21 GDPR) to advertising — or, with scope `all`, to every message on the
    channel. Effective at once, and the address goes on the suppression list for good."""
    app = konsent_of(request)
    ids.checked("customer", customer_id)

    def run() -> Recorded:
        consents.object_to(app, caller.organisation_id, customer_id, channel=new.channel, scope=new.scope)
        return Recorded(customer_id=customer_id, type="objection.received", channel=new.channel, scope=new.scope,
                        recorded_at=app.now())

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.get("/customers/{customer_id}/permissions", responses=READ_ERRORS)
def permissions(request: Request, caller: Reader, customer_id: CustomerId, lang: Lang = "en") -> Permissions:
    """For every channel and advertising purpose: may konsent send it now, why, and since when —
    asked of the engine exactly as `POST /decide` asks it, so the two never disagree."""
    app = konsent_of(request)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        customer = customers.get(session, organisation, ids.checked("customer", customer_id))
        state = ledger.load_state(session, organisation.id, customer.id)
        purchases = list(session.scalars(select(t.Purchase).where(
            t.Purchase.organisation_id == organisation.id, t.Purchase.customer_id == customer.id)))
        found = customer_record.permissions(session, organisation, customer, state, purchases, now=now, lang=lang)
    return Permissions(customer_id=customer.id, at=now, rule_pack=found[0].decision.rule_pack, permissions=[
        Permission.model_validate({
            "channel": p.channel, "purpose": p.purpose, "kind": p.purpose, "status": _STATUS[p.status],
            "basis": p.decision.basis.value if p.decision.basis else None,
            "reasons": p.decision.to_dict(lang)["reasons"], "reachable": p.address_on_file, "since": p.since,
        }) for p in found])


@router.get("/customers/{customer_id}/ledger", responses=READ_ERRORS)
def events(request: Request, caller: Reader, customer_id: CustomerId, limit: Limit = 50,
           cursor: Cursor = None) -> Page[LedgerEventOut]:
    """The person's ledger events in chain order, as hashed. Evidence (personal) is not shown here:
    the dossier carries it with what proves it."""
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        customer = customers.get(session, organisation, ids.checked("customer", customer_id))
        e = t.LedgerEvent
        rows = session.execute(paged_by_number(
            select(e.seq, e.recorded_at, e.body, e.hash, e.evidence)
            .where(e.organisation_id == organisation.id, e.customer_id == customer.id), e.seq, cursor, limit)).all()
        return page_by_number(rows, limit, lambda r: int(r.seq), _event)


def _event(row: Any) -> LedgerEventOut:
    event = ledger.event_from_body(bytes(row.body))
    return LedgerEventOut(seq=event.seq, id=event.id, type=event.type.value, occurred_at=event.occurred_at,
                          recorded_at=row.recorded_at, data=dict(event.data), has_evidence=row.evidence is not None,
                          hash=bytes(row.hash).hex())
