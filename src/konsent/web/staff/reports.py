"""Reports for the authority and the records: the answer pack (a ZIP with answer.pdf, the figures as
JSON and CSV) and the record of processing activities (Art. 30 GDPR), in German or English.
The owner and the data protection officer download them; staff do not."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from konsent.services import answer_pack, processing_record
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Oversight
from konsent.web.staff.pages import NO_STORE, render

router = APIRouter()
Lang = Annotated[str, Path(pattern=r"^(de|en)$")]
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@router.get("/reports", response_class=HTMLResponse)
def index(request: Request, who: Oversight) -> HTMLResponse:
    return render(request, who, "reports.html", section="reports")


@router.get("/reports/answer-pack-{lang}.zip", response_model=None)
def pack(request: Request, who: Oversight, lang: Lang) -> Response:
    content = answer_pack.bundle(konsent_of(request), who.organisation_id, lang=lang)
    return Response(content, media_type="application/zip", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="konsent-answer-pack-{lang}.zip"'})


@router.get("/reports/processing-record-{lang}.{fmt}", response_model=None)
def record(request: Request, who: Oversight, lang: Lang,
           fmt: Annotated[str, Path(pattern=r"^(pdf|html)$")]) -> Response:
    content = processing_record.render(konsent_of(request), who.organisation_id, lang, fmt=fmt)
    # The HTML is a document to keep, not a page of konsent's: downloaded, never shown in the staff UI's origin.
    return Response(content, media_type=MEDIA[fmt], headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="konsent-processing-record-{lang}.{fmt}"'})
