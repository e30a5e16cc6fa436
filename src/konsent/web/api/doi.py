"""API: double opt-in — ask a person to confirm a sign-up, and take the code they were texted."""

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from konsent import tokens
from konsent.errors import NotFound
from konsent.services import doi, organisations
from konsent.storage import tables as t
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Writer
from konsent.web.api.models import WRITE_ERRORS, ConfirmationCode, DoiConfirmedOut, DoiRequestOut, NewDoiRequest
from konsent.web.api.values import CustomerId, Print
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

router = APIRouter(tags=["doi"])


@router.post("/customers/{customer_id}/doi-requests", status_code=201, response_model=DoiRequestOut,
             responses=WRITE_ERRORS)
def request_confirmation(request: Request, caller: Writer, customer_id: CustomerId, new: NewDoiRequest,
                         print_: Print) -> JSONResponse:
    """Send the confirmation request for the customer's newest unconfirmed sign-up on the channel
    (or `consent_id`). One per sign-up; another only when every earlier one failed to go out.
    `status: failed` means it was recorded but the transport refused; `permanent` says whether
    trying again could help."""
    app = konsent_of(request)
    ids.checked("customer", customer_id)

    def run() -> DoiRequestOut:
        try:
            requested = doi.request(app, caller.organisation_id, customer_id, channel=new.channel,
                                    consent_id=new.consent_id)
        except doi.DoiRefused as refused:
            raise ApiError(422, "refused", " ".join(r.text("en") for r in refused.decision.reasons),
                           field="consent_id" if new.consent_id else "channel") from None
        return DoiRequestOut(**asdict(requested))

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.post("/doi/confirm-code", response_model=DoiConfirmedOut, responses=WRITE_ERRORS)
def confirm_code(request: Request, caller: Writer, entered: ConfirmationCode, print_: Print) -> JSONResponse:
    """The six digits the person typed in from the confirmation SMS (on the host system's page).
    Five wrong tries lock the code; the link in the message keeps working."""
    app = konsent_of(request)

    def run() -> DoiConfirmedOut:
        with app.db.unit_of_work() as session:
            organisation = organisations.get(session, caller.organisation_id)
            customer_id = session.scalar(select(t.DoiRequest.customer_id).where(
                t.DoiRequest.organisation_id == organisation.id, t.DoiRequest.id == entered.request_id))
        if customer_id is None:
            raise NotFound("confirmation request", entered.request_id)
        try:
            confirmed = doi.confirm_code(app, caller.organisation_id, customer_id, entered.code)
        except tokens.TokenError as refused:
            raise ApiError(422, "not_confirmable", refused.text("en"), field="request_id") from None
        return DoiConfirmedOut(**asdict(confirmed))

    return idempotency.replay_or_run(request, caller, print_, run, 200)
