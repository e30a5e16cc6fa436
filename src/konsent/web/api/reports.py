"""API: reports — the authority's answer pack, the dashboard's figures, the records of processing."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from konsent.services import answer_pack, dashboard, organisations, processing_record
from konsent.web.api.auth import Reader
from konsent.web.api.models import READ_ERRORS, Lang, Out
from konsent.web.api.values import Moment
from konsent.web.deps import konsent_of

router = APIRouter(tags=["reports"])

# The record's page carries its own small style sheet and no script at all.
_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description,
                  "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}, **READ_ERRORS}


class ConsentRateOut(Out):
    with_address: int
    with_consent: int
    rate: float | None


class DoiCompletionOut(Out):
    requested: int
    confirmed: int
    expired: int
    open: int
    rate: float | None


class PointOut(Out):
    start: datetime
    end: datetime
    consent: dict[str, ConsentRateOut]
    doi: DoiCompletionOut
    objections: dict[str, int]
    messages_by_basis: dict[str, int]
    withheld_by_reason: dict[str, int]


class DashboardOut(Out):
    organisation_id: str
    since: datetime
    until: datetime
    bucket: str
    generated_at: datetime
    points: list[PointOut]
    words: dict[str, str]


@router.get("/reports/answer-pack", response_class=Response,
            responses=_binary("application/zip", "answer.pdf, figures.json and one CSV per table, zipped"))
def answer_pack_download(request: Request, caller: Reader, lang: Lang = "de") -> Response:
    """The answer to the authority's questionnaire (how consent is obtained and documented, double
    opt-in, processors, objections, complaints, retention, the existing-customer privilege) from live
    data, as one ZIP."""
    app = konsent_of(request)
    zipped = answer_pack.bundle(app, caller.organisation_id, lang=lang)
    name = f"answer-pack-{_slug(request, caller.organisation_id)}-{app.now():%Y-%m-%d}.zip"
    return Response(zipped, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/dashboard", responses=READ_ERRORS)
def dashboard_figures(
    request: Request, caller: Reader,
    since: Annotated[Moment | None, Query(description="From; default 12 weeks before `until`. Without a zone: "
                                                      "the organisation's.")] = None,
    until: Annotated[Moment | None, Query(description="Until; default now.")] = None,
    bucket: Literal["day", "week", "month"] = "week", lang: Lang = "de",
) -> DashboardOut:
    """Per period: consent rate per channel, double opt-in completion, objections, messages sent by
    legal basis and messages withheld by reason — plain data for charts."""
    app = konsent_of(request)
    end = until or app.now()
    start = since or end - timedelta(weeks=12)
    figures = dashboard.figures(app, caller.organisation_id, since=start, until=end, bucket=bucket, lang=lang)
    return DashboardOut.model_validate(figures.as_dict())


@router.get("/reports/processing-record", response_class=Response, responses={
    200: {"description": "The record as a page or a PDF",
          "content": {"text/html": {"schema": {"type": "string"}},
                      "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
    **READ_ERRORS,
})
def processing_record_download(
    request: Request, caller: Reader, lang: Lang = "de", format: Literal["html", "pdf"] = "html",
) -> Response:
    """The records of processing (Art. 30 GDPR): konsent's processing for the organisation to adopt."""
    content = processing_record.render(konsent_of(request), caller.organisation_id, lang, fmt=format)
    if format == "pdf":
        name = f"processing-record-{_slug(request, caller.organisation_id)}-{lang}.pdf"
        return Response(content, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(content, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": _REPORT_CSP})


def _slug(request: Request, organisation_id: str) -> str:
    with konsent_of(request).db.unit_of_work() as session:
        return organisations.get(session, organisation_id).slug
