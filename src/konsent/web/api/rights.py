"""API: the data subject's rights and the owner's proof — access (Art. 15 GDPR), erasure (Art. 17 GDPR)
and the proof dossier (Art. 7 (1) GDPR: the controller proves the consent)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.errors import NotFound
from konsent.services import customers, dossier, organisations, rights
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.web.api import idempotency
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, Lang, Out
from konsent.web.api.values import CustomerId, Print, actor
from konsent.web.deps import konsent_of

router = APIRouter(tags=["rights"])

Document = dict[str, Any]
Builder = Callable[..., Document]


class Export(Out):
    """Everything konsent holds about the person (Art. 15 GDPR)."""

    model_config = ConfigDict(extra="allow")
    document: Literal["konsent.export"]
    version: int
    generated_at: datetime
    organisation: Document
    customer: Document
    contact_points: list[Document]
    purchases: list[Document]
    events: list[Document] = Field(description="The customer's ledger events.")
    state: Document | None = Field(description="The consents and objections the events add up to.")
    consent_texts: list[Document]
    messages: list[Document]
    doi_requests: list[Document]
    suppression: list[Document]
    audit: list[Document]


class Dossier(Out):
    """The proof: each event as hashed with its evidence, the texts shown, the messages, the chain's check."""

    model_config = ConfigDict(extra="allow")
    document: Literal["konsent.dossier"]
    version: int
    generated_at: datetime
    organisation: Document
    customer: Document
    events: list[Document]
    state: Document | None
    consent_texts: list[Document]
    doi_messages: list[Document]
    messages: list[Document]
    verification: Document
    newsletter_decisions: list[Document]


class Erased(Out):
    customer_id: str
    erased_at: datetime
    already_erased: bool
    contact_points: int = Field(description="Deleted.")
    purchases: int = Field(description="Deleted.")
    events: int = Field(description="Kept, now pseudonymous: their evidence removed, bodies and hashes untouched.")
    messages: int = Field(description="Recipient, subject and bodies blanked; kind, status and decision kept.")
    objections_kept: list[str] = Field(description="Channels whose objection stays on the suppression list.")


HTML = {"text/html": {"schema": {"type": "string"}}}
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.get("/customers/{customer_id}/export", response_model=Export,
            responses={**READ_ERRORS, 200: {"content": HTML, "description": "JSON, or `?format=html` a page."}})
def export(request: Request, customer_id: CustomerId, caller: Reader,
           output: Annotated[Literal["json", "html"], Query(alias="format")] = "json",
           lang: Lang | None = None) -> Response:
    """Everything konsent holds about the customer (Art. 15 GDPR), as JSON or a readable page."""
    document = _document(konsent_of(request), caller.organisation_id, customer_id, rights.export_in)
    if output == "html":
        return HTMLResponse(rights.render_export_html(document, lang or document["customer"]["locale"]))
    Export.model_validate(document)  # the promised shape, checked; answered as the CLI writes it
    return JSONResponse(document)


@router.post("/customers/{customer_id}/erasure", response_model=Erased, responses=WRITE_ERRORS)
def erase(request: Request, customer_id: CustomerId, caller: Writer, print_: Print) -> JSONResponse:
    """Erase the customer's personal data (Art. 17 GDPR). The ledger stays verifiable, and an objection stays
    on the suppression list: the next import cannot make the person reachable again."""
    app = konsent_of(request)

    def run() -> Erased:
        kept = customers.show(app, caller.organisation_id, _own(app, caller.organisation_id, customer_id)).suppressed
        done = rights.erase(app, caller.organisation_id, customer_id, actor=actor(caller))
        return Erased(customer_id=done.customer, erased_at=done.erased_at, already_erased=done.already_erased,
                      contact_points=done.contact_points, purchases=done.purchases, events=done.events,
                      messages=done.messages, objections_kept=kept)

    return idempotency.replay_or_run(request, caller, print_, run)


@router.get("/customers/{customer_id}/dossier", response_model=Dossier,
            responses={**READ_ERRORS, 200: {"content": {**HTML, **PDF}, "description": "JSON, HTML or PDF."}})
def proof(request: Request, customer_id: CustomerId, caller: Reader,
          output: Annotated[Literal["json", "html", "pdf"], Query(alias="format")] = "json",
          lang: Lang | None = None) -> Response:
    """The proof dossier: what the customer agreed to, how it was shown and confirmed, and that the
    record is whole — for an owner to hand to an authority."""
    document = _document(konsent_of(request), caller.organisation_id, customer_id, dossier.build_in)
    wording = lang or document["customer"]["locale"]
    if output == "pdf":
        return Response(dossier.render_pdf(document, wording), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="dossier-{customer_id}.pdf"'})
    if output == "html":
        return HTMLResponse(dossier.render_html(document, wording))
    Dossier.model_validate(document)
    return JSONResponse(document)


def _document(app: Konsent, organisation_id: str, customer_id: str, build: Builder) -> Document:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_id)
        return build(session, organisation, _customer(session, organisation.id, customer_id), now=app.now())


def _own(app: Konsent, organisation_id: str, customer_id: str) -> str:
    with app.db.unit_of_work() as session:
        return _customer(session, organisation_id, customer_id).id


def _customer(session: Session, organisation_id: str, customer_id: str) -> t.Customer:
    """By konsent id only: services also find a customer by external id, email or phone."""
    customer = session.scalar(select(t.Customer).where(
        t.Customer.organisation_id == organisation_id, t.Customer.id == customer_id))
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer
