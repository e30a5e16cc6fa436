"""Complaints (seed 000): record one, see what the person was sent and why, stop further advertising,
answer with the facts and the proof dossier attached."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from konsent.errors import InputError
from konsent.services import complaints, customer_record, customers
from konsent.services.complaints import ARRIVED_BY
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, Desk, Staff
from konsent.web.staff.pages import NO_STORE, redirect, render

router = APIRouter()
ABOUT = ("all", "email", "sms", "phone", "post")


@router.get("/complaints", response_class=HTMLResponse)
def listed(request: Request, who: Anyone, status: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    app = konsent_of(request)
    chosen = status if status in complaints.STATUSES else None
    return render(request, who, "complaints.html", section="complaints", chosen=chosen,
                  complaints=complaints.listed(app, who.organisation_id, status=chosen))


@router.get("/complaints/new", response_class=HTMLResponse)
def new(request: Request, who: Desk, customer: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return _form(request, who, {"customer": customer, "arrived_by": "email", "about_channel": "all"}, None)


def _form(request: Request, who: Staff, values: dict[str, str], error: InputError | None,
          status: int = 200) -> HTMLResponse:
    known = None
    if values.get("customer"):
        try:
            known = customers.show(konsent_of(request), who.organisation_id, values["customer"])
        except (InputError, LookupError):
            known = None
    return render(request, who, "complaint_form.html", status=status, section="complaints", values=values,
                  known=known, arrived=ARRIVED_BY, about=ABOUT,
                  error={"field": error.field, "message": error.message} if error else None)


@router.post("/complaints", response_model=None)
def record(request: Request, who: Desk, customer: Annotated[str, Form(max_length=200)] = "",
           arrived_by: Annotated[str, Form(max_length=16)] = "", summary: Annotated[str, Form(max_length=5000)] = "",
           about_channel: Annotated[str, Form(max_length=16)] = "all",
           wants_no_more: Annotated[str, Form(max_length=8)] = "") -> Response:
    values = {"customer": customer, "arrived_by": arrived_by, "summary": summary, "about_channel": about_channel,
              "wants_no_more": wants_no_more}
    try:
        recorded = complaints.record(
            konsent_of(request), who.organisation_id, customer_key=customer.strip() or None, arrived_by=arrived_by,
            summary=summary, wants_no_more=wants_no_more == "yes", about_channel=about_channel, actor=who.actor)
    except InputError as error:
        return _form(request, who, values, error, status=422)
    return redirect(f"/staff/complaints/{recorded.id}")


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def show(request: Request, who: Anyone, complaint_id: str, lang: str | None = None) -> HTMLResponse:
    app = konsent_of(request)
    found = complaints.case(app, who.organisation_id, complaint_id, lang=who.lang)
    answer_lang = lang if lang in ("de", "en") else found.customer_locale
    draft = found.complaint.answer or complaints.draft_answer(app, who.organisation_id, complaint_id,
                                                              lang=answer_lang)
    return render(request, who, "complaint.html", section="complaints", found=found, draft=draft,
                  answer_lang=answer_lang, names=customer_record.staff_names(app, who.organisation_id))


@router.post("/complaints/{complaint_id}/answer", response_model=None)
def answer(request: Request, who: Desk, complaint_id: str,
           text: Annotated[str, Form(max_length=complaints.MAX_ANSWER)] = "") -> Response:
    complaints.answer(konsent_of(request), who.organisation_id, complaint_id, text=text, actor=who.actor)
    return redirect(f"/staff/complaints/{complaint_id}")


@router.post("/complaints/{complaint_id}/objection", response_model=None)
def objection(request: Request, who: Desk, complaint_id: str) -> Response:
    complaints.object_now(konsent_of(request), who.organisation_id, complaint_id, actor=who.actor)
    return redirect(f"/staff/complaints/{complaint_id}")


@router.get("/complaints/{complaint_id}/dossier.pdf", response_model=None)
def dossier_pdf(request: Request, who: Anyone, complaint_id: str, lang: str = "de") -> Response:
    content = complaints.dossier_pdf(konsent_of(request), who.organisation_id, complaint_id, lang=lang)
    return Response(content, media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="konsent-dossier-complaint-{complaint_id}.pdf"',
    })
