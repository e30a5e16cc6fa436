"""A consent taken at the desk, on the phone or on paper, and its double opt-in when it lacks proof.

A signed form is proof; konsent keeps only its SHA-256 (the paper stays in the shop's files, and
the hash shows later that the scan handed to an authority is that very form). The browser hashes
the file itself when it can (static/staff/consent.js), so the scan never leaves the desk; without
JavaScript the upload is hashed here and dropped.
"""

import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from konsent.domain import ConsentSource
from konsent.domain.facts import SELF_EVIDENT_SOURCES
from konsent.errors import InputError
from konsent.services import consents, customer_record, customers, doi
from konsent.services.consents import ConsentDeclaration
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, Desk, Staff
from konsent.web.staff.pages import redirect, render

router = APIRouter()
DESK_SOURCES = tuple(s.value for s in ConsentSource if s in SELF_EVIDENT_SOURCES)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 16


@router.get("/customers/{customer_id}/consents/new", response_class=HTMLResponse)
def consent_form(request: Request, who: Desk, customer_id: str) -> HTMLResponse:
    return _form(request, who, customer_id, error=None, values={})


def _form(request: Request, who: Staff, customer_id: str, *, error: InputError | None,
          values: dict[str, str], status: int = 200) -> HTMLResponse:
    app = konsent_of(request)
    customer = customers.show(app, who.organisation_id, customer_id)
    return render(
        request, who, "consent_form.html", status=status, section="customers", customer=customer,
        channels=[c for c in customer_record.CHANNELS if _has_address(customer.contacts, c)],
        purposes=("advertising", *customer_record.PURPOSES), sources=DESK_SOURCES,
        texts=customer_record.consent_texts(app, who.organisation_id), values=values,
        error={"field": error.field, "message": error.message} if error else None,
    )


def _has_address(contacts: dict[str, str], channel: str) -> bool:
    return {"email": "email", "sms": "phone", "phone": "phone", "post": "postal"}[channel] in contacts


@router.post("/customers/{customer_id}/consents", response_model=None)
async def record_consent(
    request: Request, who: Desk, customer_id: str,
    channel: Annotated[str, Form(max_length=16)] = "", purpose: Annotated[str, Form(max_length=40)] = "advertising",
    source: Annotated[str, Form(max_length=40)] = "", text_version_id: Annotated[str, Form(max_length=36)] = "",
    categories: Annotated[str, Form(max_length=2000)] = "", reference: Annotated[str, Form(max_length=2000)] = "",
    recording_ref: Annotated[str, Form(max_length=2000)] = "", agreed_now: Annotated[str, Form(max_length=8)] = "",
    document_hash: Annotated[str, Form(max_length=64)] = "", document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {"channel": channel, "purpose": purpose, "source": source, "text_version_id": text_version_id,
              "categories": categories, "reference": reference, "recording_ref": recording_ref,
              "agreed_now": agreed_now}
    try:
        evidence = {
            "staff_actor": who.actor if agreed_now == "yes" else "",
            "document_hash": await _document_digest(document, document_hash),
            "note": reference.strip(), "recording_ref": recording_ref.strip(),
        }
        if source not in DESK_SOURCES:
            raise InputError("source", f"at the desk, choose one of {', '.join(DESK_SOURCES)}")
        declaration = ConsentDeclaration(
            channel=channel, source=source, purpose=purpose, text_version_id=text_version_id or None,
            categories=[c.strip() for c in categories.split(",") if c.strip()],
            evidence={name: value for name, value in evidence.items() if value},
        )
        consent_id = await run_in_threadpool(consents.give, konsent_of(request), who.organisation_id, customer_id,
                                             declaration, actor=who.actor)
    except InputError as error:
        return await run_in_threadpool(_form, request, who, customer_id, error=error, values=values, status=422)
    return redirect(f"/staff/customers/{customer_id}/consents/{consent_id}")


async def _document_digest(document: UploadFile | None, given: str) -> str:
    if document is not None and document.filename:
        digest, size = hashlib.sha256(), 0
        while chunk := await document.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if not size:
            raise InputError("document", "the file is empty")
        return digest.hexdigest()
    given = given.strip().lower()
    if given and not _SHA256.match(given):
        raise InputError("document_hash", "must be the 64 hexadecimal digits of a SHA-256 checksum")
    return given


@router.get("/customers/{customer_id}/consents/{consent_id}", response_class=HTMLResponse)
def consent_page(request: Request, who: Anyone, customer_id: str, consent_id: str,
                 doi_result: str | None = None) -> HTMLResponse:
    found = customer_record.consent_on_record(konsent_of(request), who.organisation_id, customer_id, consent_id)
    return render(request, who, "consent.html", section="customers", found=found,
                  doi_result=doi_result if doi_result in ("sent", "failed") else None)


@router.post("/customers/{customer_id}/consents/{consent_id}/doi", response_model=None)
def request_confirmation(request: Request, who: Desk, customer_id: str, consent_id: str) -> Response:
    app = konsent_of(request)
    found = customer_record.consent_on_record(app, who.organisation_id, customer_id, consent_id)
    requested = doi.request(app, who.organisation_id, found.customer.id, channel=found.consent.channel.value,
                            consent_id=consent_id)
    return redirect(f"/staff/customers/{found.customer.id}/consents/{consent_id}?doi_result={requested.status}")
