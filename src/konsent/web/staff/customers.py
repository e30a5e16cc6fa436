"""Finding a customer, and the customer record (Kundenakte) with its proof dossier and erasure."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from konsent.errors import InputError
from konsent.services import complaints, customer_record, dossier, rights
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, Owner
from konsent.web.staff.pages import NO_STORE, redirect, render

router = APIRouter()


@router.get("/customers", response_class=HTMLResponse)
def search(request: Request, who: Anyone, q: Annotated[str, Query(max_length=200)] = "",
           cursor: Annotated[str | None, Query(max_length=300)] = None) -> HTMLResponse:
    found = customer_record.search(konsent_of(request), who.organisation_id, q, cursor=cursor)
    return render(request, who, "customers.html", section="customers", q=q, found=found, paged=cursor is not None)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def show(request: Request, who: Anyone, customer_id: str, erased: bool = False) -> HTMLResponse:
    app = konsent_of(request)
    found = customer_record.record(app, who.organisation_id, customer_id, lang=who.lang)
    by_channel: dict[str, list[customer_record.Permission]] = {}
    for permission in found.permissions:
        by_channel.setdefault(permission.channel, []).append(permission)
    return render(
        request, who, "customer.html", section="customers", record=found, by_channel=by_channel,
        names=customer_record.staff_names(app, who.organisation_id), just_erased=erased,
        complaints=complaints.listed(app, who.organisation_id, customer_id=found.customer.id),
    )


@router.get("/customers/{customer_id}/dossier.pdf", response_model=None)
def dossier_pdf(request: Request, who: Anyone, customer_id: str, lang: str | None = None) -> Response:
    """The proof dossier, for an authority or the person (Art. 7 (1) GDPR: the sender proves)."""
    app = konsent_of(request)
    document = dossier.build(app, who.organisation_id, customer_id)
    content = dossier.render_pdf(document, lang or who.lang)
    return Response(content, media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="konsent-dossier-{document["customer"]["id"]}.pdf"',
    })


@router.post("/customers/{customer_id}/erase", response_model=None)
def erase(request: Request, who: Owner, customer_id: str, confirm: Annotated[str, Form()] = "") -> Response:
    if confirm != "yes":
        raise InputError("confirm", "tick the box to confirm: an erasure cannot be undone")
    erased = rights.erase(konsent_of(request), who.organisation_id, customer_id, actor=who.actor)
    return redirect(f"/staff/customers/{erased.customer}?erased=1")
